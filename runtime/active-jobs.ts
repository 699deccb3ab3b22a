import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import { JOB_STATUSES, type JobStatus } from '../core/job-status.ts';
import type { JobProgress } from '../core/job-types.ts';
import { JOB_NAME, JOB_STATUS } from '../core/search-attributes.ts';
import { progressQuery } from '../workflows/csv-job.ts';

/** Jobs listed at most: /status and /metrics stay cheap with very many running. */
const MAX_ACTIVE_JOBS = 500;
const QUERIES_AT_ONCE = 8;
/** A query waits for a worker to answer: without one, the job is listed without progress. */
const QUERY_TIMEOUT_MS = 2_000;

export interface ActiveJob {
  jobId: string;
  /** The workflow's own answer; null when it could not be asked (no worker right now). */
  progress: JobProgress | null;
  /** From the Web UI's search attributes, when progress is null. */
  jobName: string;
  status: JobStatus;
}

/** The progress query of one job, or null when no worker answers it now. */
export async function jobProgress(client: Client, jobId: string): Promise<JobProgress | null> {
  try {
    return await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => client.workflow.getHandle(jobId).query(progressQuery));
  } catch {
    return null;
  }
}

/** Running jobs of this task queue (Temporal visibility), each with its live progress. */
export async function listActiveJobs(client: Client, taskQueue: string): Promise<ActiveJob[]> {
  const found: { jobId: string; jobName: string; status: JobStatus }[] = [];
  const query = `WorkflowType = 'csvJob' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'`;
  for await (const wf of client.workflow.list({ query, pageSize: 100 })) {
    const status = wf.typedSearchAttributes.get(JOB_STATUS);
    found.push({
      jobId: wf.workflowId,
      jobName: wf.typedSearchAttributes.get(JOB_NAME) ?? wf.workflowId,
      status: JOB_STATUSES.includes(status as JobStatus) ? (status as JobStatus) : 'running',
    });
    if (found.length >= MAX_ACTIVE_JOBS) break;
  }
  const limit = pLimit(QUERIES_AT_ONCE);
  return Promise.all(found.map((job) => limit(async () => ({ ...job, progress: await jobProgress(client, job.jobId) }))));
}
