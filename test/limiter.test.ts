import test from 'ava';
import { startJob } from '../runtime/jobs.ts';
import { budgetBehaviour, startTarget, type Received } from './helpers/target.ts';
import { startTestPlatform, tempDir, writeCsv } from './helpers/platform.ts';
import { progressOf, resultOf } from './helpers/jobs.ts';

const span = (rs: Received[]) => Math.max(...rs.map((r) => r.at)) - Math.min(...rs.map((r) => r.at));

test('a rate-limited, a failing and a healthy host in one CSV: each is paced by its own limiter', async (t) => {
  const BUDGET = 25;
  const limited = budgetBehaviour(BUDGET);
  const limitedHost = await startTarget(limited.behave);
  const failUntil = { at: 0 };
  let flakyErrors = 0;
  const flakyHost = await startTarget(() => {
    failUntil.at ||= Date.now() + 1500;
    if (Date.now() < failUntil.at) return (flakyErrors++, { status: 503 });
    return { status: 200 };
  });
  const healthyHost = await startTarget();
  const p = await startTestPlatform('pglite', {
    BASE_RATE_LIMIT: '0.005',
    MIN_RATE_LIMIT: '0',
    MAX_RATE_LIMIT: '2',
    MAX_WORKERS: '12',
    MAX_RETRIES: '10',
    RETRY_BASE_DELAY: '0.05',
    RETRY_MAX_DELAY: '2',
    CIRCUIT_FAILURE_THRESHOLD: '3',
    CIRCUIT_OPEN_SECONDS: '1',
  });
  t.teardown(async () => (await p.stop(), await limitedHost.close(), await flakyHost.close(), await healthyHost.close()));

  const lines = ['webhook_url'];
  for (let i = 1; i <= 200; i++) {
    lines.push(`${healthyHost.url}/h/${i}`);
    if (i % 5 === 0) lines.push(`${flakyHost.url}/f/${i}`);
    if (i % 5 !== 0) lines.push(`${limitedHost.url}/l/${i}`);
  }
  const file = writeCsv(tempDir(), 'mixed.csv', lines.join('\n'));
  const started = Date.now();
  const info = await startJob(p.client, p.config, file);
  const outcome = await resultOf(p.client, info.workflowId);

  // Every row ended with a final outcome; here every host came good, so every row was delivered.
  t.deepEqual(outcome.counts, { pending: 0, succeeded: 400, failed: 0, invalid: 0 });

  const healthyDone = Math.max(...healthyHost.received.map((r) => r.at)) - started;
  const limitedDone = Math.max(...limitedHost.received.map((r) => r.at)) - started;
  t.log(`healthy host done after ${healthyDone} ms, limited host after ${limitedDone} ms`);
  // 160 rows at 25/s need 6 s at least; the healthy host's 200 rows did not wait for them.
  t.true(healthyDone < limitedDone / 2, `healthy ${healthyDone} ms vs limited ${limitedDone} ms`);
  t.is(healthyHost.received.length, 200, 'the healthy host got each row once: nothing failed there');

  const accepted = limitedHost.received.length - limited.answered.throttled;
  const goodput = (accepted * 1000) / span(limitedHost.received);
  const share429 = limited.answered.throttled / limitedHost.received.length;
  t.log(`limited host: ${goodput.toFixed(1)}/s of ${BUDGET}/s, ${(100 * share429).toFixed(1)}% answered 429`);
  t.is(accepted, 160);
  t.true(goodput >= 0.5 * BUDGET, `limited host got ${goodput.toFixed(1)}/s of ${BUDGET}/s`);
  t.true(share429 <= 0.15, `${(100 * share429).toFixed(1)}% of the limited host's requests were answered 429`);

  // The failing host's circuit opened (no storm of requests while it was down) and closed again.
  t.log(`failing host answered 503 ${flakyErrors} times`);
  t.true(flakyErrors <= 3 + 12 + 3, `${flakyErrors} requests hit the failing host while it was down`);
  const hosts = new Map((await progressOf(p.client, info.workflowId)).hosts.map((h) => [h.origin, h]));
  const flaky = hosts.get(flakyHost.url)!;
  t.true(flaky.circuitOpens >= 1, 'the circuit opened');
  t.false(['circuitOpen', 'halfOpen'].includes(flaky.state), `and closed again (${flaky.state})`);
  const healthy = hosts.get(healthyHost.url)!;
  t.is(healthy.answers.throttled + healthy.answers.failed, 0);
  t.true(healthy.ratePerSecond! > 200, `the healthy host sped up from 200/s to ${healthy.ratePerSecond}/s`);
  t.true(hosts.get(limitedHost.url)!.answers.throttled >= 1, 'the limited host pushed back');
});

test('rows of a host with an open circuit wait while later batches of other hosts go on', async (t) => {
  let downUntil = 0;
  const down = await startTarget(() => {
    downUntil ||= Date.now() + 3000;
    return Date.now() < downUntil ? { status: 503 } : { status: 200 };
  });
  const up = await startTarget();
  const p = await startTestPlatform('pglite', {
    MAX_WORKERS: '4',
    MAX_RETRIES: '20',
    RETRY_BASE_DELAY: '0.05',
    RETRY_MAX_DELAY: '0.5',
    CIRCUIT_FAILURE_THRESHOLD: '2',
    CIRCUIT_OPEN_SECONDS: '1',
    CSV_CHUNK_SIZE: '20',
  });
  t.teardown(async () => (await p.stop(), await down.close(), await up.close()));
  const lines = ['webhook_url'];
  for (let i = 1; i <= 10; i++) lines.push(`${down.url}/d/${i}`);
  for (let i = 1; i <= 150; i++) lines.push(`${up.url}/u/${i}`);
  const info = await startJob(p.client, p.config, writeCsv(tempDir(), 'held.csv', lines.join('\n')));
  const outcome = await resultOf(p.client, info.workflowId);
  t.deepEqual(outcome.counts, { pending: 0, succeeded: 160, failed: 0, invalid: 0 });
  const upDone = Math.max(...up.received.map((r) => r.at));
  // 150 rows in 20-row batches behind a batch stuck on the down host: all delivered while it was down.
  t.true(upDone < downUntil, `the healthy host finished ${upDone - downUntil} ms after the down host came back`);
  const downAfterRecovery = down.received.filter((r) => r.at >= downUntil).length;
  t.is(downAfterRecovery, 10, 'each of the down host\'s rows was delivered once it was back');
  t.true(down.received.length - 10 <= 2 + 4 + 3 * 2, `${down.received.length - 10} requests reached the down host while it was down`);
});

test('rows waiting for a request slot do not go out while their host holds for Retry-After', async (t) => {
  let count = 0;
  let holdFrom = 0;
  const host = await startTarget(() => {
    count += 1;
    if (count === 5) {
      holdFrom = Date.now();
      return { status: 429, headers: { 'retry-after': '1' } };
    }
    return { status: 200, delayMs: 100 };
  });
  // Unpaced, never slowed (MAX_RATE_LIMIT=0): only the hold can keep requests back. 8 senders, 2 slots.
  const p = await startTestPlatform('pglite', { MAX_WORKERS: '2', RETRY_MAX_DELAY: '2' });
  t.teardown(async () => (await p.stop(), await host.close()));
  const info = await startJob(p.client, p.config, writeCsv(tempDir(), 'hold.csv', ['webhook_url', ...Array.from({ length: 20 }, (_, i) => `${host.url}/h/${i}`)].join('\n')));
  t.is((await resultOf(p.client, info.workflowId)).counts.succeeded, 20);
  const duringHold = host.received.filter((r) => r.at > holdFrom && r.at < holdFrom + 900).length;
  // At most the MAX_WORKERS requests already on the wire when the 429 came back; not the rows that
  // were waiting for a request slot (6 of them arrived in the hold before they re-checked).
  t.true(duringHold <= 2, `${duringHold} requests reached the host during its 1 s hold`);
});
