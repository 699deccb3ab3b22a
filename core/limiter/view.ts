import type { LimiterSnapshot, LimiterSnapshots, LimiterStateName } from './context.ts';

/** One target host's limiter as the progress query, the REST view and metrics show it. */
export interface HostLimiterView {
  origin: string;
  state: LimiterStateName;
  /** Current pace; null = unpaced. */
  ratePerSecond: number | null;
  /** What the host let through when it last throttled us. */
  ceilingPerSecond: number | null;
  /** Set while a Retry-After hold or an open circuit keeps the host's rows waiting. */
  heldUntil: string | null;
  consecutiveFailures: number;
  circuitOpens: number;
  answers: { ok: number; throttled: number; failed: number };
}

/** Hosts whose limiter is kept across batches; the least recently used beyond this start afresh. */
const MAX_TRACKED_HOSTS = 200;
/** A host idle this long in a calm state forgets what it learned: its next request starts afresh. */
const FORGET_AFTER_MS = 10 * 60_000;

export function stateName(snapshot: LimiterSnapshot): LimiterStateName {
  return typeof snapshot.value === 'string' ? snapshot.value : snapshot.value.closed;
}

const round = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

function hostView(origin: string, snapshot: LimiterSnapshot): HostLimiterView {
  const c = snapshot.context;
  const state = stateName(snapshot);
  const heldUntil = state === 'waitingRetryAfter' ? c.holdUntil : state === 'circuitOpen' ? c.openUntil : null;
  return {
    origin,
    state,
    ratePerSecond: round(c.rate),
    ceilingPerSecond: round(c.ceiling),
    heldUntil: heldUntil === null ? null : new Date(heldUntil).toISOString(),
    consecutiveFailures: c.consecutiveFailures,
    circuitOpens: c.circuitOpens,
    answers: { ...c.totals },
  };
}

export function hostViews(snapshots: LimiterSnapshots): HostLimiterView[] {
  return Object.entries(snapshots)
    .map(([origin, s]) => hostView(origin, s))
    .sort((a, b) => a.origin.localeCompare(b.origin));
}

/**
 * Keeps what is worth carrying between batches, so heartbeats and workflow state stay small for
 * a CSV with thousands of hosts: hosts held or failing always stay; calm, long-idle ones go; at
 * most MAX_TRACKED_HOSTS, most recently active first.
 */
export function trackedSnapshots(snapshots: LimiterSnapshots, now: number): LimiterSnapshots {
  const calm = (s: LimiterSnapshot) => ['rampingUp', 'steady'].includes(stateName(s)) && s.context.consecutiveFailures === 0;
  const kept = Object.entries(snapshots)
    .filter(([, s]) => !calm(s) || now - s.context.lastEventAt < FORGET_AFTER_MS)
    .sort(([, a], [, b]) => Number(calm(a)) - Number(calm(b)) || b.context.lastEventAt - a.context.lastEventAt)
    .slice(0, MAX_TRACKED_HOSTS);
  return Object.fromEntries(kept);
}
