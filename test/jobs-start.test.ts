import { appendFileSync } from 'node:fs';
import os from 'node:os';
import test from 'ava';
import { JobStartError, startJob } from '../runtime/jobs.ts';
import { hashFile } from '../activities/csv-file.ts';
import { pauseSignal } from '../workflows/csv-job.ts';
import { startScenario, startTestPlatform, tempDir, writeCsv } from './helpers/platform.ts';
import { csvOfUrls, progressOf, resultOf, waitFor, waitQuiet } from './helpers/jobs.ts';
import { startTarget } from './helpers/target.ts';

test('the same file while its job runs joins that job; once delivered it is refused unless forced', async (t) => {
  const { target, p } = await startScenario(t, { env: { MAX_WORKERS: '2', BATCH_SLICE_SECONDS: '0.2' }, behave: () => ({ status: 200, delayMs: 5 }) });
  const file = writeCsv(tempDir(), 'same.csv', csvOfUrls(target.url, 200));

  const first = await startJob(p.client, p.config, file);
  const second = await startJob(p.client, p.config, file);
  t.like(second, { jobId: first.jobId, workflowId: first.workflowId, decision: 'fresh', duplicate: true });
  t.false(first.duplicate);
  t.is((await resultOf(p.client, first.workflowId)).counts.succeeded, 200);
  t.is(target.received.length, 200, 'two triggers, one delivery');

  const again = await startJob(p.client, p.config, file);
  t.like(again, { decision: 'already_delivered', deliveredBy: first.jobId });
  const refused = await resultOf(p.client, again.workflowId);
  t.true(refused.alreadyDelivered);
  t.is(target.received.length, 200, 'nothing sent again');

  const forced = await startJob(p.client, p.config, file, { forceRestart: true });
  t.not(forced.jobId, first.jobId);
  t.is(forced.decision, 'fresh');
  t.is((await resultOf(p.client, forced.workflowId)).counts.succeeded, 200);
  t.is(target.received.length, 400);
  t.true(target.received.slice(200).every((r) => r.key.startsWith(`${forced.jobId}:`)), 'new job, new idempotency keys');

  // Jobs are filterable in the Web UI by the search attributes the platform registered.
  const { hash } = await hashFile(file);
  const byHash = new Set<string>();
  for await (const w of p.client.workflow.list({ query: `BulkFileHash = '${hash}'` })) byHash.add(w.workflowId);
  t.deepEqual([...byHash].sort(), [first.jobId, forced.jobId].sort());
  const completed: string[] = [];
  for await (const w of p.client.workflow.list({ query: `BulkJobName = 'same' AND BulkJobStatus = 'completed' AND BulkCsvFile = '${file}'` })) completed.push(w.workflowId);
  t.deepEqual([...new Set(completed)].sort(), [first.jobId, forced.jobId].sort());

  appendFileSync(file, `${target.url}/extra,extra\n`);
  const changed = await startJob(p.client, p.config, file);
  t.not(changed.jobId, first.jobId, 'a changed file is a new job');
  t.is((await resultOf(p.client, changed.workflowId)).counts.succeeded, 201);
});

test('an unfinished job resumes where it stopped; resume=false starts over', async (t) => {
  const { target, p } = await startScenario(t, { store: 'postgres', env: { MAX_WORKERS: '2', BATCH_SLICE_SECONDS: '0.2', CSV_CHUNK_SIZE: '50' }, behave: () => ({ status: 200, delayMs: 10 }) });
  const file = writeCsv(tempDir(), 'resume.csv', csvOfUrls(target.url, 300));

  const first = await startJob(p.client, p.config, file);
  await waitFor(() => target.received.length >= 60, '60 rows');
  await p.client.workflow.getHandle(first.workflowId).signal(pauseSignal);
  await waitFor(async () => (await progressOf(p.client, first.workflowId)).status === 'paused', 'paused');
  // The run is lost (terminated from the Web UI, or a server wiped): its rows stay in the store.
  await p.client.workflow.getHandle(first.workflowId).terminate('test: simulate a lost run');
  const sentBefore = await waitQuiet(() => target.received.length);

  const resumed = await startJob(p.client, p.config, file);
  t.is(resumed.jobId, first.jobId);
  t.is(resumed.decision, 'resume');
  t.true((resumed.resumedFromRow ?? 0) > 1 && (resumed.resumedFromRow ?? 0) <= sentBefore + 1, `resumed from ${resumed.resumedFromRow}`);
  const outcome = await resultOf(p.client, resumed.workflowId);
  t.is(outcome.status, 'completed');
  t.is(outcome.counts.succeeded, 300);
  t.is(target.byKey.size, 300);
  t.is(target.received.length, 300, 'no row was sent twice');

  const fresh = await startJob(p.client, p.config, file, { forceRestart: true, resume: false });
  t.is(fresh.decision, 'fresh');
  t.is((await resultOf(p.client, fresh.workflowId)).counts.succeeded, 300);
});

test('an unfinished job older than RESUME_MAX_AGE_DAYS starts over', async (t) => {
  const { target, p } = await startScenario(t, { env: { MAX_WORKERS: '2', BATCH_SLICE_SECONDS: '0.2' }, behave: () => ({ status: 200, delayMs: 10 }) });
  const file = writeCsv(tempDir(), 'old.csv', csvOfUrls(target.url, 100));
  const first = await startJob(p.client, p.config, file);
  await waitFor(() => target.received.length >= 20, '20 rows');
  await p.client.workflow.getHandle(first.workflowId).terminate('test: simulate a lost run');
  // Termination does not stop a batch already running on the worker: let it drain first.
  const sentBefore = await waitQuiet(() => target.received.length);
  await p.db.query(`UPDATE jobs SET updated_at = now() - interval '8 days' WHERE job_id = $1`, [first.jobId]);

  const again = await startJob(p.client, p.config, file);
  t.is(again.jobId, first.jobId);
  t.is(again.decision, 'fresh');
  t.is((await resultOf(p.client, again.workflowId)).counts.succeeded, 100);
  t.is(target.received.length, sentBefore + 100, 'every row sent again');
});

test('history stays bounded: the job continues as new and keeps its counts', async (t) => {
  const { target, p } = await startScenario(t, { env: { CSV_CHUNK_SIZE: '40', CONTINUE_AS_NEW_AFTER_BATCHES: '3' } });
  const lines = ['webhook_url'];
  for (let i = 1; i <= 500; i++) lines.push(i % 10 === 0 ? 'not a url' : `${target.url}/r/${i}`);
  const file = writeCsv(tempDir(), 'can.csv', lines.join('\n'));
  const info = await startJob(p.client, p.config, file);
  const outcome = await resultOf(p.client, info.workflowId);
  t.deepEqual(outcome.counts, { pending: 0, succeeded: 450, failed: 0, invalid: 50 });
  const first = await p.client.workflow.getHandle(info.workflowId, info.runId).describe();
  t.is(first.status.name, 'CONTINUED_AS_NEW');
  let runs = 0;
  for await (const _ of p.client.workflow.list({ query: `WorkflowId = '${info.workflowId}'` })) runs += 1;
  t.true(runs >= 4, `${runs} runs`);
});

test('a trigger names what is wrong with the file before any job starts', async (t) => {
  const p = await startTestPlatform('pglite');
  t.teardown(() => p.stop());
  const dir = tempDir();
  const cases: [string, string, RegExp][] = [
    ['empty.csv', '', /no header row/],
    ['noheader.csv', 'name,group\na,b\n', /no "webhook_url" column \(columns found: name, group\)/],
    ['binary.csv', '\u0000\u0001\u0002PNG\u0000', /the file is not text \(it has NUL bytes/],
  ];
  for (const [name, content, message] of cases) {
    const err = await t.throwsAsync(startJob(p.client, p.config, writeCsv(dir, name, content)), { instanceOf: JobStartError });
    t.is(err?.problem, 'invalid_csv');
    t.regex(err?.message ?? '', message);
  }
  const missing = await t.throwsAsync(startJob(p.client, p.config, `${dir}/nope.csv`), { instanceOf: JobStartError });
  t.is(missing?.problem, 'not_found');
});

test('a file broken past its header fails the job with the reason, sending nothing', async (t) => {
  const { target, p } = await startScenario(t);
  const file = writeCsv(tempDir(), 'broken.csv', `webhook_url,payload\n${target.url}/a,"{}"\n${target.url}/b,"{\n`);
  const info = await startJob(p.client, p.config, file);
  const err = await t.throwsAsync(resultOf(p.client, info.workflowId));
  t.regex(String((err?.cause as Error | undefined)?.message), /CSV format error after data row 1: Quote Not Closed/);
  t.is(target.received.length, 0);
  const [job] = await p.db.query<{ status: string; error: string }>('SELECT status, error FROM jobs WHERE job_id = $1', [info.jobId]);
  t.is(job?.status, 'failed');
  t.regex(job?.error ?? '', /Quote Not Closed/);
});

test('a job whose file host never reads it fails after FILE_HOST_WAIT_SECONDS, naming the host, sending nothing', async (t) => {
  const target = await startTarget();
  // No process polls this host's file queue: the one that took the file is gone.
  const p = await startTestPlatform('pglite', { FILE_HOST_WAIT_SECONDS: '2' }, { readsFiles: false });
  t.teardown(async () => (await p.stop(), await target.close()));
  const file = writeCsv(tempDir(), 'stranded.csv', csvOfUrls(target.url, 3));
  const info = await startJob(p.client, p.config, file);
  const err = await t.throwsAsync(resultOf(p.client, info.workflowId));
  const message = String((err?.cause as Error | undefined)?.message);
  t.regex(message, new RegExp(`no process on ${os.hostname()} read .*stranded\\.csv within 2 s \\(FILE_HOST_WAIT_SECONDS\\)`));
  t.is(target.received.length, 0);
  const [job] = await p.db.query<{ status: string; error: string }>('SELECT status, error FROM jobs WHERE job_id = $1', [info.jobId]);
  t.is(job?.status, 'failed');
  t.regex(job?.error ?? '', /no process on/);
});
