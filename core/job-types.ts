import type { DeliveryConfig, JobOverrides } from './config.ts';
import type { JobNotify, JobSummary } from './job-events.ts';
import type { JobStatus, RowStatus } from './job-status.ts';
import type { LimiterSnapshots } from './limiter/context.ts';
import type { HostLimiterView } from './limiter/view.ts';

/** What a trigger (CLI, REST, watcher) asks for. */
export interface JobRequest extends JobOverrides {
  jobName?: string;
  /** Continue an unfinished job of the same file (default true). */
  resume?: boolean;
  /** Send the rows again even if this file was delivered before: a new job id. */
  forceRestart?: boolean;
  triggeredBy?: 'cli' | 'api' | 'watcher';
}

/** The csvJob workflow's input; also what continue-as-new carries forward. */
export interface JobInput {
  jobId: string;
  jobName: string;
  filePath: string;
  fileHash: string;
  fileSize: number;
  resume: boolean;
  forceRestart: boolean;
  triggeredBy: string;
  /** Identifies the trigger that started the workflow, so a second trigger can tell it joined a running job. */
  startRequestId: string;
  delivery: DeliveryConfig;
  /** The task queue of the host that checked the file, where it is read (ingest); absent: any worker. */
  fileQueue?: string;
  /** A run started to send a finished job's failed rows again (POST /jobs/:id/retry-failed). */
  retryFailed?: boolean;
  /** Notification channels; absent = none. */
  notify?: JobNotify;
  carried?: CarriedState;
}

export type RowCounts = Record<RowStatus, number>;

export const emptyCounts = (): RowCounts => ({ pending: 0, succeeded: 0, failed: 0, invalid: 0 });

/** State a continued-as-new run picks up. */
export interface CarriedState {
  claim: ClaimResult;
  totalRows: number;
  /** The batches not yet done and the first row not yet in one; rows below the first batch are settled. */
  window: WindowState;
  settled: RowCounts;
  paused: boolean;
  /** A retry of the failed rows was asked for and not yet done. */
  retryFailedRequested: boolean;
  /** The last progress percentage notified. */
  progressNotified: number;
  /** Per target host, the rate limiter's persisted state. */
  limiters: LimiterSnapshots;
}

/** Rows [from, to) handed to dispatch activities until each has a final outcome. */
export interface OpenBatch {
  from: number;
  to: number;
  /** Where its next dispatch starts (the low-water mark of the last one). */
  resumeAt: number;
  /** Its rows' counts as the store had them after the last dispatch. */
  counts: RowCounts;
  /** Every row left waits on a held host: not dispatched again before this (epoch ms). */
  notBefore: number;
}

/** What continue-as-new carries: nothing is in flight then. */
export interface WindowState {
  open: OpenBatch[];
  /** The first row not yet in a batch. */
  nextFrom: number;
  /** Rows per new batch: CSV_CHUNK_SIZE, or wider once a batch had to grow. */
  size: number;
}

export type ClaimDecision = 'fresh' | 'resume' | 'already_delivered';

/** What claimJob decided, and what the trigger is told. */
export interface ClaimResult {
  jobId: string;
  decision: ClaimDecision;
  /** Set when resuming: the first row not yet delivered. */
  resumedFromRow: number | null;
  /** Rows in the file, when an earlier run already ingested it (resume), else null. */
  totalRows: number | null;
  /** Outcomes of the rows below resumedFromRow (resume), else zeros. */
  settled: RowCounts;
  /** When decision is already_delivered: which job delivered this file. */
  deliveredBy: string | null;
}

/** What a trigger gets back from jobs.start. */
export interface JobHandleInfo extends ClaimResult {
  workflowId: string;
  runId: string;
  /** sha256 of the file as triggered. */
  fileHash: string;
  /** True when the trigger joined a job that was already running for the same file. */
  duplicate: boolean;
}

export interface IngestResult {
  totalRows: number;
  validRows: number;
  invalidRows: number;
}

export interface DispatchInput {
  jobId: string;
  from: number;
  to: number;
  resumeAt: number;
  delivery: DeliveryConfig;
  limiters: LimiterSnapshots;
  /** Batches of the job in flight with this one (BATCH_WINDOW at most): each gets that share of every host's pace and of MAX_WORKERS. */
  shares: number;
}

export interface DispatchResult {
  /** True when every row in [from, to) has a final outcome. */
  done: boolean;
  lowWaterMark: number;
  /** Counts over [from, to) as stored in the DB, so a retried attempt never double counts. */
  rangeCounts: RowCounts;
  /** Requests sent by this attempt (including retries of a row). */
  requestsSent: number;
  limiters: LimiterSnapshots;
  /** Set when every row left in the range waits on its host (pace, Retry-After, open circuit): until when. */
  heldUntil: number | null;
  /** Rows sent that came after a held row: rows further on may well be deliverable too. */
  sentPastHeld: number;
}

export interface JobProgress {
  jobId: string;
  jobName: string;
  status: JobStatus;
  totalRows: number | null;
  processedRows: number;
  succeeded: number;
  failed: number;
  invalid: number;
  rowsPerSecond: number;
  paused: boolean;
  cancelRequested: boolean;
  /** The rate limiter of each target host the job has talked to recently. */
  hosts: HostLimiterView[];
}

export interface FinishResult {
  status: JobStatus;
  counts: RowCounts;
  reportPath: string;
  summary: JobSummary;
}
