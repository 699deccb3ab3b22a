import { mkdir, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../core/config.ts';
import type { JobStatus } from '../core/job-status.ts';
import type { FinishResult } from '../core/job-types.ts';
import type { Database } from '../store/database.ts';
import { finishJobRecord, getJob } from '../store/jobs-repo.ts';
import { countRows, firstErrors, latencySummary } from '../store/rows-repo.ts';

const REPORT_ERRORS = 50;

export interface FinishInput {
  jobId: string;
  status: Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;
  error: string | null;
}

/** Records the job's final status and counts, and writes its JSON report under DATA_DIR/reports. */
export async function finishJob(db: Database, config: Config, input: FinishInput): Promise<FinishResult> {
  const counts = await countRows(db, input.jobId);
  const job = await getJob(db, input.jobId);
  const reportDir = path.resolve(config.dataDir, 'reports');
  const reportPath = path.join(reportDir, `${input.jobId}.json`);
  const finishedAt = new Date();
  const startedAt = job?.started_at ?? job?.created_at ?? finishedAt;
  const durationSeconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  const { statusCodes, ...latency } = await latencySummary(db, input.jobId);
  const report = {
    job_id: input.jobId,
    job_name: job?.job_name ?? null,
    status: input.status,
    error: input.error,
    csv_file: job?.csv_file ?? null,
    file_hash: job?.file_hash ?? null,
    triggered_by: job?.triggered_by ?? null,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_seconds: durationSeconds,
    total_rows: job?.total_rows ?? null,
    counts,
    rows_per_second: durationSeconds > 0 ? (counts.succeeded + counts.failed) / durationSeconds : null,
    status_codes: statusCodes,
    latency_ms: latency,
    first_errors: (await firstErrors(db, input.jobId, REPORT_ERRORS)).map((e) => ({
      row: e.rowNumber,
      status: e.status,
      webhook_url: e.url,
      status_code: e.statusCode,
      error: e.error,
    })),
  };
  await mkdir(reportDir, { recursive: true });
  // Write then rename, so a reader never sees half a report.
  await writeFile(`${reportPath}.tmp`, JSON.stringify(report, null, 2));
  await rename(`${reportPath}.tmp`, reportPath);
  await finishJobRecord(db, input.jobId, { status: input.status, counts, reportPath, error: input.error });
  return { status: input.status, counts, reportPath };
}
