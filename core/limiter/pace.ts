import type { LimiterContext } from './context.ts';
import { acceptedRate, observedRate, windowSpanMs } from './outcome-window.ts';
import type { LimiterSettings } from './settings.ts';

/** While ramping up (no pushback seen yet) the pace doubles every half second of healthy answers. */
const RAMP_DOUBLING_MS = 500;
/** A quiet gap counts as at most this much healthy time, so an idle host is not rushed afterwards. */
const MAX_INCREASE_GAP_MS = 1000;
/**
 * Additive increase per second, as a share of the ceiling: quick to recover, slow to probe near
 * it. With no ceiling known, a share of the current pace, to find the host's budget.
 */
const RECOVER_STEP = 0.05;
const PROBE_STEP = 0.0025;
const DISCOVER_STEP = 0.1;
/** Within this band around the ceiling the limiter probes; far above it the ceiling is out of date. */
const NEAR_CEILING = 0.95;
const PAST_CEILING = 1.05;
/** On a 429 with the host's budget measured, drop just under it; otherwise halve. */
const BELOW_BUDGET = 0.95;
const DECREASE = 0.5;
/**
 * What the host accepted is its budget only if the window saw at least a second of sending at
 * about our pace (at least this share of it); otherwise it measured our ramp-up or one burst.
 */
const MEASURED_SHARE = 0.8;
const MEASURED_SPAN_MS = 1000;
/** Pushback within this long after a decrease belongs to the same episode (requests already in flight). */
const COOLDOWN_MS = 1000;
/** No pace is raised past twice what is actually being sent, so an idle host's pace stays meaningful. */
const HEADROOM = 2;
const HIGHEST_RATE = 1_000_000;

export function clampRate(settings: LimiterSettings, rate: number): number {
  return Math.max(settings.slowestRate ?? 0, Math.min(settings.fastestRate ?? HIGHEST_RATE, rate));
}

export function atFastest(ctx: LimiterContext): boolean {
  return ctx.rate === null || ctx.rate >= (ctx.settings.fastestRate ?? HIGHEST_RATE);
}

/** After a healthy answer: double per second while ramping up, else add a fixed step per second. */
export function increased(ctx: LimiterContext, now: number, ramping: boolean): Partial<LimiterContext> {
  const dt = Math.min(MAX_INCREASE_GAP_MS, Math.max(0, now - ctx.lastIncreaseAt)) / 1000;
  if (ctx.rate === null || dt === 0) return { lastIncreaseAt: now };
  let ceiling = ctx.ceiling;
  let next: number;
  if (ramping) {
    next = ctx.rate * 2 ** ((dt * 1000) / RAMP_DOUBLING_MS);
  } else {
    // Well past the old ceiling with no pushback: the host's budget grew, so stop creeping.
    if (ceiling !== null && ctx.rate > ceiling * PAST_CEILING) ceiling = null;
    const step = ceiling === null ? ctx.rate * DISCOVER_STEP : ceiling * (ctx.rate >= ceiling * NEAR_CEILING ? PROBE_STEP : RECOVER_STEP);
    next = ctx.rate + step * dt;
  }
  const sent = observedRate(ctx.window, now);
  if (sent !== null) next = Math.min(next, Math.max(ctx.rate, sent * HEADROOM));
  return { rate: clampRate(ctx.settings, next), ceiling, lastIncreaseAt: now };
}

/**
 * Multiplicative decrease, once per episode. It starts from what the host actually accepted when
 * that is lower than the nominal pace, so an inflated or unpaced pace drops to something real.
 * On a 429, what the host accepted is taken as its budget (the ceiling) only if we had been
 * sending near our pace for the whole window; during a ramp-up it undercounts.
 */
export function decreased(ctx: LimiterContext, now: number, cause: 'throttled' | 'failed'): Partial<LimiterContext> {
  if (now < ctx.cooldownUntil || ctx.settings.slowestRate === null) return {};
  const accepted = acceptedRate(ctx.window, now);
  const current = ctx.rate === null ? accepted : accepted === null ? ctx.rate : Math.min(ctx.rate, accepted);
  const measuredBudget =
    cause === 'throttled' && accepted !== null && windowSpanMs(ctx.window, now) >= MEASURED_SPAN_MS && (ctx.rate === null || accepted >= MEASURED_SHARE * ctx.rate);
  const factor = cause === 'throttled' && accepted !== null ? BELOW_BUDGET : DECREASE;
  return {
    rate: current === null ? ctx.settings.slowestRate : clampRate(ctx.settings, current * factor),
    ceiling: measuredBudget ? accepted : cause === 'throttled' ? null : ctx.ceiling,
    cooldownUntil: now + COOLDOWN_MS,
    lastIncreaseAt: now,
    nextSlotAt: now,
    epoch: ctx.epoch + 1,
  };
}

/** A slot at or after `now`, spaced from the last one; refused when it would fall after `notAfter`. */
export function reserved(ctx: LimiterContext, now: number, notAfter: number): Partial<LimiterContext> {
  const slot = Math.max(now, ctx.nextSlotAt);
  if (slot > notAfter) return { grant: { heldUntil: slot } };
  const spacing = ctx.rate === null ? 0 : 1000 / ctx.rate;
  return { nextSlotAt: slot + spacing, grant: { slot, epoch: ctx.epoch } };
}

export function initialContext(settings: LimiterSettings, now: number): LimiterContext {
  return {
    settings,
    rate: settings.startRate === null ? null : clampRate(settings, settings.startRate),
    ceiling: null,
    nextSlotAt: 0,
    holdUntil: 0,
    cooldownUntil: 0,
    lastIncreaseAt: now,
    consecutiveFailures: 0,
    openUntil: 0,
    probeDeadline: 0,
    epoch: 0,
    window: [],
    grant: null,
    totals: { ok: 0, throttled: 0, failed: 0 },
    circuitOpens: 0,
    lastEventAt: now,
  };
}
