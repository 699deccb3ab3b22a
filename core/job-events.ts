import type { JobStatus } from './job-status.ts';
import type { RowCounts } from './job-types.ts';

export type NotifyChannel = 'slack' | 'email';

/** Which channels a job notifies, decided when it is triggered. */
export interface JobNotify {
  channels: NotifyChannel[];
  /** A progress message each time the job passes another this many percent; null = none. */
  progressEveryPercent: number | null;
}

/** What notifications tell about a job: its start, its progress, its end. */
export type JobEvent =
  | { kind: 'started'; jobId: string; jobName: string; csvFile: string; totalRows: number | null; resumedFromRow: number | null }
  | { kind: 'progress'; jobId: string; jobName: string; percent: number; processedRows: number; totalRows: number; counts: RowCounts; rowsPerSecond: number }
  | { kind: 'finished'; summary: JobSummary };

/** A finished job in figures, for the final notification. */
export interface JobSummary {
  jobId: string;
  jobName: string;
  csvFile: string;
  status: JobStatus;
  /** Why the job itself failed or was cancelled, if it says. */
  error: string | null;
  totalRows: number;
  counts: RowCounts;
  durationSeconds: number;
  rowsPerSecond: number | null;
  /** The most frequent reasons rows failed or were invalid, most frequent first. */
  topErrors: { reason: string; rows: number }[];
  reportPath: string | null;
}
