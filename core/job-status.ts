/** Job status, the same six words in the DB, the API, the CLI and reports. */
export const JOB_STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A row is pending until its outcome is final: succeeded, failed, or invalid (never sent). */
export const ROW_STATUSES = ['pending', 'succeeded', 'failed', 'invalid'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number];
