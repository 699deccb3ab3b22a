import type { Config } from '../core/config.ts';
import type { JobStatus } from '../core/job-status.ts';
import type { FinishResult } from '../core/job-types.ts';
import type { JobSummary } from '../core/job-events.ts';
import type { HostLimiterView } from '../core/limiter/view.ts';
import type { Database } from '../store/database.ts';
import { finishJobRecord, getJob } from '../store/jobs-repo.ts';
import { topErrorReasons } from '../store/job-queries.ts';
import { countRows, firstErrors, latencySummary } from '../store/rows-repo.ts';
import { reportPathFor, writeReport } from './job-report.ts';

const REPORT_ERRORS = 50;
const TOP_ERROR_REASONS = 5;

export interface FinishInput {
  jobId: string;
  status: Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;
  error: string | null;
  /** Each target host's limiter as the job last saw it. */
  hosts?: HostLimiterView[];
}

/** Records the job's final status and counts, and writes its JSON report under DATA_DIR/reports. */
export async function finishJob(db: Database, config: Config, input: FinishInput): Promise<FinishResult> {
  const counts = await countRows(db, input.jobId);
  const job = await getJob(db, input.jobId);
  const reportPath = reportPathFor(config.dataDir, input.jobId);
  const finishedAt = new Date();
  const startedAt = job?.started_at ?? job?.created_at ?? finishedAt;
  const durationSeconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  const { statusCodes, ...latency } = await latencySummary(db, input.jobId);
  const rowsPerSecond = durationSeconds > 0 ? (counts.succeeded + counts.failed) / durationSeconds : null;
  const topErrors = await topErrorReasons(db, input.jobId, TOP_ERROR_REASONS);
  const report = {
    job_id: input.jobId,
    job_name: job?.job_name ?? null,
    status: input.status,
    error: input.error,
    csv_file: job?.csv_file ?? null,
    file_hash: job?.file_hash ?? null,
    triggered_by: job?.triggered_by ?? null,
    options: job?.config ?? null,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_seconds: durationSeconds,
    total_rows: job?.total_rows ?? null,
    counts,
    rows_per_second: rowsPerSecond,
    status_codes: statusCodes,
    latency_ms: latency,
    hosts: (input.hosts ?? []).map((h) => ({
      origin: h.origin,
      final_state: h.state,
      rate_per_second: h.ratePerSecond,
      ceiling_per_second: h.ceilingPerSecond,
      circuit_opens: h.circuitOpens,
      answers: h.answers,
    })),
    top_errors: topErrors,
    first_errors: (await firstErrors(db, input.jobId, REPORT_ERRORS)).map((e) => ({
      row: e.rowNumber,
      status: e.status,
      webhook_url: e.url,
      status_code: e.statusCode,
      error: e.error,
    })),
  };
  await writeReport(reportPath, report, config.reportKeep);
  await finishJobRecord(db, input.jobId, { status: input.status, counts, reportPath, error: input.error });
  const summary: JobSummary = {
    jobId: input.jobId,
    jobName: job?.job_name ?? input.jobId,
    csvFile: job?.csv_file ?? '',
    status: input.status,
    error: input.error,
    totalRows: job?.total_rows ?? 0,
    counts,
    durationSeconds,
    rowsPerSecond,
    topErrors,
    reportPath,
  };
  return { status: input.status, counts, reportPath, summary };
}
