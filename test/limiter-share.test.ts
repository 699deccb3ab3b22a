import test from 'ava';
import type { LimiterEvent, LimiterSnapshot } from '../core/limiter/context.ts';
import { persistHostLimiter, startHostLimiter } from '../core/limiter/machine.ts';
import type { LimiterSettings } from '../core/limiter/settings.ts';
import { mergeReturned, scaleSettings, scaleSnapshot } from '../core/limiter/share.ts';
import { stateName } from '../core/limiter/view.ts';

const T0 = 1_700_000_000_000;
const HOST = 'http://127.0.0.1:9001';
const settings: LimiterSettings = { startRate: 10, slowestRate: 0.5, fastestRate: 40, failureThreshold: 3, openMs: 5000, probeTimeoutMs: 2000, maxHoldMs: 30_000 };

/** A batch's limiter: resumed from `from` at 1/shares of the pace, fed `events`, snapshotted at the whole host's pace. */
function batch(from: LimiterSnapshot | undefined, shares: number, events: LimiterEvent[]): LimiterSnapshot {
  const actor = startHostLimiter(scaleSettings(settings, 1 / shares), T0, from && scaleSnapshot(from, 1 / shares));
  for (const e of events) actor.send(e);
  return scaleSnapshot(persistHostLimiter(actor), shares);
}

test('a share paces at 1/shares of the host and reports at the whole host pace', (t) => {
  const start = batch(undefined, 1, []);
  const actor = startHostLimiter(scaleSettings(settings, 1 / 4), T0, scaleSnapshot(start, 1 / 4));
  t.is(actor.getSnapshot().context.rate, 2.5);
  t.is(actor.getSnapshot().context.settings.fastestRate, 10);
  t.is(scaleSnapshot(persistHostLimiter(actor), 4).context.rate, 10);
});

test('a host no other batch reported on meanwhile takes the returning batch word for it', (t) => {
  const launched = { [HOST]: batch(undefined, 1, []) };
  const back = batch(launched[HOST], 2, [{ type: 'OK', now: T0 + 500, count: 5 }]);
  const merged = mergeReturned(launched, launched, { [HOST]: back });
  t.is(merged[HOST], back);
});

test('two batches disagree: the one that saw a 429 slows the job, and answers from both count', (t) => {
  const launched = { [HOST]: batch(undefined, 1, []) };
  const calm = batch(launched[HOST], 2, [{ type: 'OK', now: T0 + 400, count: 6 }]);
  const pushed = batch(launched[HOST], 2, [
    { type: 'OK', now: T0 + 300, count: 3 },
    { type: 'THROTTLED', now: T0 + 600, retryAfterMs: null },
  ]);
  // Either order of return ends the same way.
  for (const [firstBack, secondBack] of [
    [calm, pushed],
    [pushed, calm],
  ] as const) {
    const afterFirst = mergeReturned(launched, launched, { [HOST]: firstBack });
    const merged = mergeReturned(afterFirst, launched, { [HOST]: secondBack })[HOST]!;
    t.is(stateName(merged), stateName(pushed));
    t.is(merged.context.rate, pushed.context.rate);
    t.true(merged.context.rate! < launched[HOST]!.context.rate!, 'the pace dropped');
    t.deepEqual(merged.context.totals, { ok: 9, throttled: 1, failed: 0 });
  }
});

test('an open circuit outranks any pace', (t) => {
  const launched = { [HOST]: batch(undefined, 1, []) };
  const failing = batch(launched[HOST], 2, [1, 2, 3].map((i) => ({ type: 'FAILED' as const, now: T0 + i * 10, retryAfterMs: null })));
  const calm = batch(launched[HOST], 2, [{ type: 'OK', now: T0 + 100, count: 10 }]);
  t.is(stateName(failing), 'circuitOpen');
  const merged = mergeReturned(mergeReturned(launched, launched, { [HOST]: failing }), launched, { [HOST]: calm })[HOST]!;
  t.is(stateName(merged), 'circuitOpen');
  t.is(merged.context.circuitOpens, 1);
});
