import type { Config } from '../core/config.ts';
import { emptyCounts, type ClaimResult, type JobInput } from '../core/job-types.ts';
import type { Database } from '../store/database.ts';
import { completedJobForHash, createOrResetJob, getJob, upsertFile } from '../store/jobs-repo.ts';
import { countRows, deleteRows, firstPendingRow } from '../store/rows-repo.ts';

const DAY_MS = 86_400_000;

/**
 * Decides what a trigger means for this file: a fresh job, a resume of the unfinished job of
 * the same content, or a refusal because that content was already delivered.
 */
export async function claimJob(db: Database, config: Config, input: JobInput): Promise<ClaimResult> {
  return db.transaction(async (tx) => {
    // One claim per file hash at a time, so two triggers cannot both decide "fresh".
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [input.fileHash]);
    await upsertFile(tx, { hash: input.fileHash, path: input.filePath, size: input.fileSize });
    const base = { jobId: input.jobId, settled: emptyCounts(), totalRows: null, resumedFromRow: null, deliveredBy: null };

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
