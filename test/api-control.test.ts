import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { call, startApiScenario, waitForJob } from './helpers/api.ts';
import { csvOfUrls, waitFor, waitQuiet } from './helpers/jobs.ts';

/** 20 requests/s to the target host: a job of 200 rows runs ~10 s, long enough to steer. */
const PACED = { BASE_RATE_LIMIT: '0.05', MAX_RATE_LIMIT: '0.05', MAX_WORKERS: '4' };

test('pause, resume and cancel take effect at the target; a job that is not running answers 409', async (t) => {
  const s = await startApiScenario(t, { env: PACED });
  writeFileSync(path.join(s.csvDir, 'steer.csv'), csvOfUrls(s.target.url, 200));
  const { body: job } = await call(s.api, 'POST', '/trigger', { csv_file: 'steer.csv' });
  await waitFor(() => s.target.received.length >= 10, '10 requests');

  const pausedAt = s.target.received.length;
  const pause = await call(s.api, 'POST', `/jobs/${job.job_id}/pause`);
  t.is(pause.status, 202);
  t.deepEqual(pause.body, { job_id: job.job_id, status: 'paused' });
  await waitForJob(s.api, job.job_id, ['paused'], 5000);
  const drained = await waitQuiet(() => s.target.received.length, 1500);
  // In flight finish, no new one starts: at 20/s about a second's worth at most.
  t.true(drained - pausedAt <= 24, `${drained - pausedAt} requests after the pause`);
  const detail = await call(s.api, 'GET', `/jobs/${job.job_id}`);
  t.like(detail.body, { status: 'paused', paused: true, processed_rows: drained });
  t.is(detail.body.hosts.length, 1);
  t.like(detail.body.hosts[0], { origin: s.target.url, state: 'steady' });

  t.is((await call(s.api, 'POST', `/jobs/${job.job_id}/resume`)).body.status, 'running');
  await waitFor(() => s.target.received.length >= drained + 10, '10 more requests after resume');

  const cancel = await call(s.api, 'POST', `/jobs/${job.job_id}/cancel`);
  t.is(cancel.status, 202);
  const cancelled = await waitForJob(s.api, job.job_id, ['cancelled'], 5000);
  const sent = await waitQuiet(() => s.target.received.length, 1500);
  t.true(sent < 200);
  t.true(cancelled.body.pending_rows > 0);
  t.is(new Set(s.target.received.map((r) => r.path)).size, sent, 'no row sent twice');

  for (const action of ['pause', 'resume', 'cancel']) {
    const r = await call(s.api, 'POST', `/jobs/${job.job_id}/${action}`);
    t.is(r.status, 409, action);
    t.regex(r.body.detail, /not running/);
  }
  t.is((await call(s.api, 'POST', '/jobs/job-0123456789abcdef/pause')).status, 404);
});

test('resume status, stats and clear: a cancelled job resumes where it stopped, or starts over once cleared', async (t) => {
  const s = await startApiScenario(t, { store: 'postgres', env: PACED, behave: (req) => ({ status: req.path === '/r/2' ? 404 : 200 }) });
  writeFileSync(path.join(s.csvDir, 'resume.csv'), csvOfUrls(s.target.url, 200));
  const before = await call(s.api, 'POST', '/resume/status', { csv_file: 'resume.csv' });
  t.like(before.body, { has_checkpoint: false, status: null, processed_rows: 0, expired: false });

  const { body: job } = await call(s.api, 'POST', '/trigger', { csv_file: 'resume.csv' });
  await waitFor(() => s.target.received.length >= 10, '10 requests');
  const refused = await call(s.api, 'POST', '/resume/clear', { csv_file: 'resume.csv' });
  t.is(refused.status, 409);
  t.false(refused.body.cleared);
  await call(s.api, 'POST', `/jobs/${job.job_id}/cancel`);
  await waitForJob(s.api, job.job_id, ['cancelled'], 5000);
  const sent = await waitQuiet(() => s.target.received.length, 1000);

  const status = await call(s.api, 'POST', '/resume/status', { csv_file: 'resume.csv' });
  t.like(status.body, { job_id: job.job_id, file_hash: job.file_hash, has_checkpoint: true, status: 'cancelled', processed_rows: sent, total_rows: 200, expired: false });
  t.true(status.body.checkpoint_age_seconds >= 0 && status.body.checkpoint_age_seconds < 60);
  const stats = await call(s.api, 'GET', '/resume/stats');
  t.is(stats.body.count, 1);
  t.like(stats.body.markers[0], { job_id: job.job_id, csv_file: job.csv_file, processed_rows: sent, total_rows: 200, status: 'cancelled' });

  // Its failed row cannot be retried before the rows it never sent.
  const retry = await call(s.api, 'POST', `/jobs/${job.job_id}/retry-failed`);
  t.is(retry.status, 409);
  t.regex(retry.body.detail, /rows not sent/);

  const cleared = await call(s.api, 'POST', '/resume/clear', { csv_file: 'resume.csv' });
  t.deepEqual(cleared.body, { cleared: true });
  t.like((await call(s.api, 'POST', '/resume/status', { csv_file: 'resume.csv' })).body, { has_checkpoint: false, processed_rows: 0 });
  t.is((await call(s.api, 'GET', '/resume/stats')).body.count, 0);
  t.like((await call(s.api, 'POST', '/resume/clear', { csv_file: 'resume.csv' })).body, { cleared: false });

  // Started over: from row 1, at full speed this time.
  const fresh = await call(s.api, 'POST', '/trigger', { csv_file: 'resume.csv', rate_limit: 0 });
  t.is(fresh.body.resumed_from_row, null);
  await waitForJob(s.api, job.job_id, ['completed']);
  t.is(s.target.received.length, sent + 200);
});

test('retry-failed sends failed rows again: after the rest while a job runs, in a new run once it finished', async (t) => {
  let failing = true;
  const s = await startApiScenario(t, { env: PACED, behave: (req) => ({ status: failing && req.path.startsWith('/flaky') ? 404 : 200 }) });
  const rows = [`webhook_url`, ...[1, 2, 3].map((i) => `${s.target.url}/flaky/${i}`), ...csvOfUrls(s.target.url, 60).split('\n').slice(1)].join('\n');
  writeFileSync(path.join(s.csvDir, 'retry.csv'), rows);

  // While running: the signal is kept until the other rows are done.
  const { body: job } = await call(s.api, 'POST', '/trigger', { csv_file: 'retry.csv' });
  await waitFor(() => s.target.received.filter((r) => r.path.startsWith('/flaky')).length === 3, 'the flaky rows to fail');
  failing = false;
  const whileRunning = await call(s.api, 'POST', `/jobs/${job.job_id}/retry-failed`);
  t.is(whileRunning.status, 202);
  t.like(whileRunning.body, { job_id: job.job_id, status: 'running', run_id: null });
  const done = await waitForJob(s.api, job.job_id, ['completed']);
  t.like(done.body, { succeeded: 63, failed: 0 });
  t.is(s.target.received.filter((r) => r.path.startsWith('/flaky')).length, 6);
  t.is((await call(s.api, 'POST', `/jobs/${job.job_id}/retry-failed`)).status, 409, 'nothing to retry');

  // Finished with failures: a new run over those rows only.
  failing = true;
  writeFileSync(path.join(s.csvDir, 'retry2.csv'), `${rows}\n${s.target.url}/r/61\n`);
  const { body: second } = await call(s.api, 'POST', '/trigger', { csv_file: 'retry2.csv', rate_limit: 0 });
  const failed = await waitForJob(s.api, second.job_id, ['completed']);
  t.like(failed.body, { failed: 3, succeeded: 61 });
  failing = false;
  const receivedBefore = s.target.received.length;
  const retry = await call(s.api, 'POST', `/jobs/${second.job_id}/retry-failed`);
  t.is(retry.status, 202);
  t.like(retry.body, { job_id: second.job_id, failed_rows: 3 });
  t.truthy(retry.body.run_id);
  // The new run's claim puts the failed rows back to pending and the job back to queued.
  await waitFor(async () => (await call(s.api, 'GET', `/jobs/${second.job_id}`)).body.failed === 0, 'the failed rows to be requeued');
  const after = await waitForJob(s.api, second.job_id, ['completed']);
  t.like(after.body, { succeeded: 64, failed: 0, pending_rows: 0 });
  t.deepEqual(s.target.received.slice(receivedBefore).map((r) => r.path).sort(), ['/flaky/1', '/flaky/2', '/flaky/3']);
  t.is((await call(s.api, 'GET', `/jobs/${second.job_id}/errors`)).body.total, 0);
  t.is((await call(s.api, 'POST', '/jobs/job-0123456789abcdef/retry-failed')).status, 404);
});
