import type { HttpMethod } from '../core/http-methods.ts';
import { emptyCounts, type RowCounts } from '../core/job-types.ts';
import type { RowStatus } from '../core/job-status.ts';
import type { Queryable } from './database.ts';

/** A row as ingest stores it: either a request to send, or invalid with its reason. */
export interface StoredRow {
  rowNumber: number;
  url: string | null;
  method: string | null;
  payload: string | null;
  headers: string | null;
  name: string | null;
  group: string | null;
  invalidReason: string | null;
}

export interface PendingRow {
  rowNumber: number;
  url: string;
  method: HttpMethod;
  payload: string | null;
  headers: Record<string, string>;
  /** Attempts made in earlier slices. */
  attempts: number;
  /** Not before this (epoch ms): a retry left for a later slice. */
  retryAt: number | null;
}

/** A final outcome, or (status pending) a retry left for later with the attempts so far. */
export interface RowOutcome {
  rowNumber: number;
  status: Extract<RowStatus, 'succeeded' | 'failed' | 'pending'>;
  /** Set when status is pending: when to try again (epoch ms). */
  retryAt: number | null;
  attempts: number;
  statusCode: number | null;
  responseTimeMs: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

// Postgres text cannot hold NUL; a CSV cell or response with one is stored with U+FFFD instead.
const clean = (s: string | null): string | null => (s === null ? null : s.replaceAll('\0', '\uFFFD'));

/** One INSERT for many rows (unnest of arrays keeps the parameter count fixed). Re-inserting is a no-op. */
export async function insertRows(db: Queryable, jobId: string, rows: StoredRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO job_rows (job_id, row_number, webhook_url, method, payload, headers, name, group_name, status, error)
     SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
     ON CONFLICT (job_id, row_number) DO NOTHING`,
    [
      jobId,
      rows.map((r) => r.rowNumber),
      rows.map((r) => clean(r.url)),
      rows.map((r) => r.method),
      rows.map((r) => clean(r.payload)),
      rows.map((r) => r.headers),
      rows.map((r) => clean(r.name)),
      rows.map((r) => clean(r.group)),
      rows.map((r) => (r.invalidReason === null ? 'pending' : 'invalid')),
      rows.map((r) => clean(r.invalidReason)),
    ],
  );
}

export async function pendingRows(db: Queryable, jobId: string, from: number, to: number): Promise<PendingRow[]> {
  const rows = await db.query<{ row_number: number; webhook_url: string; method: HttpMethod; payload: string | null; headers: string | null; attempts: number; retry_at: number | null }>(
    `SELECT row_number, webhook_url, method, payload, headers, attempts, (extract(epoch FROM retry_at) * 1000)::float8 AS retry_at FROM job_rows
     WHERE job_id = $1 AND row_number >= $2 AND row_number < $3 AND status = 'pending'
     ORDER BY row_number`,
    [jobId, from, to],
  );
  return rows.map((r) => ({
    rowNumber: r.row_number,
    url: r.webhook_url,
    method: r.method,
    payload: r.payload,
    headers: r.headers ? (JSON.parse(r.headers) as Record<string, string>) : {},
    attempts: r.attempts,
    retryAt: r.retry_at,
  }));
}

/**
 * One UPDATE for many outcomes. Only pending rows change, so a replayed flush cannot overwrite a
 * final outcome. The row-number range keeps the plan to the batch's rows even before the table has
 * statistics (otherwise the planner may hash-join over every pending row of the job).
 */
export async function writeOutcomes(db: Queryable, jobId: string, outcomes: RowOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  let low = Infinity;
  let high = -Infinity;
  for (const o of outcomes) {
    low = Math.min(low, o.rowNumber);
    high = Math.max(high, o.rowNumber);
  }
  await db.query(
    `UPDATE job_rows r SET status = v.status, attempts = v.attempts, status_code = v.status_code,
            response_time_ms = v.ms, error = v.error, response_excerpt = v.excerpt,
            completed_at = CASE WHEN v.status = 'pending' THEN NULL ELSE now() END,
            retry_at = to_timestamp(v.retry_at / 1000.0)
     FROM unnest($2::int[], $3::text[], $4::int[], $5::int[], $6::float8[], $7::text[], $8::text[], $11::float8[])
          AS v(row_number, status, attempts, status_code, ms, error, excerpt, retry_at)
     WHERE r.job_id = $1 AND r.row_number BETWEEN $9 AND $10 AND r.row_number = v.row_number AND r.status = 'pending'`,
    [
      jobId,
      outcomes.map((o) => o.rowNumber),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.attempts),
      outcomes.map((o) => o.statusCode),
      outcomes.map((o) => o.responseTimeMs),
      outcomes.map((o) => clean(o.error)),
      outcomes.map((o) => clean(o.responseExcerpt)),
      low,
      high,
      outcomes.map((o) => o.retryAt),
    ],
  );
}

/** Row counts by status over [from, to), or the whole job when no range is given. */
export async function countRows(db: Queryable, jobId: string, range?: { from: number; to: number }): Promise<RowCounts> {
  const rows = range
    ? await db.query<{ status: RowStatus; n: number }>(
        `SELECT status, count(*)::int AS n FROM job_rows WHERE job_id = $1 AND row_number >= $2 AND row_number < $3 GROUP BY status`,
        [jobId, range.from, range.to],
      )
    : await db.query<{ status: RowStatus; n: number }>(
        `SELECT status, count(*)::int AS n FROM job_rows WHERE job_id = $1 GROUP BY status`,
        [jobId],
      );
  const counts = emptyCounts();
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}

export async function firstPendingRow(db: Queryable, jobId: string): Promise<number | null> {
  const [row] = await db.query<{ n: number | null }>(
    `SELECT min(row_number) AS n FROM job_rows WHERE job_id = $1 AND status = 'pending'`,
    [jobId],
  );
  return row?.n ?? null;
}

/** Counts by status over [from, to) and its lowest pending row, in one scan of the range. */
export async function summarizeRange(
  db: Queryable,
  jobId: string,
  range: { from: number; to: number },
): Promise<{ counts: RowCounts; firstPending: number | null }> {
  const rows = await db.query<{ status: RowStatus; n: number; first: number }>(
    `SELECT status, count(*)::int AS n, min(row_number) AS first FROM job_rows
     WHERE job_id = $1 AND row_number >= $2 AND row_number < $3 GROUP BY status`,
    [jobId, range.from, range.to],
  );
  const counts = emptyCounts();
  let firstPending: number | null = null;
  for (const r of rows) {
    counts[r.status] = r.n;
    if (r.status === 'pending') firstPending = r.first;
  }
  return { counts, firstPending };
}

export async function lastStoredRow(db: Queryable, jobId: string): Promise<number> {
  const [row] = await db.query<{ n: number | null }>(`SELECT max(row_number) AS n FROM job_rows WHERE job_id = $1`, [jobId]);
  return row?.n ?? 0;
}

export async function deleteRows(db: Queryable, jobId: string): Promise<void> {
  await db.query('DELETE FROM job_rows WHERE job_id = $1', [jobId]);
}

export interface RowErrorSummary {
  rowNumber: number;
  status: RowStatus;
  url: string | null;
  statusCode: number | null;
  error: string | null;
}

export async function firstErrors(db: Queryable, jobId: string, limit: number): Promise<RowErrorSummary[]> {
  const rows = await db.query<{ row_number: number; status: RowStatus; webhook_url: string | null; status_code: number | null; error: string | null }>(
    `SELECT row_number, status, webhook_url, status_code, error FROM job_rows
     WHERE job_id = $1 AND status IN ('failed', 'invalid') ORDER BY row_number LIMIT $2`,
    [jobId, limit],
  );
  return rows.map((r) => ({ rowNumber: r.row_number, status: r.status, url: r.webhook_url, statusCode: r.status_code, error: r.error }));
}

export interface LatencySummary {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  statusCodes: Record<string, number>;
}

export async function latencySummary(db: Queryable, jobId: string): Promise<LatencySummary> {
  const [p] = await db.query<{ p50: number | null; p95: number | null; p99: number | null }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY response_time_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms) AS p95,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY response_time_ms) AS p99
     FROM job_rows WHERE job_id = $1 AND response_time_ms IS NOT NULL`,
    [jobId],
  );
  const codes = await db.query<{ code: string; n: number }>(
    `SELECT coalesce(status_code::text, 'none') AS code, count(*)::int AS n FROM job_rows
     WHERE job_id = $1 AND status IN ('succeeded', 'failed') GROUP BY 1 ORDER BY 1`,
    [jobId],
  );
  return {
    p50: p?.p50 ?? null,
    p95: p?.p95 ?? null,
    p99: p?.p99 ?? null,
    statusCodes: Object.fromEntries(codes.map((c) => [c.code, c.n])),
  };
}

/**
 * Puts a job's failed rows back to pending with their attempts reset, so they are sent again
 * with a fresh retry budget. Answers how many, and the first of them.
 */
export async function requeueFailedRows(db: Queryable, jobId: string): Promise<{ requeued: number; firstRow: number | null }> {
  const [r] = await db.query<{ requeued: number; first_row: number | null }>(
    `WITH requeued AS (
       UPDATE job_rows SET status = 'pending', attempts = 0, retry_at = NULL, status_code = NULL, error = NULL,
         response_excerpt = NULL, response_time_ms = NULL, completed_at = NULL
       WHERE job_id = $1 AND status = 'failed' RETURNING row_number)
     SELECT count(*)::int AS requeued, min(row_number) AS first_row FROM requeued`,
    [jobId],
  );
  return { requeued: r?.requeued ?? 0, firstRow: r?.first_row ?? null };
}
