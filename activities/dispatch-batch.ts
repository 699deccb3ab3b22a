import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import type { Dispatcher } from 'undici';
import type { DispatchInput, DispatchResult } from '../core/job-types.ts';
import type { LimiterSnapshots } from '../core/limiter/context.ts';
import { limiterSettings } from '../core/limiter/settings.ts';
import type { Database } from '../store/database.ts';
import { pendingRows, summarizeRange, writeOutcomes, type RowOutcome } from '../store/rows-repo.ts';
import { HostLimiters } from './host-limiters.ts';
import { sendRow } from './http-sender.ts';

/** Outcomes are written in one statement per this many rows, or per flush interval, whichever first. */
export const FLUSH_ROWS = 200;
const FLUSH_INTERVAL_MS = 200;
/** Senders wait for the writer beyond this: bounds memory and what a crash can make us resend. */
export const MAX_UNWRITTEN_ROWS = 2 * FLUSH_ROWS;
/**
 * Rows in progress per allowed request in flight: a row waiting out a retry holds a sender but
 * no request, so a host that pushes back cannot stall every other host's rows behind its retries.
 */
export const SENDERS_PER_WORKER = 4;

export interface DispatchHeartbeat {
  lowWaterMark: number;
  limiters: LimiterSnapshots;
}

/**
 * Sends the pending rows of [from, to) with its share of MAX_WORKERS requests in flight, each when
 * its target host's limiter (at its share of the host's pace) gives it a slot, writing outcomes
 * in batches and heartbeating the low-water mark (every row below it has its outcome stored)
 * with the limiters' snapshots. A row whose host is held, or whose retry is due, after the slice
 * is left pending (with its attempts) and the next row goes. It stops starting rows after one slice (BATCH_SLICE_SECONDS) so the workflow can
 * report progress and honour pause/cancel; a retried attempt resumes from its last heartbeat,
 * limiters included.
 */
export async function dispatchBatch(db: Database, dispatcher: Dispatcher, input: DispatchInput): Promise<DispatchResult> {
  const ctx = Context.current();
  const { delivery, jobId } = input;
  const last = ctx.info.heartbeatDetails as DispatchHeartbeat | undefined;
  const startAt = Math.max(input.resumeAt, last?.lowWaterMark ?? input.from);
  // The job's other in-flight batches (BATCH_WINDOW) share each host's pace and MAX_WORKERS with this one.
  const shares = input.shares;
  const limiters = new HostLimiters(limiterSettings(delivery), last?.limiters ?? input.limiters, shares);
  // The workflow keeps shares ≤ MAX_WORKERS, so the job's batches together stay within it.
  const maxInFlight = Math.max(1, Math.floor(delivery.maxWorkers / shares));
  const rows = await pendingRows(db, jobId, startAt, input.to);
  const deadline = Date.now() + delivery.batchSliceMs;
  // Every sender may be waiting on the signal (slot, backoff) at once.
  setMaxListeners(SENDERS_PER_WORKER * maxInFlight + 10, ctx.cancellationSignal);

  const indexOf = new Map(rows.map((r, i) => [r.rowNumber, i]));
  const stored = new Uint8Array(rows.length);
  let lowIdx = 0;
  const lowWaterMark = () => (lowIdx < rows.length ? rows[lowIdx]!.rowNumber : input.to);

  // One writer drains the buffer; senders only wait for it when too much is unwritten.
  let buffer: RowOutcome[] = [];
  let writing: Promise<void> | null = null;
  let writeError: unknown = null;
  const drain = async () => {
    try {
      while (buffer.length > 0) {
        const batch = buffer;
        buffer = [];
        await writeOutcomes(db, jobId, batch);
        // A deferred retry is stored but not settled: the low-water mark stays below it.
        for (const o of batch) if (o.status !== 'pending') stored[indexOf.get(o.rowNumber)!] = 1;
        while (lowIdx < rows.length && stored[lowIdx]) lowIdx++;
      }
      ctx.heartbeat({ lowWaterMark: lowWaterMark(), limiters: limiters.snapshots() } satisfies DispatchHeartbeat);
    } catch (err) {
      writeError ??= err;
    }
  };
  // `.finally` runs after the assignment, so `writing` is never left pointing at a finished drain.
  const flush = (): Promise<void> => (writing ??= drain().finally(() => void (writing = null)));
  const timer = setInterval(() => void flush(), FLUSH_INTERVAL_MS);

  let next = 0;
  let requestsSent = 0;
  let heldUntil = Number.POSITIVE_INFINITY;
  let firstHeldIdx = rows.length;
  const sentIdx: number[] = [];
  const sendCtx = {
    jobId,
    dispatcher,
    limiters,
    inFlight: pLimit(maxInFlight),
    deferAfter: deadline,
    maxRetries: delivery.maxRetries,
    requestTimeoutMs: delivery.requestTimeoutMs,
    backoff: { baseMs: delivery.retryBaseDelayMs, capMs: delivery.retryMaxDelayMs },
    signal: ctx.cancellationSignal,
  };
  // A failed write stops the batch: its rows stay pending and the retried attempt sends them.
  const stopping = () => Date.now() >= deadline || ctx.cancellationSignal.aborted || writeError !== null;
  const sender = async () => {
    while (!stopping() && next < rows.length) {
      const idx = next++;
      const result = await sendRow(rows[idx]!, sendCtx);
      requestsSent += result.requests;
      if (result.kind === 'untouched' && result.heldUntil === null) return;
      if (result.kind === 'done') {
        sentIdx.push(idx);
      } else {
        heldUntil = Math.min(heldUntil, result.kind === 'untouched' ? result.heldUntil! : result.outcome.retryAt!);
        firstHeldIdx = Math.min(firstHeldIdx, idx);
      }
      if (result.kind === 'untouched') continue;
      buffer.push(result.outcome);
      if (buffer.length >= FLUSH_ROWS) {
        const written = flush();
        if (buffer.length >= MAX_UNWRITTEN_ROWS) await written;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(SENDERS_PER_WORKER * maxInFlight, rows.length) }, sender));
  } finally {
    clearInterval(timer);
    while (writing || (buffer.length > 0 && writeError === null)) await flush();
  }
  if (writeError !== null) throw writeError;
  // From the store, not our bookkeeping: the next batch can never start past a pending row.
  const { counts: rangeCounts, firstPending } = await summarizeRange(db, jobId, { from: input.from, to: input.to });
  // Every row was looked at and what is left waits on its host: say until when, so the workflow can wait too.
  const onlyHeldLeft = next >= rows.length && heldUntil !== Number.POSITIVE_INFINITY && !ctx.cancellationSignal.aborted;
  return {
    done: rangeCounts.pending === 0,
    lowWaterMark: firstPending ?? input.to,
    rangeCounts,
    requestsSent,
    limiters: limiters.snapshots(),
    heldUntil: onlyHeldLeft ? heldUntil : null,
    sentPastHeld: sentIdx.filter((i) => i > firstHeldIdx).length,
  };
}
