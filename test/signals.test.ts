import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { startJob } from '../runtime/jobs.ts';
import { cancelSignal, pauseSignal, resumeSignal } from '../workflows/csv-job.ts';
import { getJob } from '../store/jobs-repo.ts';
import { startScenario, tempDir, writeCsv } from './helpers/platform.ts';
import { csvOfUrls, progressOf, resultOf, waitFor } from './helpers/jobs.ts';

const ROWS = 300;
// ~100 rows/s: slow enough to pause mid-job, fast enough to finish in seconds.
const ENV = { MAX_WORKERS: '2', BATCH_SLICE_SECONDS: '0.2', CSV_CHUNK_SIZE: '100' };

/** A running job of ROWS rows against a slow target, once `sent` rows have arrived. */
async function slowJob(t: ExecutionContext, name: string, sent: number) {
  const { target, p } = await startScenario(t, { env: ENV, behave: () => ({ status: 200, delayMs: 20 }) });
  const info = await startJob(p.client, p.config, writeCsv(tempDir(), name, csvOfUrls(target.url, ROWS)));
  await waitFor(() => target.received.length >= sent, `${sent} rows received`);
  return { target, p, info, handle: p.client.workflow.getHandle(info.workflowId) };
}

test('pause stops new requests within about a second; resume delivers the rest', async (t) => {
  const { target, p, info, handle } = await slowJob(t, 'pause.csv', 40);
  const pausedAt = Date.now();
  await handle.signal(pauseSignal);
  await waitFor(async () => (await progressOf(p.client, info.workflowId)).status === 'paused', 'status paused');
  t.log(`paused after ${Date.now() - pausedAt} ms`);
  const atPause = target.received.length;
  await sleep(1500);
  t.is(target.received.length, atPause, 'nothing is sent while paused');
  t.true(atPause < ROWS);
  t.is((await getJob(p.db, info.jobId))?.status, 'paused');

  await handle.signal(resumeSignal);
  const outcome = await resultOf(p.client, info.workflowId);
  t.is(outcome.status, 'completed');
  t.is(outcome.counts.succeeded, ROWS);
  t.is(target.byKey.size, ROWS);
});

test('cancel stops at a row boundary and finishes the job as cancelled', async (t) => {
  const { target, p, info, handle } = await slowJob(t, 'cancel.csv', 40);
  await handle.signal(cancelSignal);
  const outcome = await resultOf(p.client, info.workflowId);
  const atEnd = target.received.length;
  await sleep(500);
  t.is(target.received.length, atEnd, 'nothing is sent after the job ended');
  t.is(outcome.status, 'cancelled');
  t.true(atEnd < ROWS);
  t.is(outcome.counts.succeeded, atEnd, 'every request sent has its outcome stored');
  t.is(outcome.counts.pending, ROWS - atEnd);
  const job = await getJob(p.db, info.jobId);
  t.like(job, { status: 'cancelled', succeeded: atEnd });
});

test('a paused job can be cancelled', async (t) => {
  const { p, info, handle } = await slowJob(t, 'paused-cancel.csv', 10);
  await handle.signal(pauseSignal);
  await waitFor(async () => (await progressOf(p.client, info.workflowId)).paused, 'paused');
  await handle.signal(cancelSignal);
  t.is((await resultOf(p.client, info.workflowId)).status, 'cancelled');
});
