import path from 'node:path';
import { z } from 'zod';
import { bool, int, list, num, satisfies, seconds, SPACING, text, WORKERS } from './env-values.ts';
import { notificationConfig, type NotificationConfig } from './notification-config.ts';

const envSchema = z.object({
  PORT: int(8000, 0, 65535),
  DATA_DIR: text('./data'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  DATABASE_URL: text(),
  TEMPORAL_ADDRESS: text(),
  TEMPORAL_NAMESPACE: text('default'),
  TEMPORAL_TASK_QUEUE: text('bulk-api-trigger'),
  TEMPORAL_DEV_PORT: int(7233, 1, 65535),
  TEMPORAL_UI_PORT: int(8233, 1, 65535),
  TEMPORAL_CLI_PATH: text(),
  MAX_WORKERS: num(3, WORKERS),
  BASE_RATE_LIMIT: num(3.0, SPACING),
  MAX_RATE_LIMIT: seconds(5.0),
  MIN_RATE_LIMIT: seconds(undefined),
  CIRCUIT_FAILURE_THRESHOLD: int(5, 1, 1000),
  CIRCUIT_OPEN_SECONDS: seconds(30, 0.05),
  CSV_CHUNK_SIZE: int(1000, 1, 100000),
  MAX_RETRIES: int(3, 0, 100),
  REQUEST_TIMEOUT: seconds(30, 0.001),
  RETRY_BASE_DELAY: seconds(1, 0),
  RETRY_MAX_DELAY: seconds(30, 0),
  RESUME_ENABLED: bool(true),
  RESUME_MAX_AGE_DAYS: num(7, { check: (n) => n > 0, expected: 'a number of days > 0' }),
  JOB_NAME: text(),
  BATCH_SLICE_SECONDS: seconds(1, 0.05),
  BATCH_WINDOW: int(undefined, 1, 64),
  FILE_HOST_WAIT_SECONDS: seconds(600, 1),
  HEARTBEAT_TIMEOUT: seconds(30, 1),
  CONTINUE_AS_NEW_AFTER_BATCHES: int(500, 1),
  WATCH_ENABLED: bool(true),
  WATCH_CONCURRENCY: int(4, 1, 100),
  WATCH_STABILITY_SECONDS: seconds(2, 0.05),
  WEBHOOK_AUTH_TOKEN: text(),
  WEBHOOK_RATE_LIMIT: int(60, 0),
  TRUST_PROXY: text('false'),
  CSV_ALLOWED_DIRS: text(''),
  MAX_UPLOAD_MB: int(100, 1, 102400),
  SLACK_NOTIFICATIONS: bool(false),
  SLACK_WEBHOOK_URL: text(),
  SLACK_NOTIFY_PROGRESS: bool(false),
  SLACK_PROGRESS_EVERY_N: int(25, 1, 100),
  EMAIL_NOTIFICATIONS: bool(false),
  EMAIL_SMTP_SERVER: text(),
  EMAIL_SMTP_PORT: int(587, 1, 65535),
  EMAIL_USERNAME: text(),
  EMAIL_PASSWORD: text(),
  EMAIL_RECIPIENTS: text(''),
  EMAIL_FROM: text(),
  EMAIL_USE_TLS: bool(true),
  EMAIL_USE_SSL: bool(false),
  REPORT_KEEP: int(100, 1),
  DATABASE_BACKUP_INTERVAL_HOURS: seconds(24, 0),
  BACKUP_KEEP: int(7, 1),
  WORKER_HEALTH_PORT: int(0, 0, 65535),
});

/** Every environment variable the platform reads. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

export interface Config {
  port: number;
  dataDir: string;
  logLevel: string;
  databaseUrl: string | undefined;
  temporal: {
    /** Unset: the platform runs an embedded dev server on devPort. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    devPort: number;
    uiPort: number;
    cliPath: string | undefined;
  };
  delivery: DeliveryConfig;
  resume: { enabled: boolean; maxAgeDays: number };
  defaultJobName: string | undefined;
  /** The drop folder DATA_DIR/csv. */
  watch: {
    enabled: boolean;
    /** Files being checked and started at once; the rest wait in the queue. */
    concurrency: number;
    /** A file is taken once its size has not changed for this long. */
    stabilityMs: number;
  };
  api: {
    /** Bearer token every endpoint but /health requires; unset = no auth. */
    authToken: string | undefined;
    /** Requests per minute per client IP; 0 = unlimited. */
    rateLimitPerMinute: number;
    /** Express's `trust proxy`: false, true, a hop count, or addresses/subnets. */
    trustProxy: boolean | number | string;
    /** Absolute folders a trigger's csv_file may be in: DATA_DIR/csv, then CSV_ALLOWED_DIRS. */
    csvDirs: string[];
    /** Largest CSV POST /trigger/upload takes, in bytes. */
    maxUploadBytes: number;
    /** Where uploaded CSVs are kept: DATA_DIR/uploads. */
    uploadDir: string;
  };
  notifications: NotificationConfig;
  /** Job reports kept in DATA_DIR/reports (newest first). */
  reportKeep: number;
  /** `npm run worker` answers GET /health on this port (for container probes); 0 = not at all. */
  workerHealthPort: number;
  backup: {
    /** Hours between scheduled backups; 0 = no schedule. */
    intervalHours: number;
    /** Backup files kept in DATA_DIR/backups (newest first). */
    keep: number;
  };
}

/** BATCH_WINDOW when unset and TEMPORAL_ADDRESS points at a cluster shared by several workers. */
export const SCALE_OUT_BATCH_WINDOW = 4;

/** What the dispatch activity needs; travels with each job so a job keeps the settings it started with. */
export interface DeliveryConfig {
  maxWorkers: number;
  /** Seconds between two requests to one target host; 0 = unlimited. */
  baseRateLimit: number;
  /** Slowest spacing (seconds) the adaptive limiter may back off to. */
  maxRateLimit: number;
  /** Fastest spacing (seconds) it may speed up to; 0 = no floor; null = the starting spacing (MIN_RATE_LIMIT unset). */
  minRateLimit: number | null;
  circuitFailureThreshold: number;
  circuitOpenMs: number;
  chunkSize: number;
  maxRetries: number;
  requestTimeoutMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** How long one dispatch activity runs before it reports back (progress, pause and cancel points). */
  batchSliceMs: number;
  /**
   * Batch activities of one job in flight at once (any worker may run each). They share the job's
   * MAX_WORKERS and every host's pace, so a wider window spreads the work, not the load on a host.
   */
  batchWindow: number;
  /** How long a job waits for a process on the host that holds its file to read it. */
  fileHostWaitMs: number;
  heartbeatTimeoutMs: number;
  continueAsNewAfterBatches: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates the whole environment at once so every bad value is reported, not just the first. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const dataDir = e.DATA_DIR ?? './data';
  // Unset, the fastest spacing is the starting one: the original tool never went faster than BASE_RATE_LIMIT.
  const minRateLimit = e.MIN_RATE_LIMIT ?? null;
  const bounds = rateLimitProblems(e.BASE_RATE_LIMIT, minRateLimit ?? e.BASE_RATE_LIMIT, e.MAX_RATE_LIMIT);
  const notifications = notificationConfig(e);
  bounds.push(...notifications.problems);
  if (bounds.length > 0) throw new ConfigError(bounds);
  return {
    port: e.PORT,
    dataDir,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: e.TEMPORAL_TASK_QUEUE ?? 'bulk-api-trigger',
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      cliPath: e.TEMPORAL_CLI_PATH,
    },
    delivery: {
      maxWorkers: e.MAX_WORKERS,
      baseRateLimit: e.BASE_RATE_LIMIT,
      maxRateLimit: e.MAX_RATE_LIMIT,
      minRateLimit,
      circuitFailureThreshold: e.CIRCUIT_FAILURE_THRESHOLD,
      circuitOpenMs: Math.round(e.CIRCUIT_OPEN_SECONDS * 1000),
      chunkSize: e.CSV_CHUNK_SIZE,
      maxRetries: e.MAX_RETRIES,
      requestTimeoutMs: Math.round(e.REQUEST_TIMEOUT * 1000),
      retryBaseDelayMs: Math.round(e.RETRY_BASE_DELAY * 1000),
      retryMaxDelayMs: Math.round(e.RETRY_MAX_DELAY * 1000),
      batchSliceMs: Math.round(e.BATCH_SLICE_SECONDS * 1000),
      // All-in-one has one worker to run batches; against a cluster, several workers can share a job.
      batchWindow: e.BATCH_WINDOW ?? (e.TEMPORAL_ADDRESS ? SCALE_OUT_BATCH_WINDOW : 1),
      fileHostWaitMs: Math.round(e.FILE_HOST_WAIT_SECONDS * 1000),
      heartbeatTimeoutMs: Math.round(e.HEARTBEAT_TIMEOUT * 1000),
      continueAsNewAfterBatches: e.CONTINUE_AS_NEW_AFTER_BATCHES,
    },
    resume: { enabled: e.RESUME_ENABLED, maxAgeDays: e.RESUME_MAX_AGE_DAYS },
    defaultJobName: e.JOB_NAME,
    watch: { enabled: e.WATCH_ENABLED, concurrency: e.WATCH_CONCURRENCY, stabilityMs: Math.round(e.WATCH_STABILITY_SECONDS * 1000) },
    api: {
      authToken: e.WEBHOOK_AUTH_TOKEN,
      rateLimitPerMinute: e.WEBHOOK_RATE_LIMIT,
      trustProxy: trustProxyValue(e.TRUST_PROXY ?? 'false'),
      csvDirs: [path.resolve(dataDir, 'csv'), ...list(e.CSV_ALLOWED_DIRS).map((d) => path.resolve(d))],
      maxUploadBytes: e.MAX_UPLOAD_MB * 1024 * 1024,
      uploadDir: path.resolve(dataDir, 'uploads'),
    },
    notifications: notifications.config,
    reportKeep: e.REPORT_KEEP,
    workerHealthPort: e.WORKER_HEALTH_PORT,
    backup: { intervalHours: e.DATABASE_BACKUP_INTERVAL_HOURS, keep: e.BACKUP_KEEP },
  };
}

function trustProxyValue(v: string): boolean | number | string {
  if (['true', 'false'].includes(v.toLowerCase())) return v.toLowerCase() === 'true';
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** MIN_RATE_LIMIT ≤ BASE_RATE_LIMIT ≤ MAX_RATE_LIMIT (seconds between requests: fastest, start, slowest). */
function rateLimitProblems(base: number, min: number, max: number): string[] {
  const problems: string[] = [];
  if (min > base) problems.push(`MIN_RATE_LIMIT=${min} is above BASE_RATE_LIMIT=${base}: the fastest spacing cannot be slower than the starting one`);
  if (max < base) problems.push(`MAX_RATE_LIMIT=${max} is below BASE_RATE_LIMIT=${base}: the slowest spacing cannot be faster than the starting one`);
  return problems;
}

/** Per-job settings a trigger may override (REST `rate_limit` and `workers`, CLI flags). */
export interface JobOverrides {
  /** Seconds between requests to one host at start (BASE_RATE_LIMIT for this job). */
  rateLimit?: number;
  /** Requests in flight (MAX_WORKERS for this job). */
  workers?: number;
}

/** What is wrong with the overrides, one line each; empty when they can be used. */
export function overrideProblems(o: JobOverrides): string[] {
  const problems: string[] = [];
  if (o.rateLimit !== undefined && !satisfies(o.rateLimit, SPACING)) problems.push(`rate_limit=${o.rateLimit}: expected ${SPACING.expected}`);
  if (o.workers !== undefined && !satisfies(o.workers, WORKERS)) problems.push(`workers=${o.workers}: expected ${WORKERS.expected}`);
  return problems;
}

/**
 * The job's delivery settings: the environment's, with the trigger's overrides. A per-job
 * spacing also moves the bounds it would cross, so it is always honoured as the starting pace.
 */
export function deliveryFor(base: DeliveryConfig, o: JobOverrides): DeliveryConfig {
  const d = { ...base };
  if (o.workers !== undefined) d.maxWorkers = o.workers;
  if (o.rateLimit !== undefined) {
    d.baseRateLimit = o.rateLimit;
    d.maxRateLimit = Math.max(d.maxRateLimit, o.rateLimit);
    if (d.minRateLimit !== null) d.minRateLimit = Math.min(d.minRateLimit, o.rateLimit);
  }
  return d;
}
