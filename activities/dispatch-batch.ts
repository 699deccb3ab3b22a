import { Context } from '@temporalio/activity';
import type { Dispatcher } from 'undici';
import type { DispatchInput, DispatchResult } from '../core/job-types.ts';
import type { Database } from '../store/database.ts';
import { pendingRows, summarizeRange, writeOutcomes, type RowOutcome } from '../store/rows-repo.ts';
import { FixedPacer, type PacerState } from './pacer.ts';
import { sendRow } from './http-sender.ts';

/** Outcomes are written in one statement per this many rows, or per flush interval, whichever first. */
export const FLUSH_ROWS = 200;
const FLUSH_INTERVAL_MS = 200;
/** Senders wait for the writer beyond this: bounds memory and what a crash can make us resend. */
export const MAX_UNWRITTEN_ROWS = 2 * FLUSH_ROWS;

export interface DispatchHeartbeat {
  lowWaterMark: number;
  pacer: PacerState;
}

export interface DispatchBatchInput extends DispatchInput {
  pacer: PacerState;
}

export interface DispatchBatchResult extends DispatchResult {
  pacer: PacerState;
}

/**
 * Sends the pending rows of [from, to) with MAX_WORKERS in flight, writing outcomes in
 * batches and heartbeating the low-water mark (every row below it has its outcome stored).
 * It stops starting rows after one slice (BATCH_SLICE_SECONDS) so the workflow can report
 * progress and honour pause/cancel; a retried attempt resumes from its last heartbeat.
 */
export async function dispatchBatch(db: Database, dispatcher: Dispatcher, input: DispatchBatchInput): Promise<DispatchBatchResult> {
  const ctx = Context.current();
  const { delivery, jobId } = input;
  const last = ctx.info.heartbeatDetails as DispatchHeartbeat | undefined;
  const startAt = Math.max(input.resumeAt, last?.lowWaterMark ?? input.from);
  const pacer = new FixedPacer(delivery.baseRateLimit * 1000, last?.pacer ?? input.pacer);
  const rows = await pendingRows(db, jobId, startAt, input.to);
  const deadline = Date.now() + delivery.batchSliceMs;

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
        for (const o of batch) stored[indexOf.get(o.rowNumber)!] = 1;
        while (lowIdx < rows.length && stored[lowIdx]) lowIdx++;
      }
      ctx.heartbeat({ lowWaterMark: lowWaterMark(), pacer: pacer.snapshot() } satisfies DispatchHeartbeat);
    } catch (err) {
      writeError ??= err;
    }
  };
  // `.finally` runs after the assignment, so `writing` is never left pointing at a finished drain.
  const flush = (): Promise<void> => (writing ??= drain().finally(() => void (writing = null)));
  const timer = setInterval(() => void flush(), FLUSH_INTERVAL_MS);

  let next = 0;
  let requestsSent = 0;
  const sendCtx = {
    jobId,
    dispatcher,
    maxRetries: delivery.maxRetries,
    requestTimeoutMs: delivery.requestTimeoutMs,
    backoff: { baseMs: delivery.retryBaseDelayMs, capMs: delivery.retryMaxDelayMs },
    signal: ctx.cancellationSignal,
    // The first slot of a slice is always taken, so a spacing longer than a slice still makes progress.
    acquireSlot:
      delivery.baseRateLimit > 0
        ? (origin: string, mayDefer: boolean) =>
            pacer.acquire(origin, mayDefer && pacer.reservations > 0 ? deadline : Number.POSITIVE_INFINITY, ctx.cancellationSignal)
        : null,
  };
  // A failed write stops the batch: its rows stay pending and the retried attempt sends them.
  const stopping = () => Date.now() >= deadline || ctx.cancellationSignal.aborted || writeError !== null;
  const sender = async () => {
    while (!stopping() && next < rows.length) {
      const row = rows[next++]!;
      const result = await sendRow(row, sendCtx);
      requestsSent += result.requests;
      if ('unfinished' in result) return;
      buffer.push(result);
      if (buffer.length >= FLUSH_ROWS) {
        const written = flush();
        if (buffer.length >= MAX_UNWRITTEN_ROWS) await written;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(delivery.maxWorkers, rows.length) }, sender));
  } finally {
    clearInterval(timer);
    while (writing || (buffer.length > 0 && writeError === null)) await flush();
  }
  if (writeError !== null) throw writeError;
  // From the store, not our bookkeeping: the next batch can never start past a pending row.
  const { counts: rangeCounts, firstPending } = await summarizeRange(db, jobId, { from: input.from, to: input.to });
  return { done: rangeCounts.pending === 0, lowWaterMark: firstPending ?? input.to, rangeCounts, requestsSent, pacer: pacer.snapshot() };
}
