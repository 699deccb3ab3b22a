import type { JobStatus } from '../core/job-status.ts';
import type { RowCounts } from '../core/job-types.ts';
import type { Queryable } from './database.ts';

export interface JobRecord {
  job_id: string;
  job_name: string;
  file_hash: string;
  csv_file: string;
  status: JobStatus;
  triggered_by: string;
  /** The delivery settings the job was started with. */
  config: unknown;
  ingested: boolean;
  total_rows: number | null;
  invalid_rows: number;
  succeeded: number;
  failed: number;
  error: string | null;
  report_path: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export async function upsertFile(db: Queryable, file: { hash: string; path: string; size: number }): Promise<void> {
  await db.query(
    `INSERT INTO files (file_hash, file_path, file_size) VALUES ($1, $2, $3)
     ON CONFLICT (file_hash) DO UPDATE SET file_path = EXCLUDED.file_path, last_seen_at = now()`,
    [file.hash, file.path, file.size],
  );
}

export async function getJob(db: Queryable, jobId: string): Promise<JobRecord | null> {
  const [job] = await db.query<JobRecord>('SELECT * FROM jobs WHERE job_id = $1', [jobId]);
  return job ?? null;
}

/** The newest completed job for a file hash: the file counts as delivered. */
export async function completedJobForHash(db: Queryable, fileHash: string): Promise<JobRecord | null> {
  const [job] = await db.query<JobRecord>(
    `SELECT * FROM jobs WHERE file_hash = $1 AND status = 'completed' ORDER BY finished_at DESC LIMIT 1`,
    [fileHash],
  );
  return job ?? null;
}

export interface NewJob {
  jobId: string;
  jobName: string;
  fileHash: string;
  csvFile: string;
  triggeredBy: string;
  config: unknown;
}

/** Creates the job, or resets an existing one to a fresh start (its rows are deleted by the caller). */
export async function createOrResetJob(db: Queryable, job: NewJob): Promise<void> {
  await db.query(
    `INSERT INTO jobs (job_id, job_name, file_hash, csv_file, status, triggered_by, config)
     VALUES ($1, $2, $3, $4, 'queued', $5, $6)
     ON CONFLICT (job_id) DO UPDATE SET job_name = EXCLUDED.job_name, csv_file = EXCLUDED.csv_file,
       status = 'queued', triggered_by = EXCLUDED.triggered_by, config = EXCLUDED.config, ingested = false,
       total_rows = NULL, invalid_rows = 0, succeeded = 0, failed = 0, error = NULL, report_path = NULL,
       created_at = now(), started_at = NULL, finished_at = NULL, updated_at = now()`,
    [job.jobId, job.jobName, job.fileHash, job.csvFile, job.triggeredBy, JSON.stringify(job.config)],
  );
}

export async function markIngested(db: Queryable, jobId: string, totalRows: number, invalidRows: number): Promise<void> {
  await db.query(
    `UPDATE jobs SET ingested = true, total_rows = $2, invalid_rows = $3, updated_at = now() WHERE job_id = $1`,
    [jobId, totalRows, invalidRows],
  );
}

export async function setJobStatus(db: Queryable, jobId: string, status: JobStatus): Promise<void> {
  await db.query(
    `UPDATE jobs SET status = $2, updated_at = now(),
       started_at = CASE WHEN $2 = 'running' THEN coalesce(started_at, now()) ELSE started_at END
     WHERE job_id = $1`,
    [jobId, status],
  );
}

export async function finishJobRecord(
  db: Queryable,
  jobId: string,
  fin: { status: JobStatus; counts: RowCounts; reportPath: string; error: string | null },
): Promise<void> {
  await db.query(
    `UPDATE jobs SET status = $2, succeeded = $3, failed = $4, invalid_rows = $5, report_path = $6, error = $7,
       finished_at = now(), updated_at = now(), started_at = coalesce(started_at, now())
     WHERE job_id = $1`,
    [jobId, fin.status, fin.counts.succeeded, fin.counts.failed, fin.counts.invalid, fin.reportPath, fin.error],
  );
}

export async function fileSize(db: Queryable, fileHash: string): Promise<number> {
  const [f] = await db.query<{ file_size: string | number }>('SELECT file_size FROM files WHERE file_hash = $1', [fileHash]);
  return Number(f?.file_size ?? 0);
}

/** A finished job about to send rows again (its failed ones): queued, no longer finished. */
export async function reopenJob(db: Queryable, jobId: string): Promise<void> {
  await db.query(`UPDATE jobs SET status = 'queued', finished_at = NULL, error = NULL, updated_at = now() WHERE job_id = $1`, [jobId]);
}

/**
 * Serialises what decides a file's job (claim, clearing its progress) until the transaction
 * ends, so two of them never interleave for the same content.
 */
export async function lockFileHash(tx: Queryable, fileHash: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [fileHash]);
}
