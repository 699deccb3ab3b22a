import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../core/config.ts';
import { DatabaseLockedError, openDatabase, type Database } from '../store/database.ts';
import { migrate } from '../store/migrate.ts';
import { createApp } from '../server/app.ts';
import { DropFolderWatcher } from '../watcher/drop-folder.ts';
import { ensureDataFolders } from '../watcher/folders.ts';
import { ensureBackupSchedule } from './backup-schedule.ts';
import { startDevServer, type DevServer } from './dev-server.ts';
import { connectClient, registerSearchAttributes } from './temporal.ts';
import { connectWorkers, createFileWorker, createJobWorker } from './worker.ts';

export interface PlatformParts {
  /**
   * Run a worker (opens the store). 'unless-store-busy': only if no other process owns the
   * embedded store — if one does, a local platform runs and its workers do the work.
   */
  worker: boolean | 'unless-store-busy';
  /** Serve the REST API on PORT. */
  api: boolean;
  /** Watch the drop folder DATA_DIR/csv (when WATCH_ENABLED; needs the store, so a worker too). */
  watch: boolean;
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

async function openStoreUnlessBusy(config: Config, mayBeBusy: boolean, log: (msg: string) => void): Promise<Database | null> {
  try {
    return await openStore(config);
  } catch (err) {
    if (!(mayBeBusy && err instanceof DatabaseLockedError)) throw err;
    log('a running platform owns the embedded store; its workers will send the rows');
    return null;
  }
}

/** Runs a worker; shutting the process down stops it and waits for its tasks to end. */
function runUntilStopped(worker: Worker, stops: (() => Promise<unknown>)[]): Promise<void> {
  const done = worker.run();
  stops.push(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await done;
  });
  return done;
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
  // A process without a worker (npm run api) joins a cluster, or the embedded server another process runs.
  const temporal = parts.worker
    ? await ensureTemporal(config, parts.log)
    : { address: config.temporal.address ?? `127.0.0.1:${config.temporal.devPort}`, uiUrl: null, stop: async () => undefined };
  const stops: (() => Promise<unknown>)[] = [() => temporal.stop()];
  const shutdown = async () => {
    for (const stop of [...stops].reverse()) await stop().catch((err: Error) => parts.log(`shutdown: ${err.message}`));
  };
  try {
    const client = await connectClient(temporal.address, config.temporal.namespace);
    stops.push(() => client.connection.close());
    await registerSearchAttributes(client);

    let workerDone: Promise<void> = new Promise(() => undefined);
    // The API reads job history from the store too; without a worker it does without one if another process owns it.
    const db = parts.worker || parts.api ? await openStoreUnlessBusy(config, parts.worker !== true, parts.log) : null;
    if (db) stops.push(() => db.close());
    let ownsWorker = false;
    let connection: NativeConnection | null = null;
    if (db && parts.worker) {
      ownsWorker = true;
      const created = await createJobWorker({ address: temporal.address, config, db, role: parts.role });
      connection = created.connection;
      stops.push(() => created.connection.close());
      workerDone = runUntilStopped(created.worker, stops);
    }
    if (db) {
      // Jobs this process starts are read here (their file is on this host), whoever sends their batches.
      if (!connection) {
        const own = await connectWorkers(temporal.address, config);
        stops.push(() => own.close());
        connection = own;
      }
      const fileWorker = await createFileWorker(connection, { config, db, role: parts.role });
      runUntilStopped(fileWorker, stops).catch((err: Error) => parts.log(`file worker stopped: ${err.message}`));
      // Any process with the store keeps the schedule in step with its settings (idempotent); workers run the backups.
      const schedule = await ensureBackupSchedule(client, config);
      parts.log(`database backup schedule: ${schedule}${config.backup.intervalHours > 0 ? ` (every ${config.backup.intervalHours} h into ${config.dataDir}/backups)` : ''}`);
    }

    if (db) await ensureDataFolders(config.dataDir);
    let watcher: DropFolderWatcher | null = null;
    if (parts.watch && config.watch.enabled && db) {
      const w = new DropFolderWatcher({ client, config, db, log: parts.log });
      await w.start();
      watcher = w;
      stops.push(() => w.stop());
    }

    let apiUrl: string | null = null;
    if (parts.api) {
      const server: Server = await new Promise((resolve) => {
        const s = createApp({ client, config, db, watcher, log: parts.log }).listen(config.port, '0.0.0.0', () => resolve(s));
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
