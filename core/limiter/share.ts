import type { LimiterSnapshot, LimiterSnapshots, LimiterStateName } from './context.ts';
import type { LimiterSettings } from './settings.ts';
import { stateName } from './view.ts';

/**
 * Several batches of one job may talk to a host at once (BATCH_WINDOW), each on its own worker.
 * Each gets an equal share of the host's pace: its limiter runs on rates divided by the number of
 * shares, and what it learned is multiplied back before it leaves the batch. The statechart's rules
 * are all relative to its pace, so a share behaves like the whole host slowed down.
 */
const scale = (rate: number | null, factor: number) => (rate === null ? null : rate * factor);

export function scaleSettings(s: LimiterSettings, factor: number): LimiterSettings {
  if (factor === 1) return s;
  return { ...s, startRate: scale(s.startRate, factor), slowestRate: scale(s.slowestRate, factor), fastestRate: scale(s.fastestRate, factor) };
}

export function scaleSnapshot(snapshot: LimiterSnapshot, factor: number): LimiterSnapshot {
  if (factor === 1) return snapshot;
  const c = snapshot.context;
  return {
    ...snapshot,
    context: { ...c, settings: scaleSettings(c.settings, factor), rate: scale(c.rate, factor), ceiling: scale(c.ceiling, factor) },
  };
}

export function scaleSnapshots(snapshots: LimiterSnapshots, factor: number): LimiterSnapshots {
  if (factor === 1) return snapshots;
  return Object.fromEntries(Object.entries(snapshots).map(([origin, s]) => [origin, scaleSnapshot(s, factor)]));
}

/** From the most to the least holding back: when two batches disagree, the first wins. */
const RESTRAINT: LimiterStateName[] = ['circuitOpen', 'waitingRetryAfter', 'halfOpen', 'backingOff', 'steady', 'rampingUp'];

function moreRestrained(a: LimiterSnapshot, b: LimiterSnapshot): LimiterSnapshot {
  const byState = RESTRAINT.indexOf(stateName(a)) - RESTRAINT.indexOf(stateName(b));
  if (byState !== 0) return byState < 0 ? a : b;
  // Same state: the slower pace (null = unpaced is the fastest), then the later hold.
  const rate = (s: LimiterSnapshot) => s.context.rate ?? Number.POSITIVE_INFINITY;
  if (rate(a) !== rate(b)) return rate(a) < rate(b) ? a : b;
  return a.context.holdUntil >= b.context.holdUntil ? a : b;
}

const plus = (c: LimiterSnapshot['context']['totals'], returned: typeof c, launched: typeof c | undefined) => ({
  ok: c.ok + returned.ok - (launched?.ok ?? 0),
  throttled: c.throttled + returned.throttled - (launched?.throttled ?? 0),
  failed: c.failed + returned.failed - (launched?.failed ?? 0),
});

/**
 * The job's limiters after a batch came back. `launched` is what the batch started from,
 * `returned` what it learned. A host no other batch reported on meanwhile takes the batch's word;
 * otherwise the more restrained of the two stands (a 429 seen by one batch slows them all), with
 * the answers counted from both.
 */
export function mergeReturned(current: LimiterSnapshots, launched: LimiterSnapshots, returned: LimiterSnapshots): LimiterSnapshots {
  const merged: LimiterSnapshots = { ...current };
  for (const [origin, back] of Object.entries(returned)) {
    const now = current[origin];
    const before = launched[origin];
    if (now === undefined || now === before) {
      merged[origin] = back;
      continue;
    }
    // Another batch reported on this host since this one started: both views count.
    const base = moreRestrained(now, back);
    merged[origin] = {
      ...base,
      context: {
        ...base.context,
        totals: plus(now.context.totals, back.context.totals, before?.context.totals),
        circuitOpens: now.context.circuitOpens + back.context.circuitOpens - (before?.context.circuitOpens ?? 0),
      },
    };
  }
  return merged;
}
