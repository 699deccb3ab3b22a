import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { call, startApiScenario, waitForJob } from './helpers/api.ts';
import { csvOfUrls } from './helpers/jobs.ts';
import { tempDir } from './helpers/platform.ts';

test('POST /trigger delivers a file and the job shows in /jobs, /jobs/:id and /jobs/:id/errors', async (t) => {
  const s = await startApiScenario(t, { store: 'postgres', behave: (req) => ({ status: req.path.startsWith('/missing') ? 404 : 200 }) });
  const rows = [csvOfUrls(s.target.url, 20).trimEnd(), `${s.target.url}/missing/1,gone`, 'not-a-url,broken'].join('\n');
  writeFileSync(path.join(s.csvDir, 'orders.csv'), `${rows}\n`);

  const started = await call(s.api, 'POST', '/trigger', { csv_file: 'orders.csv', job_name: 'orders', workers: 4 });
  t.is(started.status, 202);
  t.regex(started.body.job_id, /^job-[0-9a-f]{16}$/);
  t.is(started.body.workflow_id, started.body.job_id);
  t.is(started.body.csv_file, path.join(await realCsvDir(s.csvDir), 'orders.csv'));
  t.like(started.body, { status: 'running', duplicate: false, already_delivered: false, resumed_from_row: null });

  const done = await waitForJob(s.api, started.body.job_id, ['completed']);
  t.like(done.body, { job_name: 'orders', total_rows: 22, succeeded: 20, failed: 1, invalid_rows: 1, processed_rows: 22, pending_rows: 0, triggered_by: 'api' });
  t.is(s.target.received.length, 21);

  const list = await call(s.api, 'GET', '/jobs?status=completed&limit=10');
  t.is(list.status, 200);
  t.is(list.body.total, 1);
  t.is(list.body.jobs[0].job_id, started.body.job_id);
  t.is((await call(s.api, 'GET', '/jobs?status=running')).body.total, 0);

  const errors = await call(s.api, 'GET', `/jobs/${started.body.job_id}/errors`);
  t.is(errors.body.total, 2);
  t.like(errors.body.errors[0], { row: 21, status: 'failed', webhook_url: `${s.target.url}/missing/1`, name: 'gone', status_code: 404, error: 'HTTP 404', attempts: 1 });
  t.like(errors.body.errors[1], { row: 22, status: 'invalid', status_code: null, attempts: 0 });
  t.regex(errors.body.errors[1].error, /webhook_url/);
  t.is((await call(s.api, 'GET', `/jobs/${started.body.job_id}/errors?limit=1&offset=1`)).body.errors[0].row, 22);

  const again = await call(s.api, 'POST', '/trigger', { csv_file: 'orders.csv' });
  t.is(again.status, 202);
  t.like(again.body, { already_delivered: true, delivered_by: started.body.job_id, status: 'completed' });
  t.is(s.target.received.length, 21, 'nothing sent again');
});

test('POST /trigger with dry_run validates every row and sends nothing', async (t) => {
  const s = await startApiScenario(t);
  writeFileSync(path.join(s.csvDir, 'check.csv'), `webhook_url,method\n${s.target.url}/a,POST\nftp://x/y,GET\n${s.target.url}/b,FETCH\n`);
  const r = await call(s.api, 'POST', '/trigger', { csv_file: 'check.csv', dry_run: true });
  t.is(r.status, 200);
  t.like(r.body, { total_rows: 3, valid_rows: 1, invalid_rows: 2 });
  t.deepEqual(r.body.errors.map((e: { row: number }) => e.row), [2, 3]);
  t.regex(r.body.errors[1].reason, /method/);
  t.is(s.target.received.length, 0);
});

test('POST /trigger/batch starts one job per file; bad files are reported and do not stop the others', async (t) => {
  const s = await startApiScenario(t);
  writeFileSync(path.join(s.csvDir, 'a.csv'), csvOfUrls(s.target.url, 3, 'a'));
  writeFileSync(path.join(s.csvDir, 'b.csv'), csvOfUrls(s.target.url, 4, 'b'));
  writeFileSync(path.join(s.csvDir, 'nourl.csv'), 'url,name\nhttp://x,y\n');
  const r = await call(s.api, 'POST', '/trigger/batch', { csv_files: ['a.csv', 'missing.csv', '../../etc/passwd', 'nourl.csv', 'b.csv'], job_name: 'nightly' });
  t.is(r.status, 202);
  const [a, missing, escape, nourl, b] = r.body.jobs;
  t.like(missing, { csv_file: 'missing.csv', status_code: 404 });
  t.like(escape, { csv_file: '../../etc/passwd', status_code: 400 });
  t.like(nourl, { csv_file: 'nourl.csv', status_code: 422 });
  t.regex(nourl.error, /webhook_url/);
  for (const job of [a, b]) await waitForJob(s.api, job.job_id, ['completed']);
  t.is(s.target.received.length, 7);
  t.is((await call(s.api, 'GET', `/jobs/${a.job_id}`)).body.job_name, 'nightly');
});

async function realCsvDir(dir: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(dir);
}

test('bad requests get problem+json naming the problem, and nothing is read or started', async (t) => {
  const outside = tempDir('bat-outside-');
  writeFileSync(path.join(outside, 'secret.csv'), 'webhook_url\nhttp://127.0.0.1:1/x\n');
  const allowed = tempDir('bat-allowed-');
  const s = await startApiScenario(t, { env: { CSV_ALLOWED_DIRS: allowed } });
  writeFileSync(path.join(s.csvDir, 'nourl.csv'), 'url\nhttp://x\n');
  symlinkSync(path.join(outside, 'secret.csv'), path.join(s.csvDir, 'link-out.csv'));
  symlinkSync(outside, path.join(s.csvDir, 'dir-out'));
  mkdirSync(path.join(s.csvDir, 'folder.csv'));

  const cases: [string, unknown, number, RegExp][] = [
    ['malformed JSON', '{"csv_file": ', 400, /not valid JSON/],
    ['a JSON array', [1, 2], 400, /expected object/],
    ['no body', undefined, 400, /csv_file/],
    ['csv_file not a string', { csv_file: 5 }, 400, /csv_file: .*string/],
    ['workers not a number', { csv_file: 'x.csv', workers: 'many' }, 400, /workers: .*number/],
    ['resume not a boolean', { csv_file: 'x.csv', resume: 'yes' }, 400, /resume/],
    ['body over 1 MiB', { csv_file: 'x'.repeat(1024 * 1024 + 10) }, 413, /1 MiB/],
    ['parent traversal', { csv_file: '../../../../etc/passwd' }, 400, /outside the allowed CSV folders/],
    ['absolute path elsewhere', { csv_file: path.join(outside, 'secret.csv') }, 400, /outside/],
    ['symlinked file out', { csv_file: 'link-out.csv' }, 400, /outside/],
    ['symlinked folder out', { csv_file: 'dir-out/secret.csv' }, 400, /outside/],
    ['missing file in an allowed folder', { csv_file: 'nope.csv' }, 404, /does not exist/],
    ['missing file under a symlinked folder out', { csv_file: 'dir-out/nope.csv' }, 400, /outside/],
    ['a folder', { csv_file: 'folder.csv' }, 422, /not a file/],
    ['no webhook_url column', { csv_file: 'nourl.csv' }, 422, /webhook_url/],
    ['workers out of range', { csv_file: path.join(allowed, 'x.csv'), workers: 0 }, 400, /workers=0/],
  ];
  writeFileSync(path.join(allowed, 'x.csv'), `webhook_url\n${s.target.url}/x\n`);
  for (const [what, body, status, detail] of cases) {
    const r = await call(s.api, 'POST', '/trigger', body);
    t.is(r.status, status, what);
    t.is(r.headers.get('content-type'), 'application/problem+json; charset=utf-8', what);
    t.like(r.body, { status, title: r.body.title }, what);
    t.regex(r.body.type, /^urn:bulk-api-trigger:problem:/, what);
    t.regex(r.body.detail, detail, what);
    t.false(JSON.stringify(r.body).includes('    at '), `${what}: no stack trace`);
  }
  for (const endpoint of ['/resume/status', '/resume/clear']) {
    t.regex((await call(s.api, 'POST', endpoint, {})).body.detail, /csv_file: .*expected string/, endpoint);
    t.is((await call(s.api, 'POST', endpoint, { csv_file: '../../../../etc/passwd' })).status, 400, endpoint);
    t.is((await call(s.api, 'POST', endpoint, { csv_file: 'link-out.csv' })).status, 400, endpoint);
    t.is((await call(s.api, 'POST', endpoint, { csv_file: 'nope.csv' })).status, 404, endpoint);
  }
  t.regex((await call(s.api, 'POST', '/trigger/batch', { csv_files: [] })).body.detail, /csv_files: .*1 item/);
  t.regex((await call(s.api, 'POST', '/trigger/batch', { csv_files: 'a.csv' })).body.detail, /csv_files: .*array/);
  t.regex((await call(s.api, 'GET', '/jobs/job-0123456789abcdef/errors?offset=-1')).body.detail, /offset/);
  const notJson = await call(s.api, 'POST', '/trigger', 'csv_file=x.csv', { 'content-type': 'application/x-www-form-urlencoded' });
  t.is(notJson.status, 415);
  t.is((await call(s.api, 'GET', '/jobs/job-0123456789abcdef')).status, 404);
  t.regex((await call(s.api, 'GET', '/jobs/not-a-job')).body.detail, /job_id: expected a job id/);
  t.regex((await call(s.api, 'GET', '/jobs?limit=0')).body.detail, /limit/);
  t.regex((await call(s.api, 'GET', '/jobs?status=done')).body.detail, /status/);
  t.is((await call(s.api, 'GET', '/nowhere')).status, 404);
  const wrongMethod = await call(s.api, 'GET', '/trigger');
  t.is(wrongMethod.status, 405);
  t.is(wrongMethod.headers.get('allow'), 'POST');
  t.is(s.target.received.length, 0);
  t.is((await call(s.api, 'GET', '/jobs')).body.total, 0, 'no job was created');

  // The allowed extra folder works, absolute or not.
  const ok = await call(s.api, 'POST', '/trigger', { csv_file: path.join(allowed, 'x.csv') });
  t.is(ok.status, 202);
  await waitForJob(s.api, ok.body.job_id, ['completed']);
  t.is(s.target.received.length, 1);
});
