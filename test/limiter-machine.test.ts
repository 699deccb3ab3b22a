import { readFileSync } from 'node:fs';
import test from 'ava';
import type { Grant, LimiterEvent, LimiterSnapshot } from '../core/limiter/context.ts';
import { limiterDoc, limiterMermaid } from '../core/limiter/diagram.ts';
import { persistHostLimiter, startHostLimiter } from '../core/limiter/machine.ts';
import type { LimiterSettings } from '../core/limiter/settings.ts';
import { stateName } from '../core/limiter/view.ts';

const T0 = 1_700_000_000_000;
const settings = (over: Partial<LimiterSettings> = {}): LimiterSettings => ({
  startRate: 10,
  slowestRate: 0.5,
  fastestRate: 40,
  failureThreshold: 3,
  openMs: 5000,
  probeTimeoutMs: 2000,
  maxHoldMs: 30_000,
  ...over,
});

function limiter(over: Partial<LimiterSettings> = {}, snapshot?: LimiterSnapshot) {
  const actor = startHostLimiter(settings(over), T0, snapshot);
  const ctx = () => actor.getSnapshot().context;
  return {
    actor,
    ctx,
    state: () => stateName(persistHostLimiter(actor)),
    send: (e: LimiterEvent) => actor.send(e),
    reserve: (now: number, notAfter = Number.POSITIVE_INFINITY): Grant => (actor.send({ type: 'RESERVE', now, notAfter }), ctx().grant!),
    /** `n` healthy answers spread evenly over [from, to). */
    oks: (n: number, from: number, to: number) => {
      for (let i = 0; i < n; i++) actor.send({ type: 'OK', now: from + ((to - from) * i) / n, count: 1 });
    },
  };
}

test('starts in steady at the configured pace when it may not go faster (the original behaviour)', (t) => {
  const l = limiter({ fastestRate: 10 });
  t.is(l.state(), 'steady');
  t.is(l.ctx().rate, 10);
  l.oks(50, T0, T0 + 5000);
  t.is(l.ctx().rate, 10, 'never faster than BASE_RATE_LIMIT when MIN_RATE_LIMIT is unset');
});

test('ramping up doubles the pace per half second of healthy answers, then goes steady at the fastest', (t) => {
  const l = limiter();
  t.is(l.state(), 'rampingUp');
  l.send({ type: 'OK', now: T0 + 500, count: 1 });
  t.is(l.ctx().rate, 20);
  l.send({ type: 'OK', now: T0 + 1000, count: 1 });
  t.is(l.ctx().rate, 40, 'clamped at the fastest pace');
  t.is(l.state(), 'steady');
});

test('slots are spaced by the pace; a slot after notAfter is refused without being taken', (t) => {
  const l = limiter({ fastestRate: 10 });
  t.deepEqual(l.reserve(T0), { slot: T0, epoch: 0 });
  t.deepEqual(l.reserve(T0), { slot: T0 + 100, epoch: 0 });
  t.deepEqual(l.reserve(T0, T0 + 150), { heldUntil: T0 + 200 });
  t.deepEqual(l.reserve(T0 + 10), { slot: T0 + 200, epoch: 0 }, 'the refused slot was not consumed');
});

test('a 429 halves the pace once per episode, then additive increase brings it back', (t) => {
  const l = limiter({ fastestRate: 10 });
  l.send({ type: 'THROTTLED', now: T0 + 100, retryAfterMs: null });
  t.is(l.state(), 'backingOff');
  t.is(l.ctx().rate, 5, 'too few answers to measure the budget: halved');
  t.is(l.ctx().ceiling, null);
  l.send({ type: 'THROTTLED', now: T0 + 300, retryAfterMs: null });
  t.is(l.ctx().rate, 5, 'requests already in flight do not halve it again');
  l.send({ type: 'OK', now: T0 + 800, count: 1 });
  t.is(l.state(), 'backingOff');
  t.is(l.ctx().rate, 5, 'no increase while backing off');
  l.reserve(T0 + 1100);
  t.is(l.state(), 'steady');
  l.send({ type: 'OK', now: T0 + 2100, count: 1 });
  t.is(l.ctx().rate, 5 * 1.1, 'one second healthy, no budget known: +10% per second');
  l.send({ type: 'THROTTLED', now: T0 + 2200, retryAfterMs: null });
  t.is(l.ctx().rate, 2.75, 'a new episode halves again');
});

test('a 429 after a measured second drops just under what the host let through, and learns it as the ceiling', (t) => {
  const l = limiter({ startRate: 32, fastestRate: 32 });
  l.oks(30, T0, T0 + 1000);
  l.send({ type: 'THROTTLED', now: T0 + 1000, retryAfterMs: null });
  const { rate, ceiling } = l.ctx();
  t.true(ceiling! > 25 && ceiling! < 32, `ceiling ${ceiling}`);
  t.is(rate, 0.95 * ceiling!);
  // Near the ceiling it probes slowly: 0.25% of the ceiling per second.
  l.reserve(T0 + 2000);
  l.send({ type: 'OK', now: T0 + 3000, count: 1 });
  t.is(Number(l.ctx().rate!.toFixed(6)), Number((0.95 * ceiling! + 0.0025 * ceiling!).toFixed(6)));
});

test('what a ramp-up saw accepted is not taken for the budget', (t) => {
  const l = limiter({ startRate: 60, fastestRate: null });
  l.oks(30, T0, T0 + 1000);
  l.send({ type: 'THROTTLED', now: T0 + 1000, retryAfterMs: null });
  t.is(l.ctx().ceiling, null, 'accepted (~30/s) is well under the pace (60/s): the window measured our ramp');
  t.true(l.ctx().rate! < 30, 'the pace still drops under what was accepted');
});

test('Retry-After holds every slot until it passes, voids slots granted before, and is capped', (t) => {
  const l = limiter({ fastestRate: 10, maxHoldMs: 3000 });
  const early = l.reserve(T0);
  l.send({ type: 'THROTTLED', now: T0 + 50, retryAfterMs: 2000 });
  t.is(l.state(), 'waitingRetryAfter');
  t.not(l.ctx().epoch, (early as { epoch: number }).epoch, 'a slot granted before the hold is void');
  t.deepEqual(l.reserve(T0 + 1000), { heldUntil: T0 + 2050 });
  l.send({ type: 'FAILED', now: T0 + 1100, retryAfterMs: null });
  t.is(l.state(), 'waitingRetryAfter', 'a failure without Retry-After does not end the hold');
  const g = l.reserve(T0 + 2050);
  t.true('slot' in g && g.slot === T0 + 2050);
  t.is(l.state(), 'backingOff');
  l.send({ type: 'THROTTLED', now: T0 + 5000, retryAfterMs: 3_600_000 });
  t.is(l.ctx().holdUntil, T0 + 8000, 'held for RETRY_MAX_DELAY at most');
});

test('consecutive failures open the circuit; one probe at a time; a failed probe opens it again; a good one closes it', (t) => {
  const l = limiter({ fastestRate: 10 });
  l.send({ type: 'FAILED', now: T0, retryAfterMs: null });
  l.send({ type: 'OK', now: T0 + 10, count: 1 });
  l.send({ type: 'FAILED', now: T0 + 20, retryAfterMs: null });
  l.send({ type: 'FAILED', now: T0 + 30, retryAfterMs: null });
  t.not(l.state(), 'circuitOpen', 'a success in between resets the count');
  l.send({ type: 'FAILED', now: T0 + 40, retryAfterMs: null });
  t.is(l.state(), 'circuitOpen');
  t.deepEqual(l.reserve(T0 + 1000), { heldUntil: T0 + 5040 });
  l.send({ type: 'OK', now: T0 + 1100, count: 1 });
  t.is(l.state(), 'circuitOpen', 'answers to earlier requests do not close it');
  const probe = l.reserve(T0 + 5040);
  t.is(l.state(), 'halfOpen');
  t.true('slot' in probe);
  t.deepEqual(l.reserve(T0 + 5100), { heldUntil: T0 + 5100 + 250 }, 'one probe at a time; ask again soon');
  l.send({ type: 'FAILED', now: T0 + 5200, retryAfterMs: null });
  t.is(l.state(), 'circuitOpen');
  t.is(l.ctx().circuitOpens, 2);
  t.true('slot' in l.reserve(T0 + 10_200));
  const before = l.ctx().rate!;
  l.send({ type: 'OK', now: T0 + 10_300, count: 1 });
  t.is(l.state(), 'rampingUp');
  t.is(l.ctx().rate, before / 2);
  t.is(l.ctx().consecutiveFailures, 0);
});

test('a probe that never reports back stops blocking after its timeout', (t) => {
  const l = limiter({ failureThreshold: 1 });
  l.send({ type: 'FAILED', now: T0, retryAfterMs: null });
  t.true('slot' in l.reserve(T0 + 5000));
  t.deepEqual(l.reserve(T0 + 6900), { heldUntil: T0 + 7000 });
  t.true('slot' in l.reserve(T0 + 7000));
});

test('unpaced: every slot is now, until the host pushes back; then it paces under what the host accepted', (t) => {
  const l = limiter({ startRate: null, fastestRate: null });
  t.is(l.state(), 'steady');
  t.deepEqual([l.reserve(T0), l.reserve(T0)], [{ slot: T0, epoch: 0 }, { slot: T0, epoch: 0 }]);
  l.oks(300, T0, T0 + 1500);
  l.send({ type: 'THROTTLED', now: T0 + 1500, retryAfterMs: 1000 });
  t.is(l.state(), 'waitingRetryAfter');
  t.true(l.ctx().rate! > 150 && l.ctx().rate! < 200, `rate ${l.ctx().rate}`);
});

test('a 503 with Retry-After holds and halves; never below the slowest pace', (t) => {
  const l = limiter({ fastestRate: 10, slowestRate: 4, failureThreshold: 10 });
  l.send({ type: 'FAILED', now: T0, retryAfterMs: 1000 });
  t.is(l.state(), 'waitingRetryAfter');
  t.is(l.ctx().rate, 5);
  l.reserve(T0 + 2500);
  l.send({ type: 'FAILED', now: T0 + 2600, retryAfterMs: null });
  t.is(l.ctx().rate, 4);
});

test('a restored snapshot behaves exactly like the original', (t) => {
  const events: LimiterEvent[] = [
    { type: 'OK', now: T0 + 100, count: 1 },
    { type: 'THROTTLED', now: T0 + 200, retryAfterMs: 1000 },
    { type: 'RESERVE', now: T0 + 500, notAfter: Infinity },
    { type: 'RESERVE', now: T0 + 1300, notAfter: Infinity },
    { type: 'FAILED', now: T0 + 1400, retryAfterMs: null },
    { type: 'FAILED', now: T0 + 1500, retryAfterMs: null },
  ];
  const later: LimiterEvent[] = [
    { type: 'OK', now: T0 + 2600, count: 1 },
    { type: 'RESERVE', now: T0 + 2700, notAfter: Infinity },
    { type: 'FAILED', now: T0 + 2800, retryAfterMs: null },
    { type: 'FAILED', now: T0 + 2850, retryAfterMs: null },
    { type: 'FAILED', now: T0 + 2900, retryAfterMs: null },
    { type: 'RESERVE', now: T0 + 9000, notAfter: Infinity },
    { type: 'OK', now: T0 + 9100, count: 1 },
    { type: 'RESERVE', now: T0 + 9200, notAfter: Infinity },
  ];
  const original = limiter();
  events.forEach(original.send);
  const persisted = JSON.parse(JSON.stringify(persistHostLimiter(original.actor))) as LimiterSnapshot;
  const restored = limiter({}, persisted);
  for (const e of later) {
    original.send(e);
    restored.send(e);
    t.deepEqual(persistHostLimiter(restored.actor), persistHostLimiter(original.actor), `after ${e.type} at +${e.now - T0}`);
  }
  t.is(restored.state(), 'rampingUp', 'it went through an open circuit and a good probe');
  t.is(restored.ctx().circuitOpens, 1);
});

test('docs/limiter.md shows the machine as it is (regenerate with npm run limiter:diagram)', (t) => {
  const doc = readFileSync(new URL('../docs/limiter.md', import.meta.url), 'utf8');
  t.is(doc, limiterDoc());
  for (const state of ['rampingUp', 'steady', 'backingOff', 'waitingRetryAfter', 'circuitOpen', 'halfOpen']) {
    t.regex(limiterMermaid(), new RegExp(`\\b${state}\\b`), `${state} is drawn`);
  }
});
