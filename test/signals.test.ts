import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { startJob } from '../runtime/jobs.ts';
import { cancelSignal, pauseSignal, resumeSignal } from '../workflows/csv-job.ts';
import { getJob } from '../store/jobs-repo.ts';
import { startTarget } from './helpers/target.ts';
import { startTestPlatform, tempDir, writeCsv } from './helpers/platform.ts';
import { csvOfUrls, progressOf, resultOf, waitFor } from './helpers/jobs.ts';

const ROWS = 300;
// ~100 rows/s: slow enough to pause mid-job, fast enough to finish in seconds.
const ENV = { MAX_WORKERS: '2', BATCH_SLICE_SECONDS: '0.2', CSV_CHUNK_SIZE: '100' };

test('pause stops new requests within about a second; resume delivers the rest', async (t) => {
  const target = await startTarget(() => ({ status: 200, delayMs: 20 }));
  const p = await startTestPlatform('pglite', ENV);
  t.teardown(async () => (await p.stop(), await target.close()));
  const file = writeCsv(tempDir(), 'pause.csv', csvOfUrls(target.url, ROWS));
  const info = await startJob(p.client, p.config, file);
  const handle = p.client.workflow.getHandle(info.workflowId);

  await waitFor(() => target.received.length >= 40, '40 rows received');
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
  const target = await startTarget(() => ({ status: 200, delayMs: 20 }));
  const p = await startTestPlatform('pglite', ENV);
  t.teardown(async () => (await p.stop(), await target.close()));
  const file = writeCsv(tempDir(), 'cancel.csv', csvOfUrls(target.url, ROWS));
  const info = await startJob(p.client, p.config, file);

  await waitFor(() => target.received.length >= 40, '40 rows received');
  await p.client.workflow.getHandle(info.workflowId).signal(cancelSignal);
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
  const target = await startTarget(() => ({ status: 200, delayMs: 20 }));
  const p = await startTestPlatform('pglite', ENV);
  t.teardown(async () => (await p.stop(), await target.close()));
  const file = writeCsv(tempDir(), 'paused-cancel.csv', csvOfUrls(target.url, ROWS));
  const info = await startJob(p.client, p.config, file);
  const handle = p.client.workflow.getHandle(info.workflowId);
  await waitFor(() => target.received.length >= 10, '10 rows received');
  await handle.signal(pauseSignal);
  await waitFor(async () => (await progressOf(p.client, info.workflowId)).paused, 'paused');
  await handle.signal(cancelSignal);
  t.is((await resultOf(p.client, info.workflowId)).status, 'cancelled');
});
