import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isGrpcDeadlineError, WithStartWorkflowOperation, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { deliveryFor, overrideProblems, type Config } from '../core/config.ts';
import { CsvHeaderError } from '../core/csv-row.ts';
import { jobIdFor } from '../core/job-id.ts';
import { jobNotifyFor } from '../core/notification-config.ts';
import { fileQueueOf } from './file-queue.ts';
import type { JobHandleInfo, JobInput, JobRequest } from '../core/job-types.ts';
import { jobSearchAttributes } from '../core/search-attributes.ts';
import { CsvFormatError, hashFile, readCsvHeader } from '../activities/csv-file.ts';
import { claimUpdate, csvJob } from '../workflows/csv-job.ts';

export type JobStartProblem = 'invalid_request' | 'not_found' | 'not_a_file' | 'invalid_csv' | 'no_worker';

/** How long a trigger (or a retry request) waits for a worker to answer before saying none is running. */
export const WORKER_ANSWER_TIMEOUT_MS = 30_000;

/** A trigger that cannot start a job; `problem` lets the API pick its status code. */
export class JobStartError extends Error {
  override name = 'JobStartError';
  constructor(
    readonly problem: JobStartProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The file exists, is a file, and starts with a CSV header that has a webhook_url column. */
export async function checkJobFile(filePath: string): Promise<void> {
  const info = await stat(filePath).catch(() => null);
  if (!info) throw new JobStartError('not_found', `${filePath} does not exist`);
  if (!info.isFile()) throw new JobStartError('not_a_file', `${filePath} is not a file`);
  try {
    await readCsvHeader(filePath);
  } catch (err) {
    if (err instanceof CsvHeaderError || err instanceof CsvFormatError) throw new JobStartError('invalid_csv', `${filePath}: ${err.message}`);
    throw err;
  }
}

/**
 * The one way a job starts, for the CLI, the REST API and the watcher. Checks the file, hashes
 * it, and starts (or joins) its workflow with update-with-start; the workflow's claim decides
 * fresh, resume or already delivered, so this process needs no database of its own.
 */
export async function startJob(client: Client, config: Config, file: string, request: JobRequest = {}): Promise<JobHandleInfo> {
  const problems = overrideProblems(request);
  if (problems.length > 0) throw new JobStartError('invalid_request', problems.join('; '));
  const filePath = path.resolve(file);
  await checkJobFile(filePath);
  const { hash, size } = await hashFile(filePath);
  const jobId = jobIdFor(hash, request.forceRestart ? Date.now() : undefined);
  const jobName = request.jobName ?? config.defaultJobName ?? path.basename(filePath).replace(/\.csv$/i, '');
  const input: JobInput = {
    jobId,
    jobName,
    filePath,
    fileHash: hash,
    fileSize: size,
    resume: request.resume ?? true,
    forceRestart: request.forceRestart ?? false,
    triggeredBy: request.triggeredBy ?? 'cli',
    startRequestId: randomUUID(),
    delivery: deliveryFor(config.delivery, request),
    fileQueue: fileQueueOf(config.temporal.taskQueue),
    notify: jobNotifyFor(config.notifications),
  };
  const start = new WithStartWorkflowOperation(csvJob, {
    workflowId: jobId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    // The same file while its job runs joins that job instead of starting a second one.
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: jobSearchAttributes(jobName, filePath, hash),
  });
  let claim;
  let update;
  try {
    ({ claim, update } = await client.connection.withDeadline(Date.now() + WORKER_ANSWER_TIMEOUT_MS, async () => {
      const u = await client.workflow.startUpdateWithStart(claimUpdate, {
        args: [input.startRequestId],
        startWorkflowOperation: start,
        waitForStage: 'ACCEPTED',
      });
      return { update: u, claim: await u.result() };
    }));
  } catch (err) {
    if (isGrpcDeadlineError(err) || (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) {
      throw new JobStartError(
        'no_worker',
        `job ${jobId} is queued, but no worker took it within ${WORKER_ANSWER_TIMEOUT_MS / 1000}s: start the platform (npm start) or a worker (npm run worker) for task queue "${config.temporal.taskQueue}"`,
      );
    }
    throw err;
  }
  // The run that answered: the new one, or the running one this trigger joined.
  return { ...claim, workflowId: jobId, runId: update.workflowRunId ?? '', fileHash: hash };
}
