import { z } from 'zod';
import { JOB_STATUSES } from '../core/job-status.ts';

/** Request and response shapes of the REST API: they validate requests and generate /openapi.json. */

const csvFile = z.string().min(1).meta({ description: 'Path of the CSV: inside DATA_DIR/csv or a CSV_ALLOWED_DIRS folder; relative paths are taken from DATA_DIR/csv', example: 'orders.csv' });
const jobStatus = z.enum(JOB_STATUSES).meta({ id: 'JobStatus' });
const timestamp = z.string().meta({ format: 'date-time' });

export const TriggerOptionsSchema = z.object({
  job_name: z.string().min(1).max(200).optional().meta({ description: 'Defaults to JOB_NAME, else the file name' }),
  resume: z.boolean().default(true).meta({ description: 'Continue an unfinished job of the same file content' }),
  force_restart: z.boolean().default(false).meta({ description: 'Send every row again, even if this content was delivered: a new job id' }),
  workers: z.number().optional().meta({ description: 'Requests in flight for this job (MAX_WORKERS)' }),
  rate_limit: z.number().optional().meta({ description: 'Seconds between requests to one host at start (BASE_RATE_LIMIT)' }),
  dry_run: z.boolean().default(false).meta({ description: 'Validate every row, send nothing' }),
});

export const TriggerBodySchema = TriggerOptionsSchema.extend({ csv_file: csvFile }).meta({ id: 'TriggerRequest' });

export const BatchTriggerBodySchema = TriggerOptionsSchema.omit({ dry_run: true })
  .extend({ csv_files: z.array(csvFile).min(1).max(100) })
  .meta({ id: 'BatchTriggerRequest' });

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** POST /trigger/upload's options: query parameters, or text fields of the multipart form. */
export const UploadOptionsSchema = z.object({
  job_name: z.string().min(1).max(200).optional().meta({ description: 'Defaults to the uploaded file name' }),
  resume: flag.default(true),
  force_restart: flag.default(false),
  workers: z.coerce.number().optional(),
  rate_limit: z.coerce.number().optional(),
});

export const UploadFormSchema = z.object({
  file: z.string().meta({ format: 'binary', description: 'The CSV' }),
  job_name: z.string().optional(),
  resume: z.enum(['true', 'false']).optional(),
  force_restart: z.enum(['true', 'false']).optional(),
  workers: z.string().optional(),
  rate_limit: z.string().optional(),
});

export const CsvFileBodySchema = z.object({ csv_file: csvFile });

export const JobIdParamsSchema = z.object({
  job_id: z.string().regex(/^job-[0-9a-f]{16}(-[0-9a-z]+)?$/, 'expected a job id like job-0123456789abcdef').meta({ example: 'job-0123456789abcdef' }),
});

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const JobsQuerySchema = PageQuerySchema.extend({ status: jobStatus.optional() });

export const JobStartedSchema = z
  .object({
    job_id: z.string(),
    workflow_id: z.string(),
    run_id: z.string(),
    status: jobStatus,
    csv_file: z.string(),
    file_hash: z.string(),
    duplicate: z.boolean().meta({ description: 'True when this trigger joined a job already running for the same file' }),
    already_delivered: z.boolean().meta({ description: 'True when this content was delivered before (delivered_by) and nothing is sent' }),
    delivered_by: z.string().nullable(),
    resumed_from_row: z.number().int().nullable(),
  })
  .meta({ id: 'JobStarted' });

export const DryRunSchema = z
  .object({
    csv_file: z.string(),
    total_rows: z.number().int(),
    valid_rows: z.number().int(),
    invalid_rows: z.number().int(),
    errors: z.array(z.object({ row: z.number().int(), reason: z.string() })),
  })
  .meta({ id: 'DryRun' });

export const BatchStartedSchema = z
  .object({
    jobs: z.array(
      z.union([
        JobStartedSchema,
        z.object({ csv_file: z.string(), error: z.string(), status_code: z.number().int().meta({ description: 'The status a single trigger of this file would have answered' }) }),
      ]),
    ),
  })
  .meta({ id: 'BatchStarted' });

export const ResumeStatusSchema = z.object({
  csv_file: z.string(),
  file_hash: z.string(),
  job_id: z.string(),
  has_checkpoint: z.boolean().meta({ description: 'An unfinished job of this content exists: a trigger would resume it' }),
  status: jobStatus.nullable(),
  processed_rows: z.number().int(),
  total_rows: z.number().int().nullable(),
  checkpoint_age_seconds: z.number().nullable(),
  expired: z.boolean().meta({ description: 'Older than RESUME_MAX_AGE_DAYS (or RESUME_ENABLED=false): a trigger would start over' }),
});

export const ResumeClearSchema = z.object({ cleared: z.boolean(), reason: z.string().optional() });

export const ResumeStatsSchema = z.object({
  count: z.number().int(),
  markers: z.array(
    z.object({
      csv_file: z.string(),
      file_hash: z.string(),
      job_id: z.string(),
      status: jobStatus,
      processed_rows: z.number().int(),
      total_rows: z.number().int().nullable(),
      updated_at: timestamp,
    }),
  ),
});

export const HealthSchema = z.object({
  status: z.enum(['healthy', 'degraded']),
  system: z.object({
    watchdog_enabled: z.boolean(),
    watchdog_running: z.boolean(),
    queue_size: z.number().int(),
    database_accessible: z.boolean(),
    temporal_connected: z.boolean(),
  }),
});

const HostLimiterSchema = z
  .object({
    origin: z.string(),
    state: z.string().meta({ description: 'rampingUp, steady, backingOff, waitingRetryAfter, circuitOpen or halfOpen' }),
    rate_per_second: z.number().nullable().meta({ description: 'Current pace; null = unpaced' }),
    ceiling_per_second: z.number().nullable(),
    held_until: timestamp.nullable(),
    consecutive_failures: z.number().int(),
    circuit_opens: z.number().int(),
    answers: z.object({ ok: z.number().int(), throttled: z.number().int(), failed: z.number().int() }),
  })
  .meta({ id: 'HostLimiter' });

export const ActiveJobSchema = z
  .object({
    job_id: z.string(),
    job_name: z.string(),
    status: jobStatus,
    total_rows: z.number().int().nullable(),
    processed_rows: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    invalid_rows: z.number().int(),
    rows_per_second: z.number(),
    paused: z.boolean(),
    hosts: z.array(HostLimiterSchema),
  })
  .meta({ id: 'ActiveJob' });

export const StatusSchema = z.object({ active_jobs: z.array(ActiveJobSchema), queue_size: z.number().int() });

export const JobSchema = z
  .object({
    job_id: z.string(),
    job_name: z.string(),
    status: jobStatus,
    csv_file: z.string(),
    file_hash: z.string(),
    triggered_by: z.string(),
    total_rows: z.number().int().nullable(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    invalid_rows: z.number().int(),
    error: z.string().nullable(),
    report_path: z.string().nullable(),
    created_at: timestamp,
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
    updated_at: timestamp,
  })
  .meta({ id: 'Job' });

export const JobListSchema = z.object({ jobs: z.array(JobSchema), total: z.number().int() });

export const JobDetailSchema = JobSchema.extend({
  processed_rows: z.number().int(),
  pending_rows: z.number().int(),
  rows_per_second: z.number().nullable().meta({ description: 'While the job runs' }),
  paused: z.boolean(),
  hosts: z.array(HostLimiterSchema).meta({ description: 'Per target host rate limiter, while the job runs' }),
  report_url: z.string().nullable().meta({ description: 'GET this for the JSON report once the job has finished' }),
}).meta({ id: 'JobDetail' });

export const JobReportSchema = z
  .object({
    job_id: z.string(),
    job_name: z.string().nullable(),
    status: jobStatus,
    error: z.string().nullable(),
    csv_file: z.string().nullable(),
    file_hash: z.string().nullable(),
    options: z.record(z.string(), z.unknown()).nullable().meta({ description: 'The delivery settings the job ran with' }),
    started_at: timestamp,
    finished_at: timestamp,
    duration_seconds: z.number(),
    total_rows: z.number().int().nullable(),
    counts: z.object({ pending: z.number().int(), succeeded: z.number().int(), failed: z.number().int(), invalid: z.number().int() }),
    rows_per_second: z.number().nullable(),
    status_codes: z.record(z.string(), z.number().int()),
    latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
    hosts: z.array(z.object({ origin: z.string(), final_state: z.string(), rate_per_second: z.number().nullable(), circuit_opens: z.number().int() }).catchall(z.unknown())),
    top_errors: z.array(z.object({ reason: z.string(), rows: z.number().int() })),
    first_errors: z.array(z.record(z.string(), z.unknown())),
  })
  .catchall(z.unknown())
  .meta({ id: 'JobReport' });

export const JobErrorsSchema = z.object({
  errors: z.array(
    z.object({
      row: z.number().int(),
      status: z.enum(['failed', 'invalid']),
      webhook_url: z.string().nullable(),
      name: z.string().nullable(),
      group: z.string().nullable(),
      status_code: z.number().int().nullable(),
      error: z.string().nullable(),
      attempts: z.number().int(),
    }),
  ),
  total: z.number().int(),
});

export const JobSignalledSchema = z.object({ job_id: z.string(), status: jobStatus });

export const RetryFailedSchema = z.object({
  job_id: z.string(),
  status: jobStatus,
  failed_rows: z.number().int().meta({ description: 'Failed rows to be sent again' }),
  run_id: z.string().nullable().meta({ description: 'The new run when the job had finished; null when the running job was signalled' }),
});
