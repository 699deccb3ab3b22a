import { existsSync, readdirSync } from 'node:fs';
import test from 'ava';
import { call, startApiScenario, waitForJob } from './helpers/api.ts';
import { csvOfUrls } from './helpers/jobs.ts';

const uploads = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

test('POST /trigger/upload takes a text/csv body or a multipart form, stores it and starts its job', async (t) => {
  const s = await startApiScenario(t);
  const dir = s.p.config.api.uploadDir;
  const body = await call(s.api, 'POST', '/trigger/upload?job_name=raw%20body&workers=2', csvOfUrls(s.target.url, 6, 'raw'), { 'content-type': 'text/csv' });
  t.is(body.status, 202, JSON.stringify(body.body));
  t.like(body.body, { status: 'running', already_delivered: false });
  t.true(body.body.csv_file.startsWith(dir));
  await waitForJob(s.api, body.body.job_id, ['completed']);
  t.is((await call(s.api, 'GET', `/jobs/${body.body.job_id}`)).body.job_name, 'raw body');

  const form = new FormData();
  form.append('job_name', 'from a form');
  form.append('file', new Blob([csvOfUrls(s.target.url, 4, 'form')], { type: 'text/csv' }), 'orders.csv');
  const res = await fetch(`${s.api}/trigger/upload`, { method: 'POST', body: form });
  const multipart = (await res.json()) as { job_id: string; csv_file: string };
  t.is(res.status, 202);
  t.regex(multipart.csv_file, /\/orders-[0-9a-f-]{36}\.csv$/);
  await waitForJob(s.api, multipart.job_id, ['completed']);
  t.is((await call(s.api, 'GET', `/jobs/${multipart.job_id}`)).body.job_name, 'from a form');
  t.is(s.target.received.length, 10);

  // The same content again: already delivered, and the second copy is not kept.
  const again = await call(s.api, 'POST', '/trigger/upload', csvOfUrls(s.target.url, 6, 'raw'), { 'content-type': 'text/csv' });
  t.like(again.body, { already_delivered: true, delivered_by: body.body.job_id });
  t.is(uploads(dir).length, 2);
});

test('POST /trigger/upload refuses what it cannot take, and keeps nothing of it', async (t) => {
  const s = await startApiScenario(t, { env: { MAX_UPLOAD_MB: '1' } });
  const dir = s.p.config.api.uploadDir;
  const big = `webhook_url\n${`${s.target.url}/x\n`.repeat(Math.ceil((1.5 * 1024 * 1024) / 25))}`;
  const tooBig = await call(s.api, 'POST', '/trigger/upload', big, { 'content-type': 'text/csv' });
  t.is(tooBig.status, 413);
  t.regex(tooBig.body.detail, /over 1 MB \(MAX_UPLOAD_MB\)/);
  // Streamed with no Content-Length, it is cut off at the limit all the same.
  const chunked = await fetch(`${s.api}/trigger/upload`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: new Blob([big]).stream(),
    duplex: 'half',
  } as RequestInit);
  t.is(chunked.status, 413);
  const form = new FormData();
  form.append('file', new Blob([big], { type: 'text/csv' }), 'big.csv');
  t.is((await fetch(`${s.api}/trigger/upload`, { method: 'POST', body: form })).status, 413);

  const notCsv = await call(s.api, 'POST', '/trigger/upload', 'url,name\nhttp://x,y\n', { 'content-type': 'text/csv' });
  t.is(notCsv.status, 422);
  t.regex(notCsv.body.detail, /webhook_url/);
  t.is((await call(s.api, 'POST', '/trigger/upload', { csv: 'x' })).status, 415);
  const noFile = new FormData();
  noFile.append('job_name', 'nothing');
  const missing = await fetch(`${s.api}/trigger/upload`, { method: 'POST', body: noFile });
  t.is(missing.status, 400);
  t.regex(((await missing.json()) as { detail: string }).detail, /no "file" field/);
  const badOption = await call(s.api, 'POST', '/trigger/upload?resume=maybe', csvOfUrls(s.target.url, 1), { 'content-type': 'text/csv' });
  t.is(badOption.status, 400);
  t.regex(badOption.body.detail, /resume/);
  t.deepEqual(uploads(dir), [], 'nothing kept');
  t.is(s.target.received.length, 0);
});
