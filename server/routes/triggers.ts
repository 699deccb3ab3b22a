import pLimit from 'p-limit';
import type { z } from 'zod';
import type { JobHandleInfo, JobRequest } from '../../core/job-types.ts';
import { CsvFormatError } from '../../activities/csv-file.ts';
import { dryRun } from '../../runtime/dry-run.ts';
import { checkJobFile, startJob } from '../../runtime/jobs.ts';
import { confineCsvPath } from '../csv-path.ts';
import { asApiProblem } from '../job-problems.ts';
import { ApiProblem } from '../problem.ts';
import { route, type ApiDeps } from '../route.ts';
import { BatchStartedSchema, BatchTriggerBodySchema, DryRunSchema, JobStartedSchema, TriggerBodySchema, TriggerOptionsSchema } from '../schemas.ts';

/** Files of one batch checked and started at once. */
const BATCH_STARTS_AT_ONCE = 4;

type TriggerOptions = Omit<z.output<typeof TriggerOptionsSchema>, 'dry_run'>;

export const jobRequest = (o: TriggerOptions): JobRequest => ({
  jobName: o.job_name,
  resume: o.resume,
  forceRestart: o.force_restart,
  workers: o.workers,
  rateLimit: o.rate_limit,
  triggeredBy: 'api',
});

export function started(info: JobHandleInfo, csvFile: string): z.output<typeof JobStartedSchema> {
  return {
    job_id: info.jobId,
    workflow_id: info.workflowId,
    run_id: info.runId,
    status: info.decision === 'already_delivered' ? 'completed' : 'running',
    csv_file: csvFile,
    file_hash: info.fileHash,
    duplicate: info.duplicate,
    already_delivered: info.decision === 'already_delivered',
    delivered_by: info.deliveredBy,
    resumed_from_row: info.resumedFromRow,
  };
}

async function trigger(deps: ApiDeps, csvFile: string, options: TriggerOptions) {
  const filePath = await confineCsvPath(csvFile, deps.config.api.csvDirs);
  return started(await startJob(deps.client, deps.config, filePath, jobRequest(options)), filePath);
}

export const triggerRoutes = [
  route({
    method: 'post',
    path: '/trigger',
    summary: 'Start (or join, or resume) the job for a CSV file; dry_run only validates its rows',
    body: TriggerBodySchema,
    responses: {
      200: { description: 'dry_run: what the rows look like; nothing is sent', schema: DryRunSchema },
      202: { description: 'The job was started, joined or resumed (or the content was already delivered)', schema: JobStartedSchema },
      404: { description: 'No such file' },
      422: { description: 'Not a CSV file with a webhook_url column' },
      503: { description: 'No worker took the job' },
    },
    async handle({ body, deps }) {
      const { csv_file, dry_run, ...options } = body;
      if (!dry_run) return { status: 202, json: await trigger(deps, csv_file, options) };
      const filePath = await confineCsvPath(csv_file, deps.config.api.csvDirs);
      await checkJobFile(filePath);
      const report = await dryRun(filePath).catch((err: unknown) => {
        throw err instanceof CsvFormatError ? new ApiProblem(422, 'invalid-csv', `${filePath}: ${err.message}`) : err;
      });
      return {
        status: 200,
        json: { csv_file: filePath, total_rows: report.totalRows, valid_rows: report.validRows, invalid_rows: report.invalidRows, errors: report.errors },
      };
    },
  }),
  route({
    method: 'post',
    path: '/trigger/batch',
    summary: 'One job per file, same options for all; a file that cannot start does not stop the others',
    body: BatchTriggerBodySchema,
    responses: { 202: { description: 'Per file: the job, or why it did not start', schema: BatchStartedSchema } },
    async handle({ body, deps }) {
      const { csv_files, ...options } = body;
      const limit = pLimit(BATCH_STARTS_AT_ONCE);
      const jobs = await Promise.all(
        csv_files.map((csvFile) =>
          limit(async () => {
            try {
              return await trigger(deps, csvFile, options);
            } catch (thrown) {
              const err = asApiProblem(thrown);
              if (err instanceof ApiProblem) return { csv_file: csvFile, error: err.message, status_code: err.status };
              deps.log(`trigger/batch: ${csvFile}: ${(err as Error).message}`);
              return { csv_file: csvFile, error: 'the job could not be started', status_code: 500 };
            }
          }),
        ),
      );
      return { status: 202, json: { jobs } };
    },
  }),
];
