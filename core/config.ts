import { z } from 'zod';

/** Env values arrive as strings; these coerce them and say what was expected when they cannot. */
const bool = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: 'expected true or false' });
      return z.NEVER;
    });

const num = (fallback: number, check: (n: number) => boolean, expected: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || !check(n)) {
        ctx.addIssue({ code: 'custom', message: `expected ${expected}` });
        return z.NEVER;
      }
      return n;
    });

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  num(fallback, (n) => Number.isInteger(n) && n >= min && n <= max, `a whole number from ${min} to ${max}`);
const seconds = (fallback: number, min = 0) => num(fallback, (n) => n >= min, `a number of seconds ≥ ${min}`);
const text = (fallback?: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v));

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
  MAX_WORKERS: int(3, 1, 10000),
  BASE_RATE_LIMIT: seconds(3.0),
  MAX_RATE_LIMIT: seconds(5.0),
  CSV_CHUNK_SIZE: int(1000, 1, 100000),
  MAX_RETRIES: int(3, 0, 100),
  REQUEST_TIMEOUT: seconds(30, 0.001),
  RETRY_BASE_DELAY: seconds(1, 0),
  RETRY_MAX_DELAY: seconds(30, 0),
  RESUME_ENABLED: bool(true),
  RESUME_MAX_AGE_DAYS: num(7, (n) => n > 0, 'a number of days > 0'),
  JOB_NAME: text(),
  BATCH_SLICE_SECONDS: seconds(1, 0.05),
  HEARTBEAT_TIMEOUT: seconds(30, 1),
  CONTINUE_AS_NEW_AFTER_BATCHES: int(500, 1),
});

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
}

/** What the dispatch activity needs; travels with each job so a job keeps the settings it started with. */
export interface DeliveryConfig {
  maxWorkers: number;
  /** Seconds between two requests to one target host; 0 = unlimited. */
  baseRateLimit: number;
  /** Slowest spacing the adaptive limiter may back off to. */
  maxRateLimit: number;
  chunkSize: number;
  maxRetries: number;
  requestTimeoutMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** How long one dispatch activity runs before it reports back (progress, pause and cancel points). */
  batchSliceMs: number;
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
  if (e.MAX_RATE_LIMIT < e.BASE_RATE_LIMIT) {
    throw new ConfigError([
      `MAX_RATE_LIMIT=${e.MAX_RATE_LIMIT} is below BASE_RATE_LIMIT=${e.BASE_RATE_LIMIT}: the slowest spacing cannot be faster than the starting one`,
    ]);
  }
  return {
    port: e.PORT,
    dataDir: e.DATA_DIR ?? './data',
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
      chunkSize: e.CSV_CHUNK_SIZE,
      maxRetries: e.MAX_RETRIES,
      requestTimeoutMs: Math.round(e.REQUEST_TIMEOUT * 1000),
      retryBaseDelayMs: Math.round(e.RETRY_BASE_DELAY * 1000),
      retryMaxDelayMs: Math.round(e.RETRY_MAX_DELAY * 1000),
      batchSliceMs: Math.round(e.BATCH_SLICE_SECONDS * 1000),
      heartbeatTimeoutMs: Math.round(e.HEARTBEAT_TIMEOUT * 1000),
      continueAsNewAfterBatches: e.CONTINUE_AS_NEW_AFTER_BATCHES,
    },
    resume: { enabled: e.RESUME_ENABLED, maxAgeDays: e.RESUME_MAX_AGE_DAYS },
    defaultJobName: e.JOB_NAME,
  };
}
