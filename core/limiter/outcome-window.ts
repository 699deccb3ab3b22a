/** Outcomes of one host's requests in a short time slot. */
export interface OutcomeBucket {
  /** Start of the slot (epoch ms, a multiple of BUCKET_MS). */
  at: number;
  ok: number;
  throttled: number;
  failed: number;
}

export type OutcomeKind = 'ok' | 'throttled' | 'failed';

const BUCKET_MS = 250;
/** Two seconds: long enough to see a per-second budget whole, short enough to follow a change. */
const WINDOW_MS = 2000;
/** Fewer accepted requests than this in the window say too little about the host's budget. */
const MIN_SAMPLES = 10;

/** The window with `count` more outcomes at `now`; slots older than WINDOW_MS are dropped. */
export function recordOutcome(window: readonly OutcomeBucket[], now: number, kind: OutcomeKind, count = 1): OutcomeBucket[] {
  const at = now - (now % BUCKET_MS);
  const kept = window.filter((b) => b.at > now - WINDOW_MS);
  const last = kept.at(-1);
  if (last && last.at === at) {
    kept[kept.length - 1] = { ...last, [kind]: last[kind] + count };
  } else {
    kept.push({ at, ok: 0, throttled: 0, failed: 0, [kind]: count });
  }
  return kept;
}

/**
 * Accepted requests per second over the window, or null when too few to judge. Right after the
 * host pushes back this is close to its budget: it is what the host let through.
 */
export function acceptedRate(window: readonly OutcomeBucket[], now: number): number | null {
  return perSecond(window, now, (b) => b.ok);
}

/** Answers of any kind per second over the window (what we are sending), or null when too few. */
export function observedRate(window: readonly OutcomeBucket[], now: number): number | null {
  return perSecond(window, now, (b) => b.ok + b.throttled + b.failed);
}

/** How much time the window's outcomes cover, up to WINDOW_MS. */
export function windowSpanMs(window: readonly OutcomeBucket[], now: number): number {
  const first = window.find((b) => b.at > now - WINDOW_MS);
  return first ? Math.min(WINDOW_MS, Math.max(BUCKET_MS, now - first.at)) : 0;
}

function perSecond(window: readonly OutcomeBucket[], now: number, count: (b: OutcomeBucket) => number): number | null {
  const n = window.filter((b) => b.at > now - WINDOW_MS).reduce((sum, b) => sum + count(b), 0);
  if (n < MIN_SAMPLES) return null;
  return (n * 1000) / windowSpanMs(window, now);
}
