import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  setHandler,
  allHandlersFinished,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { DeliveryConfig } from '../core/config.ts';
import type { JobStatus } from '../core/job-status.ts';
import { emptyCounts, type ClaimResult, type JobInput, type JobProgress, type RowCounts } from '../core/job-types.ts';
import { JOB_STATUS } from '../core/search-attributes.ts';
import { FILE_FAILURES } from '../core/failures.ts';
import type { LimiterSnapshots } from '../core/limiter/context.ts';
import { hostViews } from '../core/limiter/view.ts';
import { jobNotifications } from './job-notifications.ts';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal('cancel');
/**
 * Send the job's failed rows again once the rest is done. An update, not a signal, so the
 * caller learns whether this run took it or had already finished (then a new run is due).
 */
export const retryFailedUpdate = defineUpdate<void>('retryFailed');
export const progressQuery = defineQuery<JobProgress>('progress');
/** Sent with every trigger (update-with-start): answers what the trigger got, once the job is claimed. */
export const claimUpdate = defineUpdate<ClaimResult & { duplicate: boolean }, [requestId: string]>('claim');

export interface JobOutcome {
  jobId: string;
  status: JobStatus;
  alreadyDelivered: boolean;
  deliveredBy: string | null;
  counts: RowCounts;
  totalRows: number;
  reportPath: string | null;
}

/** Activity options, declared once. Row-level retries happen inside dispatchBatch; these cover crashes and a DB outage. */
function activitiesFor(delivery: DeliveryConfig) {
  const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: FILE_FAILURES };
  return {
    claim: proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { ...retry, maximumAttempts: 5 } }),
    work: proxyActivities<Activities>({
      startToCloseTimeout: '24 hours',
      heartbeatTimeout: delivery.heartbeatTimeoutMs,
      retry,
    }),
  };
}

/**
 * A batch whose remaining rows all wait on held hosts doubles, up to this many chunks
 * (CSV_CHUNK_SIZE rows each), so other hosts' rows go on meanwhile; past that the job waits.
 */
const MAX_BATCH_CHUNKS = 10;

const add = (a: RowCounts, b: RowCounts): RowCounts => ({
  pending: a.pending + b.pending,
  succeeded: a.succeeded + b.succeeded,
  failed: a.failed + b.failed,
  invalid: a.invalid + b.invalid,
});

/**
 * One CSV job: claim → ingest → dispatch batches [from, to) → finish. Decides only; every
 * side effect is an activity. History stays bounded by continuing as new.
 */
export async function csvJob(input: JobInput): Promise<JobOutcome> {
  const { claim: claimActs, work } = activitiesFor(input.delivery);
  const carried = input.carried;
  let claim: ClaimResult | undefined = carried?.claim;
  let totalRows: number | null = carried?.totalRows ?? null;
  let batchFrom = carried?.batchFrom ?? 1;
  let batchTo = carried?.batchTo ?? 0;
  let resumeAt = carried?.resumeAt ?? 1;
  let settled = carried?.settled ?? emptyCounts();
  let current = emptyCounts();
  let limiters: LimiterSnapshots = carried?.limiters ?? {};
  let paused = carried?.paused ?? false;
  let cancelRequested = false;
  let retryFailedRequested = carried?.retryFailedRequested ?? false;
  let status: JobStatus = carried ? 'running' : 'queued';
  let rate = { perSecond: 0, atMs: Date.now(), processed: 0 };
  const notifications = jobNotifications(input, carried?.progressNotified ?? 0);

  const processed = () => {
    const all = add(settled, current);
    return all.succeeded + all.failed + all.invalid;
  };

  setHandler(claimUpdate, async (requestId) => {
    await condition(() => claim !== undefined);
    return { ...claim!, duplicate: requestId !== input.startRequestId };
  });
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(cancelSignal, () => void (cancelRequested = true));
  let finished = false;
  setHandler(retryFailedUpdate, () => void (retryFailedRequested = true), {
    validator: () => {
      if (finished || cancelRequested || claim?.decision === 'already_delivered') throw new Error('this run is finishing');
    },
  });
  setHandler(progressQuery, (): JobProgress => {
    const all = add(settled, current);
    return {
      jobId: input.jobId,
      jobName: input.jobName,
      status,
      totalRows,
      processedRows: processed(),
      succeeded: all.succeeded,
      failed: all.failed,
      invalid: all.invalid,
      rowsPerSecond: rate.perSecond,
      paused,
      cancelRequested,
      hosts: hostViews(limiters),
    };
  });

  /** The status the query and the Web UI show; final statuses reach the store through finishJob. */
  const markStatus = (next: JobStatus) => {
    status = next;
    upsertSearchAttributes([{ key: JOB_STATUS, value: next }]);
  };
  const setStatus = async (next: 'running' | 'paused') => {
    markStatus(next);
    await work.recordJobStatus(input.jobId, next);
  };

  const outcome = (reportPath: string | null, alreadyDelivered = false): JobOutcome => ({
    jobId: input.jobId,
    status,
    alreadyDelivered,
    deliveredBy: claim?.deliveredBy ?? null,
    counts: add(settled, current),
    totalRows: totalRows ?? 0,
    reportPath,
  });

  try {
    if (!claim) {
      claim = await claimActs.claimJob(input);
      if (claim.decision === 'resume') {
        totalRows = claim.totalRows;
        batchFrom = resumeAt = claim.resumedFromRow ?? 1;
        settled = claim.settled;
      }
      if (claim.decision !== 'already_delivered') {
        await notifications.announce({ kind: 'started', jobId: input.jobId, jobName: input.jobName, csvFile: input.filePath, totalRows, resumedFromRow: claim.resumedFromRow });
      }
    }
    if (claim.decision === 'already_delivered') {
      markStatus('completed');
      return outcome(null, true);
    }
    if (totalRows === null) {
      await setStatus('running');
      totalRows = (await work.ingestCsv({ jobId: input.jobId, filePath: input.filePath, fileHash: input.fileHash })).totalRows;
    } else if (status !== 'running') {
      await setStatus('running');
    }

    const chunk = input.delivery.chunkSize;
    const lastRow = totalRows;
    const batchEnd = (from: number, size: number) => Math.min(from + size, lastRow + 1);
    if (batchTo <= batchFrom) batchTo = batchEnd(batchFrom, chunk);
    let batches = 0;
    /** A retry asked for while the job ran: its failed rows go back to pending and the loop goes on from the first. */
    const requeueFailed = async (): Promise<boolean> => {
      if (!retryFailedRequested || cancelRequested) return false;
      retryFailedRequested = false;
      const again = await work.requeueFailed(input.jobId, lastRow);
      if (again.requeued === 0) return false;
      settled = again.settled;
      current = emptyCounts();
      rate = { perSecond: 0, atMs: Date.now(), processed: processed() };
      batchFrom = resumeAt = again.resumedFromRow;
      batchTo = batchEnd(batchFrom, chunk);
      return true;
    };
    for (;;) {
      while (batchFrom <= totalRows) {
        if (paused && !cancelRequested) {
          await setStatus('paused');
          await condition(() => !paused || cancelRequested);
          if (!cancelRequested) await setStatus('running');
        }
        if (cancelRequested) break;
        const r = await work.dispatchBatch({ jobId: input.jobId, from: batchFrom, to: batchTo, resumeAt, delivery: input.delivery, limiters });
        limiters = r.limiters;
        // A batch that had to grow stays that wide: the held host's rows are likely spread on.
        const size = Math.max(chunk, batchTo - batchFrom);
        if (r.done) {
          settled = add(settled, r.rangeCounts);
          current = emptyCounts();
          batchFrom = resumeAt = batchTo;
          batchTo = batchEnd(batchFrom, size);
        } else {
          current = r.rangeCounts;
          resumeAt = r.lowWaterMark;
          if (r.heldUntil !== null) {
            // Rows past a held one went out, so rows further on may too. Otherwise wait out a hold
            // longer than a slice here (pause and cancel still answer); a shorter one the next slice absorbs.
            const holdMs = r.heldUntil - Date.now();
            const maxSize = chunk * MAX_BATCH_CHUNKS;
            if (r.sentPastHeld > 0 && batchTo <= totalRows && size < maxSize) batchTo = batchEnd(batchFrom, Math.min(2 * size, maxSize));
            else if (holdMs > input.delivery.batchSliceMs) await condition(() => paused || cancelRequested, holdMs);
          }
        }
        const now = Date.now();
        const instant = ((processed() - rate.processed) * 1000) / Math.max(1, now - rate.atMs);
        rate = { perSecond: rate.perSecond === 0 ? instant : 0.7 * rate.perSecond + 0.3 * instant, atMs: now, processed: processed() };
        await notifications.progress({ processedRows: processed(), totalRows, counts: add(settled, current), rowsPerSecond: rate.perSecond });

        batches += 1;
        if (batchFrom <= totalRows && (batches >= input.delivery.continueAsNewAfterBatches || workflowInfo().continueAsNewSuggested)) {
          await condition(allHandlersFinished);
          return await continueAsNew<typeof csvJob>({
            ...input,
            carried: { claim, totalRows, batchFrom, batchTo, resumeAt, settled, paused, retryFailedRequested, progressNotified: notifications.notifiedPercent(), limiters },
          });
        }
      }

      if (await requeueFailed()) continue;
      const final = cancelRequested ? 'cancelled' : 'completed';
      const fin = await work.finishJob({ jobId: input.jobId, status: final, error: null, hosts: hostViews(limiters) });
      // Only now: whoever sees the final status (query, Web UI) finds the store says so too.
      markStatus(final);
      settled = fin.counts;
      current = emptyCounts();
      // A retry that came in while the job was being finished still counts.
      if (await requeueFailed()) {
        await setStatus('running');
        continue;
      }
      finished = true;
      await notifications.announce({ kind: 'finished', summary: fin.summary });
      return outcome(fin.reportPath);
    }
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    finished = true;
    if (isCancellation(err)) {
      // The workflow itself was cancelled (Web UI, `temporal workflow cancel`): still record the outcome.
      markStatus('cancelled');
      await CancellationScope.nonCancellable(async () => {
        const fin = await work.finishJob({ jobId: input.jobId, status: 'cancelled', error: 'workflow cancelled', hosts: hostViews(limiters) });
        await notifications.announce({ kind: 'finished', summary: fin.summary });
      });
      throw err;
    }
    if (!claim || claim.decision === 'already_delivered') throw err;
    const message = err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message;
    markStatus('failed');
    const fin = await work.finishJob({ jobId: input.jobId, status: 'failed', error: message, hosts: hostViews(limiters) });
    await notifications.announce({ kind: 'finished', summary: fin.summary });
    throw ApplicationFailure.nonRetryable(message, 'JobFailed');
  }
}
