import type { AttemptSignal } from './limiter/context.ts';

/** How one HTTP attempt ended, as far as retrying is concerned. */
export type AttemptClass = 'success' | 'transient' | 'permanent';

const TRANSIENT_STATUSES = new Set([408, 425, 429]);

/** 2xx/3xx succeed; 408, 425, 429 and 5xx are worth another try; any other 4xx is final. */
export function classifyStatus(status: number): AttemptClass {
  if (status >= 200 && status < 400) return 'success';
  if (TRANSIENT_STATUSES.has(status) || status >= 500) return 'transient';
  return 'permanent';
}

/** What an answer tells the host's limiter: 429 is pushback; 408, 425 and 5xx are failures. */
export function limiterSignal(status: number): AttemptSignal {
  if (status === 429) return 'THROTTLED';
  return classifyStatus(status) === 'transient' ? 'FAILED' : 'OK';
}

/**
 * Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP date. Unparseable values
 * are ignored (null) rather than guessed.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/**
 * Exponential backoff with full jitter (AWS architecture blog): a uniform draw in
 * [0, min(cap, base·2^attempt)). `random` is injected so tests can pin it.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** The wait before the next attempt: Retry-After when the server gave one (capped), else jittered backoff. */
export function nextRetryDelay(
  attempt: number,
  retryAfterMs: number | null,
  policy: BackoffPolicy,
  random: () => number,
): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, policy.capMs);
  return backoffDelay(attempt, policy, random);
}

// Network failures worth another try; anything else (bad header value, unknown host, TLS) is final.
const TRANSIENT_ERROR_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);

export function isTransientErrorCode(code: string | undefined): boolean {
  return code !== undefined && TRANSIENT_ERROR_CODES.has(code);
}
