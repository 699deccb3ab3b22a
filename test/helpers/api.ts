import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Express } from 'express';
import { createApp } from '../../server/app.ts';
import { startScenario, type StoreKind, type TestPlatform } from './platform.ts';
import type { Behaviour, Target } from './target.ts';

export interface ApiScenario {
  app: Express;
  target: Target;
  p: TestPlatform;
  /** Base URL of the REST API, e.g. http://127.0.0.1:12345 */
  api: string;
  /** DATA_DIR/csv: where triggers may name files. */
  csvDir: string;
}

/** A test platform with the REST API served on an ephemeral port of 127.0.0.1. */
export async function startApiScenario(
  t: ExecutionContext,
  opts: { store?: StoreKind; env?: Record<string, string>; behave?: Behaviour } = {},
): Promise<ApiScenario> {
  const { target, p } = await startScenario(t, { ...opts, env: { WEBHOOK_RATE_LIMIT: '0', ...opts.env } });
  const csvDir = path.join(p.config.dataDir, 'csv');
  mkdirSync(csvDir, { recursive: true });
  const app = createApp({ client: p.client, config: p.config, db: p.db, watcher: null, log: (m) => t.log(m) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { app, target, p, api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, csvDir };
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // Whatever the endpoint answered: tests narrow it with their assertions.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One request; JSON bodies are sent as JSON, strings as they are. */
export async function call(api: string, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(api + urlPath, init);
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, headers: res.headers, body: type.includes('json') && text ? JSON.parse(text) : text };
}

/** Polls GET /jobs/:id until the job reaches one of `statuses`. */
export async function waitForJob(api: string, jobId: string, statuses: string[], timeoutMs = 60_000): Promise<ApiAnswer> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(api, 'GET', `/jobs/${jobId}`);
    if (r.status === 200 && statuses.includes(r.body.status)) return r;
    if (Date.now() > until) throw new Error(`job ${jobId} did not reach ${statuses.join('/')}: last answer ${r.status} ${JSON.stringify(r.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
