import { once } from 'node:events';
import os from 'node:os';
import test from 'ava';
import type { Client } from '@temporalio/client';
import { startJob } from '../runtime/jobs.ts';
import type { JobOutcome } from '../workflows/csv-job.ts';
import { MAX_UNWRITTEN_ROWS, SENDERS_PER_WORKER } from '../activities/dispatch-batch.ts';
import { startTarget, type Received } from './helpers/target.ts';
import { tempDir, writeCsv } from './helpers/platform.ts';
import { csvOfUrls, deliveryAt, waitFor } from './helpers/jobs.ts';
import { workerScenario } from './helpers/workers.ts';
import { freePort } from './helpers/ports.ts';

/** Who ran each activity of a workflow's runs (all of them, continue-as-new included), and on which task queues: type → identities / queues. */
async function activityWorkers(client: Client, workflowId: string): Promise<Map<string, Set<string>>> {
  const byType = new Map<string, Set<string>>();
  const add = (key: string, value: string) => byType.set(key, (byType.get(key) ?? new Set()).add(value));
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    const typeOf = new Map<string, string>();
    for (const e of history.events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) {
        typeOf.set(String(e.eventId), scheduled.activityType?.name ?? '');
        add(`${scheduled.activityType?.name ?? ''} queue`, scheduled.taskQueue?.name ?? '');
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        add(typeOf.get(String(started.scheduledEventId)) ?? '', started.identity ?? '');
      }
    }
  }
  return byType;
}

/** The sum of `bulk_requests_total` on a worker's metrics port. */
async function requestsCountedAt(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^bulk_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const workerIdentity = (pid: number | undefined) => `worker@${os.hostname()}:${pid}`;

// Serial: each test runs two worker processes beside ava on a two-core machine.

test.serial('two worker processes share one job: both send batches, every row is delivered once', async (t) => {
  const ROWS = 3000;
  const target = await startTarget(() => ({ status: 200, delayMs: 2 }));
  const { config, client, startWorker } = await workerScenario(t, target, {
    BATCH_WINDOW: '4',
    CSV_CHUNK_SIZE: '250',
    MAX_WORKERS: '8',
    BASE_RATE_LIMIT: '0',
    MAX_RATE_LIMIT: '0',
  });
  const ports = [await freePort(), await freePort()];
  const [a, b] = [await startWorker({ WORKER_HEALTH_PORT: String(ports[0]) }), await startWorker({ WORKER_HEALTH_PORT: String(ports[1]) })];
  const file = writeCsv(tempDir(), 'shared.csv', csvOfUrls(target.url, ROWS));
  const info = await startJob(client, config, file);
  const outcome = (await client.workflow.getHandle(info.workflowId).result()) as JobOutcome;
  t.is(outcome.status, 'completed');
  t.deepEqual(outcome.counts, { pending: 0, succeeded: ROWS, failed: 0, invalid: 0 });

  t.is(target.received.length, ROWS, 'no row was sent twice');
  t.is(target.byKey.size, ROWS, 'every row arrived');

  const workers = await activityWorkers(client, info.workflowId);
  const senders = workers.get('dispatchBatch') ?? new Set();
  t.log(`dispatchBatch ran on ${[...senders].join(', ')}; ingestCsv on ${[...(workers.get('ingestCsv') ?? [])].join(', ')}`);
  t.true(senders.has(workerIdentity(a.pid)), 'the first worker sent batches');
  t.true(senders.has(workerIdentity(b.pid)), 'the second worker sent batches');
  // Each worker's /metrics counts the requests it sent: together, the job's.
  const sent = await Promise.all(ports.map(requestsCountedAt));
  t.log(`requests counted by each worker's /metrics: ${sent.join(' + ')}`);
  t.true(sent.every((n) => n > 0));
  t.is(sent[0]! + sent[1]!, ROWS);

  // The file was read on the queue of the host where it was triggered; batches went to the shared queue.
  t.deepEqual([...(workers.get('ingestCsv queue') ?? [])], [`${config.temporal.taskQueue}/files@${os.hostname()}`]);
  t.deepEqual([...(workers.get('dispatchBatch queue') ?? [])], [config.temporal.taskQueue]);
});

test.serial('one of two workers killed mid-job: the other finishes it, resending only what was in flight', async (t) => {
  const ROWS = 3000;
  const WINDOW = 4;
  const MAX_WORKERS = 8;
  const target = await startTarget(() => ({ status: 200, delayMs: 3 }));
  const { config, client, db, startWorker } = await workerScenario(t, target, {
    BATCH_WINDOW: String(WINDOW),
    CSV_CHUNK_SIZE: '250',
    MAX_WORKERS: String(MAX_WORKERS),
    BASE_RATE_LIMIT: '0',
    MAX_RATE_LIMIT: '0',
  });
  const [doomed, survivor] = [await startWorker(), await startWorker()];
  const file = writeCsv(tempDir(), 'killed.csv', csvOfUrls(target.url, ROWS));
  const info = await startJob(client, config, file);
  await waitFor(() => target.received.length >= 900, 'a third of the rows');
  doomed.kill('SIGKILL');
  await once(doomed, 'exit');
  const receivedAtKill = target.received.length;
  t.true(receivedAtKill < ROWS, 'the worker died mid-job');

  const outcome = (await client.workflow.getHandle(info.workflowId).result()) as JobOutcome;
  t.is(outcome.status, 'completed');
  t.is(outcome.counts.succeeded, ROWS);
  const { missing, twice } = deliveryAt(target, info.jobId, ROWS);
  t.deepEqual(missing, [], 'every row was received');
  // At most every batch of the window was on the dead worker, each with its share of MAX_WORKERS
  // on the wire and its unwritten outcomes (see the crash test).
  const perBatch = MAX_WORKERS / WINDOW;
  const inFlight = WINDOW * (perBatch + 2 * (MAX_UNWRITTEN_ROWS + SENDERS_PER_WORKER * perBatch));
  t.log(`received at the kill: ${receivedAtKill}; rows received twice: ${twice} (in flight at most ${inFlight})`);
  t.true(twice <= inFlight, `${twice} rows were sent twice`);

  const senders = (await activityWorkers(client, info.workflowId)).get('dispatchBatch') ?? new Set();
  t.true(senders.has(workerIdentity(survivor.pid)), 'the survivor sent batches');
  const [stored] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job_rows WHERE job_id = $1 AND status = 'succeeded'`, [info.jobId]);
  t.is(stored?.n, ROWS);
});

const span = (rs: Received[]) => (Math.max(...rs.map((r) => r.at)) - Math.min(...rs.map((r) => r.at))) / 1000;

test.serial('politeness is global: two workers on one job for a host allowing R/s send near R/s in total, not 2R', async (t) => {
  const R = 30;
  const ROWS = 300;
  // The host answers everything, so only the job's pace keeps it within its R/s.
  const target = await startTarget(() => ({ status: 200 }));
  const { config, client, startWorker } = await workerScenario(t, target, {
    BATCH_WINDOW: '2',
    CSV_CHUNK_SIZE: '40',
    MAX_WORKERS: '8',
    // The host's R/s as the job's pace, never faster (MIN_RATE_LIMIT unset = BASE_RATE_LIMIT).
    BASE_RATE_LIMIT: String(1 / R),
    MAX_RATE_LIMIT: '2',
  });
  const [a, b] = [await startWorker(), await startWorker()];
  const file = writeCsv(tempDir(), 'polite.csv', csvOfUrls(target.url, ROWS));
  const info = await startJob(client, config, file);
  const outcome = (await client.workflow.getHandle(info.workflowId).result()) as JobOutcome;
  t.is(outcome.counts.succeeded, ROWS);

  const senders = (await activityWorkers(client, info.workflowId)).get('dispatchBatch') ?? new Set();
  t.true(senders.has(workerIdentity(a.pid)) && senders.has(workerIdentity(b.pid)), `both workers sent (${[...senders].join(', ')})`);
  const first = Math.min(...target.received.map((r) => r.at));
  const perSecond: number[] = [];
  for (const r of target.received) {
    const s = Math.floor((r.at - first) / 1000);
    perSecond[s] = (perSecond[s] ?? 0) + 1;
  }
  const overall = target.received.length / span(target.received);
  t.log(`${overall.toFixed(1)}/s overall for R = ${R}/s; requests in each second: ${perSecond.join(' ')}`);
  // Each worker pacing at the whole R would send 2R (measured: 61 in each full second).
  t.true(overall <= 1.2 * R, `${overall.toFixed(1)}/s overall`);
  t.true(Math.max(...perSecond) <= 1.5 * R, `${Math.max(...perSecond)} requests in one second`);
  t.true(overall >= 0.7 * R, `${overall.toFixed(1)}/s overall: the window did not starve the job`);
});
