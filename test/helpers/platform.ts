import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { ExecutionContext } from 'ava';
import { startTarget, type Behaviour, type Target } from './target.ts';
import { loadConfig, type Config } from '../../core/config.ts';
import type { Database } from '../../store/database.ts';
import { openStore } from '../../runtime/platform.ts';
import { connectClient } from '../../runtime/temporal.ts';
import { createFileWorker, createJobWorker } from '../../runtime/worker.ts';

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function tempDir(prefix = 'bat-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeCsv(dir: string, name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** A config for one test: its own task queue and data dir, no pacing, short retry delays. */
export function testConfig(env: Record<string, string> = {}): Config {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests with `npm test`');
  return loadConfig({
    DATA_DIR: tempDir(),
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(6).toString('hex')}`,
    BASE_RATE_LIMIT: '0',
    MAX_RATE_LIMIT: '0',
    MAX_WORKERS: '16',
    RETRY_BASE_DELAY: '0.01',
    RETRY_MAX_DELAY: '0.2',
    HEARTBEAT_TIMEOUT: '5',
    LOG_LEVEL: 'error',
    ...env,
  });
}

/** A new, empty Postgres database on the local server; `drop` removes it. */
export async function freshPostgres(adminUrl = POSTGRES_ADMIN_URL): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bat_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type StoreKind = 'pglite' | 'postgres';

export interface TestPlatform {
  config: Config;
  client: Client;
  db: Database;
  worker: Worker;
  stop(): Promise<void>;
}

/** A recording target and a test platform, both torn down when the test ends. */
export async function startScenario(
  t: ExecutionContext,
  opts: { store?: StoreKind; env?: Record<string, string>; behave?: Behaviour } = {},
): Promise<{ target: Target; p: TestPlatform }> {
  const target = await startTarget(opts.behave);
  const p = await startTestPlatform(opts.store ?? 'pglite', opts.env);
  t.teardown(async () => {
    await p.stop();
    await target.close();
  });
  return { target, p };
}

/**
 * Store + client + running worker for one test; embedded PGlite or a fresh Postgres database.
 * `readsFiles: false` leaves this host's file queue unpolled, as when the process that took a file is gone.
 */
export async function startTestPlatform(store: StoreKind, env: Record<string, string> = {}, { readsFiles = true } = {}): Promise<TestPlatform> {
  const pgdb = store === 'postgres' ? await freshPostgres() : null;
  const config = testConfig({ ...env, ...(pgdb ? { DATABASE_URL: pgdb.url } : {}) });
  const db = await openStore(config);
  const client = await connectClient(config.temporal.address!, config.temporal.namespace);
  const { worker, connection } = await createJobWorker({ address: config.temporal.address!, config, db, role: 'test' });
  const fileWorker = readsFiles ? await createFileWorker(connection, { config, db, role: 'test' }) : null;
  const running = Promise.all([worker.run(), fileWorker?.run()]);
  let stopped: Promise<void> | null = null;
  return {
    config,
    client,
    db,
    worker,
    // Idempotent: a test may stop its platform early (to restart or restore), teardown stops it again.
    stop: () =>
      (stopped ??= (async () => {
        for (const w of [worker, fileWorker]) if (w?.getState() === 'RUNNING') w.shutdown();
        await running;
        await connection.close();
        await client.connection.close();
        await db.close();
        await pgdb?.drop();
      })()),
  };
}
