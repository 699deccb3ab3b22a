import { z } from 'zod';

/** Env values arrive as strings; these coerce them and say what was expected when they cannot. */
export const bool = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: 'expected true or false' });
      return z.NEVER;
    });

/** What a number must be, and how to say so when it is not. */
export interface NumberRule {
  check: (n: number) => boolean;
  expected: string;
}

export const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER): NumberRule => ({
  check: (n) => Number.isInteger(n) && n >= min && n <= max,
  expected: `a whole number from ${min} to ${max}`,
});
export const secondsAtLeast = (min: number): NumberRule => ({ check: (n) => n >= min, expected: `a number of seconds ≥ ${min}` });
export const satisfies = (n: number, rule: NumberRule) => Number.isFinite(n) && rule.check(n);

/** Shared by the environment (MAX_WORKERS, BASE_RATE_LIMIT) and a trigger's per-job overrides. */
export const WORKERS = wholeNumber(1, 10000);
export const SPACING = secondsAtLeast(0);

export const num = <F extends number | undefined>(fallback: F, rule: NumberRule) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!satisfies(n, rule)) {
        ctx.addIssue({ code: 'custom', message: `expected ${rule.expected}` });
        return z.NEVER;
      }
      return n;
    });

export const int = <F extends number | undefined>(fallback: F, min: number, max?: number) => num(fallback, wholeNumber(min, max));
export const seconds = <F extends number | undefined>(fallback: F, min = 0) => num(fallback, secondsAtLeast(min));
export const text = (fallback?: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v));

/** A comma list: items trimmed, empty ones dropped. */
export const list = (v: string | undefined) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
