import type { JobStatus } from '../core/job-status.ts';
import type { Queryable } from './database.ts';
import type { JobRecord } from './jobs-repo.ts';

/** Reads for the REST API: job history, a job's errors, unfinished jobs. */

export interface Page {
  limit: number;
  offset: number;
}

export async function listJobs(db: Queryable, page: Page & { status?: JobStatus }): Promise<{ jobs: JobRecord[]; total: number }> {
  const status = page.status ?? null;
  const jobs = await db.query<JobRecord>(
    `SELECT * FROM jobs WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, job_id LIMIT $2 OFFSET $3`,
    [status, page.limit, page.offset],
  );
  const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE ($1::text IS NULL OR status = $1)`, [status]);
  return { jobs, total: count?.n ?? 0 };
}

export interface RowError {
  row_number: number;
  status: 'failed' | 'invalid';
  webhook_url: string | null;
  name: string | null;
  group_name: string | null;
  status_code: number | null;
  error: string | null;
  attempts: number;
}

export async function jobErrors(db: Queryable, jobId: string, page: Page): Promise<{ errors: RowError[]; total: number }> {
  const errors = await db.query<RowError>(
    `SELECT row_number, status, webhook_url, name, group_name, status_code, error, attempts FROM job_rows
     WHERE job_id = $1 AND status IN ('failed', 'invalid') ORDER BY row_number LIMIT $2 OFFSET $3`,
    [jobId, page.limit, page.offset],
  );
  const [count] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM job_rows WHERE job_id = $1 AND status IN ('failed', 'invalid')`,
    [jobId],
  );
  return { errors, total: count?.n ?? 0 };
}

export interface UnfinishedJob {
  job_id: string;
  csv_file: string;
  file_hash: string;
  status: JobStatus;
  total_rows: number | null;
  processed_rows: number;
  updated_at: Date;
}

/** Every job not completed: a trigger of its file would resume it (unless too old). */
export async function unfinishedJobs(db: Queryable): Promise<UnfinishedJob[]> {
  return db.query<UnfinishedJob>(
    `SELECT j.job_id, j.csv_file, j.file_hash, j.status, j.total_rows, j.updated_at,
       (SELECT count(*)::int FROM job_rows r WHERE r.job_id = j.job_id AND r.status <> 'pending') AS processed_rows
     FROM jobs j WHERE j.status <> 'completed' ORDER BY j.updated_at DESC`,
  );
}

/** Forgets a job and its rows: a later trigger of the same content starts at the first row. */
export async function deleteJob(db: Queryable, jobId: string): Promise<void> {
  await db.query('DELETE FROM jobs WHERE job_id = $1', [jobId]);
}

/** The most frequent reasons a job's rows failed or were invalid. */
export async function topErrorReasons(db: Queryable, jobId: string, limit: number): Promise<{ reason: string; rows: number }[]> {
  return db.query<{ reason: string; rows: number }>(
    `SELECT coalesce(error, 'unknown') AS reason, count(*)::int AS rows FROM job_rows
     WHERE job_id = $1 AND status IN ('failed', 'invalid') GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $2`,
    [jobId, limit],
  );
}
