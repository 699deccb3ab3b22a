import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import test from 'ava';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { openStore } from '../runtime/platform.ts';
import { createApp } from '../server/app.ts';
import { call, startApiScenario, waitForJob } from './helpers/api.ts';
import { csvOfUrls, waitFor } from './helpers/jobs.ts';
import { tempDir } from './helpers/platform.ts';

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

test.serial('/openapi.json is valid OpenAPI 3.1 and in step with the routes: each route documented, each documented route answers', async (t) => {
  const s = await startApiScenario(t);
  writeFileSync(path.join(s.csvDir, 'one.csv'), csvOfUrls(s.target.url, 1));
  const { body: job } = await call(s.api, 'POST', '/trigger', { csv_file: 'one.csv' });
  await waitForJob(s.api, job.job_id, ['completed']);

  const { status, body: doc } = await call(s.api, 'GET', '/openapi.json');
  t.is(status, 200);
  const validator = new Validator();
  const result = await validator.validate(doc);
  t.deepEqual(result.errors ?? [], []);
  t.true(result.valid);
  t.is(validator.version, '3.1');

  const documented = new Set<string>();
  for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${p}`);
  }
  const served = new Set<string>();
  for (const layer of (s.app.router as unknown as { stack: RouterLayer[] }).stack) {
    // The 405 answers are app.all() routes: they answer every method, so they are not operations.
    if (!layer.route || layer.route.methods.unsubscribe) continue;
    for (const method of Object.keys(layer.route.methods)) served.add(`${method.toUpperCase()} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
  }
  t.deepEqual([...served].sort(), [...documented].sort());
  t.true(documented.size >= 16, `${documented.size} operations`);

  for (const operation of documented) {
    const [method, p] = operation.split(' ') as [string, string];
    const r = await call(s.api, method, p.replace('{job_id}', job.job_id), method === 'POST' ? {} : undefined);
    t.notRegex(String(r.body?.type), /not-found$|method-not-allowed$/, `${operation} answers (${r.status})`);
    t.true(r.status < 500, `${operation}: ${r.status}`);
  }
});

const family = (families: MetricFamily[], name: string) => families.find((f) => f.name === name);
const sample = (families: MetricFamily[], name: string, labels: Record<string, string>) =>
  family(families, name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));

// Serial: request counters are per process, and this test counts its own requests.
test.serial('/metrics is Prometheus text: requests by outcome and status class, latency, jobs, rows/s and limiter state per host', async (t) => {
  let calls = 0;
  // Every 5th request is throttled, the rest succeed.
  const s = await startApiScenario(t, { env: { BASE_RATE_LIMIT: '0.05', MAX_RATE_LIMIT: '0.05' }, behave: () => (++calls % 5 === 0 ? { status: 429 } : { status: 200 }) });
  const counted = (families: MetricFamily[], labels: Record<string, string>) => Number(sample(families, 'bulk_requests_total', labels)?.value ?? 0);
  // The parser merges a histogram's labelled series, so its counts are read from the lines themselves.
  const timed = (text: string) => [...text.matchAll(/^bulk_request_duration_seconds_count\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  const textBefore = (await call(s.api, 'GET', '/metrics')).body as string;
  const before = parsePrometheusTextFormat(textBefore);
  writeFileSync(path.join(s.csvDir, 'watched.csv'), csvOfUrls(s.target.url, 200));
  const { body: job } = await call(s.api, 'POST', '/trigger', { csv_file: 'watched.csv' });
  await waitFor(() => s.target.received.length >= 15, '15 requests');
  await call(s.api, 'POST', `/jobs/${job.job_id}/pause`);
  await waitForJob(s.api, job.job_id, ['paused'], 5000);

  const r = await call(s.api, 'GET', '/metrics');
  t.is(r.status, 200);
  t.is(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const families = parsePrometheusTextFormat(r.body as string);
  const ok = { outcome: 'success', status_class: '2xx' };
  const throttling = { outcome: 'transient', status_class: '4xx' };
  const succeeded = counted(families, ok) - counted(before, ok);
  const throttled = counted(families, throttling) - counted(before, throttling);
  t.true(succeeded >= 10, `${succeeded} succeeded`);
  t.true(throttled >= 2, `${throttled} throttled`);
  t.is(succeeded + throttled, s.target.received.length);
  t.is(family(families, 'bulk_request_duration_seconds')?.type, 'HISTOGRAM');
  t.is(timed(r.body as string) - timed(textBefore), s.target.received.length);
  t.is(sample(families, 'bulk_active_jobs', { status: 'paused' })?.value, '1');
  t.is(sample(families, 'bulk_active_jobs', { status: 'running' })?.value, '0');
  t.truthy(family(families, 'bulk_rows_per_second'));
  t.is(sample(families, 'bulk_watch_queue_size', {})?.value, '0');
  const host = { job_id: job.job_id, host: s.target.url };
  const states = family(families, 'bulk_limiter_state')?.metrics.filter((m) => m.labels?.host === s.target.url) ?? [];
  t.is(states.length, 1);
  t.is(states[0]?.value, '1');
  t.true(Number(sample(families, 'bulk_limiter_rate_per_second', host)?.value) > 0);
  t.is(Number(sample(families, 'bulk_limiter_answers', { ...host, answer: 'throttled' })?.value), throttled);
  t.truthy(family(families, 'bulk_process_cpu_seconds_total'), 'process metrics');

  const status = await call(s.api, 'GET', '/status');
  t.is(status.body.queue_size, 0);
  t.is(status.body.active_jobs.length, 1);
  t.like(status.body.active_jobs[0], { job_id: job.job_id, job_name: 'watched', status: 'paused', paused: true, total_rows: 200 });
  t.is(status.body.active_jobs[0].hosts[0].origin, s.target.url);

  const health = await call(s.api, 'GET', '/health');
  t.is(health.status, 200);
  t.deepEqual(health.body, {
    status: 'healthy',
    system: { watchdog_enabled: false, watchdog_running: false, queue_size: 0, database_accessible: true, temporal_connected: true },
  });
  await call(s.api, 'POST', `/jobs/${job.job_id}/cancel`);
  await waitForJob(s.api, job.job_id, ['cancelled'], 5000);
  const after = parsePrometheusTextFormat((await call(s.api, 'GET', '/metrics')).body as string);
  t.is(sample(after, 'bulk_active_jobs', { status: 'paused' })?.value, '0');
  t.is(family(after, 'bulk_limiter_state')?.metrics.length ?? 0, 0, 'no limiter of a job that ended');
});

test('/health is 503 and degraded when the store cannot be reached', async (t) => {
  const s = await startApiScenario(t);
  const store = await openStore({ ...s.p.config, dataDir: tempDir() });
  await store.close();
  const server = createApp({ client: s.p.client, config: s.p.config, db: store, watcher: null, log: () => undefined }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const r = await call(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'GET', '/health');
  t.is(r.status, 503);
  t.like(r.body, { status: 'degraded', system: { database_accessible: false, temporal_connected: true } });
});
