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
  setHandler,
  allHandlersFinished,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { JobStatus } from '../core/job-status.ts';
import { emptyCounts, type ClaimResult, type JobInput, type JobProgress, type OpenBatch, type RowCounts } from '../core/job-types.ts';
import { JOB_STATUS } from '../core/search-attributes.ts';
import type { LimiterSnapshots } from '../core/limiter/context.ts';
import { hostViews } from '../core/limiter/view.ts';
import { mergeReturned } from '../core/limiter/share.ts';
import { BatchWindow } from './batch-window.ts';
import { fileHostGone, jobActivities } from './job-activities.ts';
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

/** The shortest span rows/s is measured over. */
const RATE_SAMPLE_MS = 1000;

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
  const { claim: claimActs, work, files } = jobActivities(input);
  const carried = input.carried;
  let claim: ClaimResult | undefined = carried?.claim;
  let totalRows: number | null = carried?.totalRows ?? null;
  /** The first row to send when the job starts afresh or resumes; carried runs have their window. */
  let resumeFrom = 1;
  let batchWindow: BatchWindow | null = null;
  let settled = carried?.settled ?? emptyCounts();
  let limiters: LimiterSnapshots = carried?.limiters ?? {};
  let paused = carried?.paused ?? false;
  let cancelRequested = false;
  let retryFailedRequested = carried?.retryFailedRequested ?? false;
  let status: JobStatus = carried ? 'running' : 'queued';
  let rate = { perSecond: 0, atMs: Date.now(), processed: 0 };
  const notifications = jobNotifications(input, carried?.progressNotified ?? 0);

  const openCounts = () => batchWindow?.openCounts() ?? emptyCounts();
  const processed = () => {
    const all = add(settled, openCounts());
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
    const all = add(settled, openCounts());
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
    counts: add(settled, openCounts()),
    totalRows: totalRows ?? 0,
    reportPath,
  });

  try {
    if (!claim) {
      claim = await claimActs.claimJob(input);
      if (claim.decision === 'resume') {
        totalRows = claim.totalRows;
        resumeFrom = claim.resumedFromRow ?? 1;
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
      totalRows = (await files.ingestCsv({ jobId: input.jobId, filePath: input.filePath, fileHash: input.fileHash }).catch(fileHostGone(input))).totalRows;
    } else if (status !== 'running') {
      await setStatus('running');
    }

    // No more batches than requests allowed in flight: each batch sends at least one at a time.
    const width = Math.min(input.delivery.batchWindow, input.delivery.maxWorkers);
    const limits = { chunk: input.delivery.chunkSize, width, lastRow: totalRows, sliceMs: input.delivery.batchSliceMs };
    batchWindow = carried?.window ? new BatchWindow(carried.window, limits) : BatchWindow.starting(resumeFrom, limits);
    let dispatched = 0;
    let completions = 0;
    let failure: unknown = null;
    /** A batch activity; its result joins the job's counts and limiters whichever worker ran it. */
    const launch = (into: BatchWindow, batch: OpenBatch, shares: number) => {
      const launchedWith = limiters;
      work
        .dispatchBatch({ jobId: input.jobId, from: batch.from, to: batch.to, resumeAt: batch.resumeAt, delivery: input.delivery, limiters: launchedWith, shares })
        .then((r) => {
          limiters = mergeReturned(limiters, launchedWith, r.limiters);
          const done = into.settle(batch, r, Date.now());
          if (done) settled = add(settled, done);
        })
        .catch((err: unknown) => void (failure ??= err))
        .finally(() => void (completions += 1));
    };
    /** A retry asked for while the job ran: its failed rows go back to pending and the window starts again from the first. */
    const requeueFailed = async (): Promise<boolean> => {
      if (!retryFailedRequested || cancelRequested) return false;
      retryFailedRequested = false;
      const again = await work.requeueFailed(input.jobId, limits.lastRow);
      if (again.requeued === 0) return false;
      settled = again.settled;
      batchWindow = BatchWindow.starting(again.resumedFromRow, limits);
      rate = { perSecond: 0, atMs: Date.now(), processed: processed() };
      return true;
    };
    for (;;) {
      while (!batchWindow.finished) {
        const dueToContinue = dispatched >= input.delivery.continueAsNewAfterBatches || workflowInfo().continueAsNewSuggested;
        if (!paused && !cancelRequested && !dueToContinue && failure === null) {
          const due = batchWindow.launchable(Date.now());
          // Each batch paces at its share of every host: the batches in flight once these start.
          for (const batch of due) launch(batchWindow, batch, batchWindow.inFlight);
          dispatched += due.length;
        }
        if (batchWindow.inFlight === 0) {
          // Nothing runs: the moment to fail, stop, continue as new, pause, or wait out held hosts.
          if (failure !== null) throw failure;
          if (cancelRequested) break;
          if (dueToContinue) {
            await condition(allHandlersFinished);
            return await continueAsNew<typeof csvJob>({
              ...input,
              carried: { claim, totalRows, window: batchWindow.carried(), settled, paused, retryFailedRequested, progressNotified: notifications.notifiedPercent(), limiters },
            });
          }
          if (paused) {
            await setStatus('paused');
            await condition(() => !paused || cancelRequested);
            if (!cancelRequested) await setStatus('running');
          } else {
            // Every open batch waits on a held host; pause and cancel still answer.
            await condition(() => paused || cancelRequested, Math.max(1, batchWindow.nextWakeAt() - Date.now()));
          }
          continue;
        }
        const seen = completions;
        const wakeIn = batchWindow.nextWakeAt() - Date.now();
        if (Number.isFinite(wakeIn)) await condition(() => completions !== seen, Math.max(1, wakeIn));
        else await condition(() => completions !== seen);
        if (completions === seen) continue;

        // Batches of a window come back close together: measure over a second at least.
        const now = Date.now();
        if (now - rate.atMs >= RATE_SAMPLE_MS) {
          const instant = ((processed() - rate.processed) * 1000) / (now - rate.atMs);
          rate = { perSecond: rate.perSecond === 0 ? instant : 0.7 * rate.perSecond + 0.3 * instant, atMs: now, processed: processed() };
        }
        await notifications.progress({ processedRows: processed(), totalRows, counts: add(settled, batchWindow.openCounts()), rowsPerSecond: rate.perSecond });
      }

      if (await requeueFailed()) continue;
      const final = cancelRequested ? 'cancelled' : 'completed';
      const fin = await work.finishJob({ jobId: input.jobId, status: final, error: null, hosts: hostViews(limiters) });
      // Only now: whoever sees the final status (query, Web UI) finds the store says so too.
      markStatus(final);
      settled = fin.counts;
      batchWindow = BatchWindow.starting(limits.lastRow + 1, limits);
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
