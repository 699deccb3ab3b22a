import os from 'node:os';
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkflowBundleOption } from '@temporalio/worker';
import type { Config } from '../core/config.ts';
import { createActivities, fileActivities } from '../activities/index.ts';
import { fileQueueOf } from './file-queue.ts';
import type { Database } from '../store/database.ts';

const WORKFLOWS_PATH = new URL('../workflows/index.ts', import.meta.url).pathname;

export interface WorkerOptions {
  address: string;
  config: Config;
  db: Database;
  /** A pre-built bundle (tests share one); otherwise the worker bundles the workflows itself. */
  workflowBundle?: WorkflowBundleOption;
  role?: string;
}

// The SDK's INFO lines (bundler output, worker state changes) are for debugging our platform.
const SDK_LOG_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'WARN', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };
let runtimeInstalled = false;

/** The SDK's own logger follows LOG_LEVEL; it can be set once per process, before the first worker. */
function installRuntime(level: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(SDK_LOG_LEVELS[level] ?? 'WARN') });
  } catch (err) {
    // A connection made earlier (the SDK-run dev server) installed the default runtime: keep it.
    if (!(err instanceof IllegalStateError)) throw err;
  }
}

const identity = (role: string | undefined) => `${role ?? 'worker'}@${os.hostname()}:${process.pid}`;

/** A connection for workers, made after the SDK's logger is set (LOG_LEVEL). */
export async function connectWorkers(address: string, config: Config): Promise<NativeConnection> {
  installRuntime(config.logLevel);
  return NativeConnection.connect({ address });
}

/** A worker with the ingest activity only, on this host's file queue; every process with the store runs one. */
export async function createFileWorker(connection: NativeConnection, opts: Pick<WorkerOptions, 'config' | 'db' | 'role'>): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: fileQueueOf(opts.config.temporal.taskQueue),
    identity: identity(opts.role),
    activities: fileActivities(opts.db),
    shutdownGraceTime: '10s',
  });
}

/** A worker running the csvJob workflow and its activities on the configured task queue. */
export async function createJobWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await connectWorkers(opts.address, opts.config);
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  const worker = await Worker.create({
    connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: opts.config.temporal.taskQueue,
    identity: identity(opts.role),
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : bundlePath
        ? { workflowBundle: { codePath: bundlePath } }
        : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ db: opts.db, config: opts.config }),
    // Heartbeats reach the server at least this often, which bounds how stale a resume point can be.
    maxHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '10s',
  });
  return { worker, connection };
}
