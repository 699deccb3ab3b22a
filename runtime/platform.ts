import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Config } from '../core/config.ts';
import { openDatabase, type Database } from '../store/database.ts';
import { migrate } from '../store/migrate.ts';
import { createApp } from '../server/app.ts';
import { startDevServer, type DevServer } from './dev-server.ts';
import { connectClient, registerSearchAttributes } from './temporal.ts';
import { createJobWorker } from './worker.ts';

export interface PlatformParts {
  /** Run a worker (opens the store); 'if-none' only when no worker polls the task queue yet. */
  worker: boolean | 'if-none';
  /** Serve the REST API on PORT. */
  api: boolean;
  role: string;
  log: (msg: string) => void;
}

export interface Platform {
  client: Client;
  address: string;
  uiUrl: string | null;
  db: Database | null;
  apiUrl: string | null;
  /** True when this process runs a worker. */
  ownsWorker: boolean;
  /** Resolves when the worker stops (or never, without a worker). */
  workerDone: Promise<void>;
  shutdown(): Promise<void>;
}

/** True when some worker polls the task queue (a platform already runs). */
async function hasWorkers(client: Client, taskQueue: string): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (res.pollers ?? []).length > 0;
}

/** Opens the store and applies migrations. */
export async function openStore(config: Config): Promise<Database> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(db);
  return db;
}

/** The Temporal server to use: TEMPORAL_ADDRESS, or the embedded dev server under DATA_DIR. */
export async function ensureTemporal(config: Config, log: (msg: string) => void): Promise<DevServer | { address: string; uiUrl: null; owned: false; stop(): Promise<void> }> {
  if (config.temporal.address) return { address: config.temporal.address, uiUrl: null, owned: false, stop: async () => undefined };
  return startDevServer({
    cliPath: config.temporal.cliPath,
    dataDir: config.dataDir,
    port: config.temporal.devPort,
    uiPort: config.temporal.uiPort,
    namespace: config.temporal.namespace,
    log,
  });
}

/**
 * Brings up what this process runs: Temporal (embedded unless TEMPORAL_ADDRESS), the store, a
 * worker and the API, and takes them down in reverse order.
 */
export async function launchPlatform(config: Config, parts: PlatformParts): Promise<Platform> {
  const temporal = await ensureTemporal(config, parts.log);
  const stops: (() => Promise<unknown>)[] = [() => temporal.stop()];
  const shutdown = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: Error) => parts.log(`shutdown: ${err.message}`));
  };
  try {
    const client = await connectClient(temporal.address, config.temporal.namespace);
    stops.push(() => client.connection.close());
    await registerSearchAttributes(client);

    let db: Database | null = null;
    let workerDone: Promise<void> = new Promise(() => undefined);
    let ownsWorker = false;
    if (parts.worker === true || (parts.worker === 'if-none' && !(await hasWorkers(client, config.temporal.taskQueue)))) {
      const store = await openStore(config);
      db = store;
      stops.push(() => store.close());
      const { worker, connection } = await createJobWorker({ address: temporal.address, config, db: store, role: parts.role });
      ownsWorker = true;
      stops.push(() => connection.close());
      workerDone = worker.run();
      stops.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerDone;
      });
    }

    let apiUrl: string | null = null;
    if (parts.api) {
      const server: Server = await new Promise((resolve) => {
        const s = createApp({ client, db }).listen(config.port, '0.0.0.0', () => resolve(s));
      });
      const address = server.address();
      apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : config.port}`;
      stops.push(() => new Promise((resolve) => server.close(resolve)));
    }
    return { client, address: temporal.address, uiUrl: temporal.uiUrl, db, apiUrl, ownsWorker, workerDone, shutdown };
  } catch (err) {
    await shutdown();
    throw err;
  }
}
