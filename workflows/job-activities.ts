import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { Activities } from '../activities/index.ts';
import { FILE_FAILURES } from '../core/failures.ts';
import type { JobInput } from '../core/job-types.ts';

/** Activity options, declared once. Row-level retries happen inside dispatchBatch; these cover crashes and a DB outage. */
export function jobActivities(input: JobInput) {
  const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: FILE_FAILURES };
  return {
    claim: proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { ...retry, maximumAttempts: 5 } }),
    work: proxyActivities<Activities>({
      startToCloseTimeout: '24 hours',
      heartbeatTimeout: input.delivery.heartbeatTimeoutMs,
      retry,
      // Through the task queue, not eagerly to the worker that runs this workflow: any worker may take a batch.
      allowEagerDispatch: false,
    }),
    // Read on the host that holds the file (its file queue); jobs started before file queues existed, on any worker.
    files: proxyActivities<Activities>({
      ...(input.fileQueue ? { taskQueue: input.fileQueue, scheduleToStartTimeout: input.delivery.fileHostWaitMs } : {}),
      startToCloseTimeout: '24 hours',
      heartbeatTimeout: input.delivery.heartbeatTimeoutMs,
      retry,
    }),
  };
}

/** Names the host a job waited for when no process there read its file in time. */
export const fileHostGone =
  (input: JobInput) =>
  (err: unknown): never => {
    if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
      const host = input.fileQueue?.split('@').pop();
      const waited = Math.round(input.delivery.fileHostWaitMs / 1000);
      throw ApplicationFailure.nonRetryable(
        `no process on ${host} read ${input.filePath} within ${waited} s (FILE_HOST_WAIT_SECONDS): the file is only there; start the API, the platform or a worker on that host, or trigger the file again`,
        'FileHostGone',
      );
    }
    throw err;
  };
