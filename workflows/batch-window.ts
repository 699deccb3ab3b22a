import { emptyCounts, type DispatchResult, type OpenBatch, type RowCounts, type WindowState } from '../core/job-types.ts';

export interface WindowLimits {
  chunk: number;
  /** BATCH_WINDOW: unfinished batches at once, in flight or waiting on a held host. */
  width: number;
  lastRow: number;
  /** A wait on a held host shorter than this the next dispatch absorbs. */
  sliceMs: number;
}

/**
 * A batch whose remaining rows all wait on held hosts doubles, up to this many chunks
 * (CSV_CHUNK_SIZE rows each), so other hosts' rows go on meanwhile; past that the job waits.
 */
const MAX_BATCH_CHUNKS = 10;

/**
 * The job's sliding window of batches, in row order. Deterministic bookkeeping only: the
 * workflow starts the activities and feeds their results back.
 */
export class BatchWindow {
  private readonly running = new Set<OpenBatch>();

  constructor(
    private readonly state: WindowState,
    private readonly limits: WindowLimits,
  ) {}

  static starting(from: number, limits: WindowLimits): BatchWindow {
    return new BatchWindow({ open: [], nextFrom: from, size: limits.chunk }, limits);
  }

  /** Every row has been in a batch and every batch is done. */
  get finished(): boolean {
    return this.state.open.length === 0 && this.state.nextFrom > this.limits.lastRow;
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Batches to dispatch now: waiting ones whose hold is over, then new ones while the window has room. */
  launchable(now: number): OpenBatch[] {
    const due = this.state.open.filter((b) => !this.running.has(b) && b.notBefore <= now);
    while (this.state.open.length < this.limits.width && this.state.nextFrom <= this.limits.lastRow) {
      const from = this.state.nextFrom;
      const batch: OpenBatch = { from, to: this.end(from, this.state.size), resumeAt: from, counts: emptyCounts(), notBefore: 0 };
      this.state.open.push(batch);
      this.state.nextFrom = batch.to;
      due.push(batch);
    }
    for (const b of due) this.running.add(b);
    return due;
  }

  /** When a batch waiting on a held host may go again (Infinity when none waits). */
  nextWakeAt(): number {
    return Math.min(...this.state.open.filter((b) => !this.running.has(b)).map((b) => b.notBefore));
  }

  /** Takes a dispatch's result; returns the counts of a batch now done (to settle), else null. */
  settle(batch: OpenBatch, r: DispatchResult, now: number): RowCounts | null {
    this.running.delete(batch);
    if (r.done) {
      this.state.open.splice(this.state.open.indexOf(batch), 1);
      return r.rangeCounts;
    }
    batch.counts = r.rangeCounts;
    batch.resumeAt = r.lowWaterMark;
    batch.notBefore = 0;
    if (r.heldUntil !== null) {
      // Rows past a held one went out, so rows further on may too: the newest batch grows (and the
      // ones after it stay that wide). Otherwise wait out a hold longer than a slice.
      const size = batch.to - batch.from;
      const maxSize = this.limits.chunk * MAX_BATCH_CHUNKS;
      const newest = batch.to === this.state.nextFrom && batch.to <= this.limits.lastRow;
      if (r.sentPastHeld > 0 && newest && size < maxSize) {
        batch.to = this.end(batch.from, Math.min(2 * size, maxSize));
        this.state.nextFrom = batch.to;
        this.state.size = Math.max(this.state.size, batch.to - batch.from);
      } else if (r.heldUntil - now > this.limits.sliceMs) {
        batch.notBefore = r.heldUntil;
      }
    }
    return null;
  }

  /** Counts of the rows in unfinished batches. */
  openCounts(): RowCounts {
    const sum = emptyCounts();
    for (const b of this.state.open) for (const k of Object.keys(sum) as (keyof RowCounts)[]) sum[k] += b.counts[k];
    return sum;
  }

  carried(): WindowState {
    return { open: this.state.open.map((b) => ({ ...b })), nextFrom: this.state.nextFrom, size: this.state.size };
  }

  private end(from: number, size: number): number {
    return Math.min(from + size, this.limits.lastRow + 1);
  }
}
