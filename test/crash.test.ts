import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { startJob } from '../runtime/jobs.ts';
import type { JobOutcome } from '../workflows/csv-job.ts';
import { MAX_UNWRITTEN_ROWS, SENDERS_PER_WORKER } from '../activities/dispatch-batch.ts';
import { budgetBehaviour, startTarget } from './helpers/target.ts';
import { tempDir, writeCsv } from './helpers/platform.ts';
import { workerScenario } from './helpers/workers.ts';
import { deliveryAt, progressOf, waitFor } from './helpers/jobs.ts';

const ROWS = 3000;
const MAX_WORKERS = 8;

test('a worker SIGKILLed mid-batch: a new worker finishes the job, resending only rows in flight', async (t) => {
  const target = await startTarget(() => ({ status: 200, delayMs: 3 }));
  const { config, client, db, startWorker } = await workerScenario(t, target, {
    MAX_WORKERS: String(MAX_WORKERS),
    // One batch at a time, as all-in-one: the bound below is one batch's (test/scale-out.test.ts has a window).
    BATCH_WINDOW: '1',
    CSV_CHUNK_SIZE: '1000',
    BASE_RATE_LIMIT: '0',
    MAX_RATE_LIMIT: '0',
  });

  const lines = ['webhook_url'];
  for (let i = 1; i <= ROWS; i++) lines.push(`${target.url}/r/${i}`);
  const file = writeCsv(tempDir(), 'crash.csv', lines.join('\n'));

  const first = await startWorker();
  const info = await startJob(client, config, file);
  // Off the 1000-row chunk boundary, so the kill lands inside a batch.
  while (target.received.length < 1234) await sleep(5);
  first.kill('SIGKILL');
  await once(first, 'exit');
  const receivedAtCrash = target.received.length;
  t.true(receivedAtCrash < ROWS, 'the crash happened mid-job');

  await startWorker();
  const outcome = (await client.workflow.getHandle(info.workflowId).result()) as JobOutcome;
  t.is(outcome.status, 'completed');
  t.is(outcome.counts.succeeded, ROWS);

  const { missing, twice } = deliveryAt(target, info.jobId, ROWS);
  t.deepEqual(missing, [], 'every row was received at least once');
  // In flight at the crash: requests on the wire, plus outcomes not yet written (the batch being
  // written and the buffer behind it, each at most MAX_UNWRITTEN_ROWS plus one per sender).
  const window = MAX_WORKERS + 2 * (MAX_UNWRITTEN_ROWS + SENDERS_PER_WORKER * MAX_WORKERS);
  t.log(`received at crash: ${receivedAtCrash}; rows received twice: ${twice} (window ${window})`);
  t.true(twice <= window, `${twice} rows were sent twice; the in-flight window is ${window}`);

  const [stored] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job_rows WHERE job_id = $1 AND status = 'succeeded'`, [info.jobId]);
  t.is(stored?.n, ROWS);
});

test('a worker SIGKILLed while a host throttles: the new worker goes on at the throttled pace, not the base one', async (t) => {
  const BUDGET = 10;
  const budget = budgetBehaviour(BUDGET);
  const target = await startTarget(budget.behave);
  // Base pace 50/s against a host that allows 10/s.
  const { config, client, startWorker } = await workerScenario(t, target, { MAX_WORKERS: '4', BASE_RATE_LIMIT: '0.02', MAX_RATE_LIMIT: '2', RETRY_MAX_DELAY: '2' });
  const file = writeCsv(tempDir(), 'throttled.csv', ['webhook_url', ...Array.from({ length: 120 }, (_, i) => `${target.url}/t/${i + 1}`)].join('\n'));

  const first = await startWorker();
  const info = await startJob(client, config, file);
  await waitFor(() => budget.answered.throttled > 0, 'the host to push back');
  await waitFor(async () => ((await progressOf(client, info.workflowId)).hosts[0]?.ratePerSecond ?? 50) < 20, 'the limiter to slow down', 10_000);
  // One more slice, so the last heartbeat surely carries the slowed-down limiter.
  await sleep(1500);
  first.kill('SIGKILL');
  await once(first, 'exit');
  const killedAt = Date.now();
  const throttledBefore = budget.answered.throttled;

  await startWorker();
  const outcome = (await client.workflow.getHandle(info.workflowId).result()) as JobOutcome;
  t.is(outcome.counts.succeeded, 120);
  const after = target.received.filter((r) => r.at > killedAt).map((r) => r.at);
  t.true(after.length >= 11, `${after.length} requests after the restart`);
  const gaps = after.slice(1, 11).map((at, i) => at - after[i]!).sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)]!;
  t.log(`gaps between the first requests after the restart: ${gaps.join(', ')} ms; 429s after it: ${budget.answered.throttled - throttledBefore}`);
  // The base pace would space them 20 ms apart; the restored limiter, about 1000/9.5 ms.
  t.true(median >= 40, `median gap ${median} ms after the restart`);
});
