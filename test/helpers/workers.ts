import type { ChildProcess } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { connectClient } from '../../runtime/temporal.ts';
import { openStore } from '../../runtime/platform.ts';
import { connectWorkers, createFileWorker } from '../../runtime/worker.ts';
import { spawnReady } from '../../bench/processes.ts';
import type { Target } from './target.ts';
import { freshPostgres, testConfig } from './platform.ts';

/** `npm run worker` as a child process; resolves once it polls. */
async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const { child, line } = await spawnReady(['runtime/worker-main.ts'], env);
  if (!line.includes('ready')) throw new Error(`worker said ${line}`);
  return child;
}

/**
 * Scale-out in one test: a fresh Postgres, worker processes (`npm run worker`) on one task queue,
 * and this process as the one that starts jobs (with a worker on this host's file queue, as
 * `npm run api` has). Everything is gone when the test ends.
 */
export async function workerScenario(t: ExecutionContext, target: Target, env: Record<string, string>) {
  const pg = await freshPostgres();
  const shared = { ...env, DATABASE_URL: pg.url, HEARTBEAT_TIMEOUT: '2' };
  const config = testConfig(shared);
  const childEnv = { ...shared, TEMPORAL_ADDRESS: config.temporal.address!, TEMPORAL_TASK_QUEUE: config.temporal.taskQueue, DATA_DIR: config.dataDir, LOG_LEVEL: 'error' };
  const client = await connectClient(config.temporal.address!, config.temporal.namespace);
  const db = await openStore(config);
  const connection = await connectWorkers(config.temporal.address!, config);
  const fileWorker = await createFileWorker(connection, { config, db, role: 'files' });
  const fileWorkerDone = fileWorker.run();
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const c of children) c.kill('SIGKILL');
    fileWorker.shutdown();
    await fileWorkerDone;
    await connection.close();
    await client.connection.close();
    await db.close();
    await target.close();
    await pg.drop();
  });
  const startWorker = async (env: Record<string, string> = {}) => {
    const child = await spawnWorker({ ...childEnv, ...env });
    children.push(child);
    return child;
  };
  return { config, client, db, startWorker };
}
