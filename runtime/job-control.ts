import { randomUUID } from 'node:crypto';
import { isGrpcDeadlineError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Config, DeliveryConfig } from '../core/config.ts';
import type { JobStatus } from '../core/job-status.ts';
import type { JobInput } from '../core/job-types.ts';
import { jobNotifyFor } from '../core/notification-config.ts';
import { jobSearchAttributes } from '../core/search-attributes.ts';
import type { Database } from '../store/database.ts';
import { fileSize, getJob } from '../store/jobs-repo.ts';
import { countRows } from '../store/rows-repo.ts';
import { WORKER_ANSWER_TIMEOUT_MS } from './jobs.ts';
import { cancelSignal, csvJob, pauseSignal, resumeSignal, retryFailedUpdate } from '../workflows/csv-job.ts';

export type JobControlProblem = 'not_found' | 'not_running' | 'nothing_to_retry' | 'unsent_rows' | 'no_worker';


/** A pause, resume, cancel or retry that cannot be done; `problem` lets the API pick its status code. */
export class JobControlError extends Error {
  override name = 'JobControlError';
  constructor(
    readonly problem: JobControlProblem,
    message: string,
  ) {
    super(message);
  }
}

export type JobAction = 'pause' | 'resume' | 'cancel';

const SIGNALS = { pause: pauseSignal, resume: resumeSignal, cancel: cancelSignal };
/** The status the job is heading to once its workflow takes the signal (within about a second). */
const HEADING_TO: Record<JobAction, JobStatus> = { pause: 'paused', resume: 'running', cancel: 'cancelled' };

/** Whether the job's workflow (its latest run) is running, has closed, or was never started. */
export async function workflowState(client: Client, jobId: string): Promise<'running' | 'closed' | 'unknown'> {
  try {
    return (await client.workflow.getHandle(jobId).describe()).status.name === 'RUNNING' ? 'running' : 'closed';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'unknown';
    throw err;
  }
}

/** Signals a running job; a job that is not running (or unknown) is an error, not a no-op. */
export async function controlJob(client: Client, jobId: string, action: JobAction): Promise<JobStatus> {
  try {
    await client.workflow.getHandle(jobId).signal(SIGNALS[action]);
    return HEADING_TO[action];
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    if ((await workflowState(client, jobId)) !== 'unknown') throw new JobControlError('not_running', `job ${jobId} is not running: only a running job can ${action}`);
    throw new JobControlError('not_found', `no job ${jobId}`);
  }
}

export interface RetryStarted {
  status: JobStatus;
  failedRows: number;
  /** The new run, when the job had finished; null when the running job was signalled. */
  runId: string | null;
}

/**
 * Sends a job's failed rows again: a running job is asked (an update) and retries them after
 * the rest; a finished one gets a new run (same workflow id) over its failed rows only.
 */
export async function retryFailedRows(client: Client, db: Database, config: Config, jobId: string): Promise<RetryStarted> {
  const job = await getJob(db, jobId);
  if (!job) throw new JobControlError('not_found', `no job ${jobId}`);
  const counts = await countRows(db, jobId);
  const handle = client.workflow.getHandle(jobId);
  /** True when the running job took the retry; false when it has finished (or is finishing). */
  const askRunning = async (): Promise<boolean> => {
    try {
      await client.connection.withDeadline(Date.now() + WORKER_ANSWER_TIMEOUT_MS, () => handle.executeUpdate(retryFailedUpdate));
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) return false;
      if (isGrpcDeadlineError(err)) throw new JobControlError('no_worker', `job ${jobId} runs but no worker answered within ${WORKER_ANSWER_TIMEOUT_MS / 1000}s`);
      throw err;
    }
  };
  const running: RetryStarted = { status: 'running', failedRows: counts.failed, runId: null };
  if (await askRunning()) return running;
  if (counts.failed === 0) throw new JobControlError('nothing_to_retry', `job ${jobId} has no failed rows`);
  if (counts.pending > 0) {
    throw new JobControlError('unsent_rows', `job ${jobId} (${job.status}) still has ${counts.pending} rows not sent: trigger its file again to resume it, then retry its failed rows`);
  }
  // A run that refused because it was finishing closes within moments.
  await client.connection.withDeadline(Date.now() + WORKER_ANSWER_TIMEOUT_MS, () => handle.result()).catch(() => undefined);
  const input: JobInput = {
    jobId,
    jobName: job.job_name,
    filePath: job.csv_file,
    fileHash: job.file_hash,
    fileSize: await fileSize(db, job.file_hash),
    resume: true,
    forceRestart: false,
    triggeredBy: 'api',
    startRequestId: randomUUID(),
    // The settings the job was delivered with, so a retry is as polite as the first pass.
    delivery: { ...config.delivery, ...(job.config as Partial<DeliveryConfig>) },
    retryFailed: true,
    notify: jobNotifyFor(config.notifications),
  };
  try {
    const started = await client.workflow.start(csvJob, {
      workflowId: jobId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: jobSearchAttributes(job.job_name, job.csv_file, job.file_hash),
    });
    return { status: 'queued', failedRows: counts.failed, runId: started.firstExecutionRunId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // A trigger of the same file started it meanwhile: that run takes the retry.
    if (await askRunning()) return running;
    throw new JobControlError('not_running', `job ${jobId} started and finished while its retry was being set up: ask again`);
  }
}
