import type { Config } from '../core/config.ts';
import { emptyCounts, type ClaimResult, type JobInput, type RowCounts } from '../core/job-types.ts';
import type { Database, Queryable } from '../store/database.ts';
import { completedJobForHash, createOrResetJob, getJob, lockFileHash, reopenJob, upsertFile } from '../store/jobs-repo.ts';
import { countRows, deleteRows, firstPendingRow, requeueFailedRows } from '../store/rows-repo.ts';

const DAY_MS = 86_400_000;

export interface RequeueResult {
  decision: 'resume';
  /** Rows put back to pending. */
  requeued: number;
  resumedFromRow: number;
  totalRows: number;
  /** Outcomes of the rows below resumedFromRow. */
  settled: RowCounts;
}

/** Puts the job's failed rows back to pending; the job goes on from the first pending row. */
export async function requeueFailed(db: Queryable, jobId: string, totalRows: number): Promise<RequeueResult> {
  const { requeued } = await requeueFailedRows(db, jobId);
  const first = (await firstPendingRow(db, jobId)) ?? totalRows + 1;
  return { decision: 'resume', requeued, resumedFromRow: first, totalRows, settled: await countRows(db, jobId, { from: 1, to: first }) };
}

/**
 * Decides what a trigger means for this file: a fresh job, a resume of the unfinished job of
 * the same content, or a refusal because that content was already delivered. A run started
 * to retry a finished job's failed rows puts them back to pending and resumes.
 */
export async function claimJob(db: Database, config: Config, input: JobInput): Promise<ClaimResult> {
  return db.transaction(async (tx) => {
    // One claim per file hash at a time, so two triggers cannot both decide "fresh".
    await lockFileHash(tx, input.fileHash);
    await upsertFile(tx, { hash: input.fileHash, path: input.filePath, size: input.fileSize });
    const base = { jobId: input.jobId, settled: emptyCounts(), totalRows: null, resumedFromRow: null, deliveredBy: null };

    if (input.retryFailed) {
      const existing = await getJob(tx, input.jobId);
      if (existing?.ingested) {
        await reopenJob(tx, input.jobId);
        return { ...base, ...(await requeueFailed(tx, input.jobId, existing.total_rows ?? 0)) };
      }
    }

    if (!input.forceRestart) {
      const delivered = await completedJobForHash(tx, input.fileHash);
      if (delivered) return { ...base, decision: 'already_delivered', deliveredBy: delivered.job_id };
    }

    const existing = await getJob(tx, input.jobId);
    const recent = existing !== null && Date.now() - existing.updated_at.getTime() <= config.resume.maxAgeDays * DAY_MS;
    if (existing && input.resume && config.resume.enabled && recent) {
      if (!existing.ingested) return { ...base, decision: 'resume', resumedFromRow: 1 };
      const first = (await firstPendingRow(tx, input.jobId)) ?? (existing.total_rows ?? 0) + 1;
      return {
        ...base,
        decision: 'resume',
        totalRows: existing.total_rows,
        resumedFromRow: first,
        settled: await countRows(tx, input.jobId, { from: 1, to: first }),
      };
    }

    await deleteRows(tx, input.jobId);
    await createOrResetJob(tx, {
      jobId: input.jobId,
      jobName: input.jobName,
      fileHash: input.fileHash,
      csvFile: input.filePath,
      triggeredBy: input.triggeredBy,
      config: input.delivery,
    });
    return { ...base, decision: 'fresh' };
  });
}
