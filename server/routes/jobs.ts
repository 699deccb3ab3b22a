import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostLimiterView } from '../../core/limiter/view.ts';
import { reportPathFor } from '../../activities/job-report.ts';
import { jobProgress } from '../../runtime/active-jobs.ts';
import { getJob, type JobRecord } from '../../store/jobs-repo.ts';
import { jobErrors, listJobs } from '../../store/job-queries.ts';
import { countRows } from '../../store/rows-repo.ts';
import { ApiProblem } from '../problem.ts';
import { requireDb, route } from '../route.ts';
import { JobDetailSchema, JobErrorsSchema, JobIdParamsSchema, JobListSchema, JobReportSchema, JobsQuerySchema, PageQuerySchema } from '../schemas.ts';

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function jobJson(j: JobRecord) {
  return {
    job_id: j.job_id,
    job_name: j.job_name,
    status: j.status,
    csv_file: j.csv_file,
    file_hash: j.file_hash,
    triggered_by: j.triggered_by,
    total_rows: j.total_rows,
    succeeded: j.succeeded,
    failed: j.failed,
    invalid_rows: j.invalid_rows,
    error: j.error,
    report_path: j.report_path,
    created_at: j.created_at.toISOString(),
    started_at: iso(j.started_at),
    finished_at: iso(j.finished_at),
    updated_at: j.updated_at.toISOString(),
  };
}

/** A host's limiter in the API's snake_case. */
export const hostJson = (h: HostLimiterView) => ({
  origin: h.origin,
  state: h.state,
  rate_per_second: h.ratePerSecond,
  ceiling_per_second: h.ceilingPerSecond,
  held_until: h.heldUntil,
  consecutive_failures: h.consecutiveFailures,
  circuit_opens: h.circuitOpens,
  answers: h.answers,
});

export async function knownJob(db: Parameters<typeof getJob>[0], jobId: string): Promise<JobRecord> {
  const job = await getJob(db, jobId);
  if (!job) throw new ApiProblem(404, 'job-not-found', `no job ${jobId}`);
  return job;
}

export const jobRoutes = [
  route({
    method: 'get',
    path: '/jobs',
    summary: 'Job history from the store, newest first',
    query: JobsQuerySchema,
    responses: { 200: { description: 'A page of jobs and how many there are in all', schema: JobListSchema } },
    async handle({ query, deps }) {
      const { jobs, total } = await listJobs(requireDb(deps), query);
      return { status: 200, json: { jobs: jobs.map(jobJson), total } };
    },
  }),
  route({
    method: 'get',
    path: '/jobs/{job_id}',
    summary: "One job: its record, and while it runs its live progress and each target host's rate limiter",
    params: JobIdParamsSchema,
    responses: { 200: { description: 'The job', schema: JobDetailSchema }, 404: { description: 'No such job' } },
    async handle({ params, deps }) {
      const db = requireDb(deps);
      const job = await knownJob(db, params.job_id);
      const active = ['queued', 'running', 'paused'].includes(job.status);
      const progress = active ? await jobProgress(deps.client, job.job_id) : null;
      // Running: the workflow knows the counts. Finished: the record's are final. Neither (no
      // worker answers now): count the rows, the one case that reads them all.
      const counts = progress ?? (active ? await countRows(db, job.job_id) : { succeeded: job.succeeded, failed: job.failed, invalid: job.invalid_rows });
      const totalRows = progress ? progress.totalRows : job.total_rows;
      const processed = counts.succeeded + counts.failed + counts.invalid;
      return {
        status: 200,
        json: {
          ...jobJson(job),
          status: progress?.status ?? job.status,
          total_rows: totalRows,
          succeeded: counts.succeeded,
          failed: counts.failed,
          invalid_rows: counts.invalid,
          processed_rows: processed,
          pending_rows: totalRows === null ? 0 : Math.max(0, totalRows - processed),
          rows_per_second: progress ? progress.rowsPerSecond : null,
          paused: progress?.paused ?? false,
          hosts: (progress?.hosts ?? []).map(hostJson),
          report_url: job.report_path ? `/jobs/${job.job_id}/report` : null,
        },
      };
    },
  }),
  route({
    method: 'get',
    path: '/jobs/{job_id}/report',
    summary: "A finished job's JSON report: options, counts by outcome and status code, latency percentiles, per-host limiter, first errors",
    params: JobIdParamsSchema,
    responses: { 200: { description: 'The report', schema: JobReportSchema }, 404: { description: 'No such job, or no report (not finished, or pruned by REPORT_KEEP)' } },
    async handle({ params, deps }) {
      const job = await knownJob(requireDb(deps), params.job_id);
      // Only ever a file of the reports folder, whatever the record says.
      const file = job.report_path ? reportPathFor(deps.config.dataDir, job.job_id) : null;
      const text = file && path.resolve(job.report_path ?? '') === file ? await readFile(file, 'utf8').catch(() => null) : null;
      if (text === null) throw new ApiProblem(404, 'report-not-found', `job ${job.job_id} has no report${job.report_path ? ' any more (REPORT_KEEP keeps the newest)' : ' yet'}`);
      return { status: 200, json: JSON.parse(text) as unknown };
    },
  }),
  route({
    method: 'get',
    path: '/jobs/{job_id}/errors',
    summary: 'Failed and invalid rows of a job, with the reason, in row order',
    params: JobIdParamsSchema,
    query: PageQuerySchema,
    responses: { 200: { description: 'A page of errors and how many there are in all', schema: JobErrorsSchema }, 404: { description: 'No such job' } },
    async handle({ params, query, deps }) {
      const db = requireDb(deps);
      await knownJob(db, params.job_id);
      const { errors, total } = await jobErrors(db, params.job_id, query);
      return {
        status: 200,
        json: {
          errors: errors.map((e) => ({
            row: e.row_number,
            status: e.status,
            webhook_url: e.webhook_url,
            name: e.name,
            group: e.group_name,
            status_code: e.status_code,
            error: e.error,
            attempts: e.attempts,
          })),
          total,
        },
      };
    },
  }),
];
