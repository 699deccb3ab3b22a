import type { OutcomeBucket } from './outcome-window.ts';
import type { LimiterSettings } from './settings.ts';

/** The answer to a RESERVE: a send time under the current epoch, or the time to ask again. */
export type Grant = { slot: number; epoch: number } | { heldUntil: number };

/** Everything one host's limiter knows; plain JSON, so it persists in heartbeats and workflow state. */
export interface LimiterContext {
  settings: LimiterSettings;
  /** Current pace in requests/s; null = unpaced (BASE_RATE_LIMIT=0 and the host has not pushed back yet). */
  rate: number | null;
  /** What the host let through when it last throttled us (requests/s); probing slows down near it. */
  ceiling: number | null;
  /** Earliest start of the next request (epoch ms). */
  nextSlotAt: number;
  /** No request before this (Retry-After). */
  holdUntil: number;
  /** Further pushback before this is the same episode and does not slow us again. */
  cooldownUntil: number;
  lastIncreaseAt: number;
  consecutiveFailures: number;
  /** The circuit lets a probe through from this time on. */
  openUntil: number;
  /** A probe sent in half-open blocks others until it reports back or this passes. */
  probeDeadline: number;
  /** Bumped whenever the pace drops or a hold starts: slots granted earlier are void. */
  epoch: number;
  window: OutcomeBucket[];
  grant: Grant | null;
  totals: { ok: number; throttled: number; failed: number };
  circuitOpens: number;
  lastEventAt: number;
}

export type LimiterEvent =
  /** Asks for a send slot no later than `notAfter` (epoch ms). */
  | { type: 'RESERVE'; now: number; notAfter: number }
  /** `count` answers up to `now` that did not push back (2xx, 3xx, or a 4xx other than 408/425/429). */
  | { type: 'OK'; now: number; count: number }
  /** 429 Too Many Requests. */
  | { type: 'THROTTLED'; now: number; retryAfterMs: number | null }
  /** 5xx, 408, 425, timeout or connection error. */
  | { type: 'FAILED'; now: number; retryAfterMs: number | null };

/** What the limiter reports about an attempt's result. */
export type AttemptSignal = Exclude<LimiterEvent, { type: 'RESERVE' }>['type'];

export type LimiterStateName = 'rampingUp' | 'steady' | 'backingOff' | 'waitingRetryAfter' | 'circuitOpen' | 'halfOpen';

/** `actor.getPersistedSnapshot()` of the host limiter: what travels in heartbeats and workflow state. */
export interface LimiterSnapshot {
  status: string;
  value: 'circuitOpen' | 'halfOpen' | { closed: 'rampingUp' | 'steady' | 'backingOff' | 'waitingRetryAfter' };
  context: LimiterContext;
  [key: string]: unknown;
}

/** Per target origin (`scheme://host:port`). */
export type LimiterSnapshots = Record<string, LimiterSnapshot>;
