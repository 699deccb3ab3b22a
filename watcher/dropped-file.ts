import path from 'node:path';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { Config } from '../core/config.ts';
import type { JobHandleInfo } from '../core/job-types.ts';
import { hashFile } from '../activities/csv-file.ts';
import { JobStartError, startJob } from '../runtime/jobs.ts';
import type { Database } from '../store/database.ts';
import { getJob } from '../store/jobs-repo.ts';
import type { JobOutcome } from '../workflows/csv-job.ts';
import type { DropFolders } from './folders.ts';
import { moveInto, writeReason } from './move-file.ts';

export interface DroppedFileDeps {
  client: Client;
  config: Config;
  db: Database;
  folders: DropFolders;
  log: (msg: string) => void;
}

/** How a dropped file was taken: moved aside at once, or a job of its own to follow to the end. */
export type Taken =
  | { kind: 'duplicate' | 'rejected' | 'processed'; movedTo: string }
  | { kind: 'job'; info: JobHandleInfo }
  /** Rewritten while its job ran: the new content is a new file to take. */
  | { kind: 'changed' }
  | { kind: 'left'; reason: string };

/** Is this file the one its job was started from (a restart finding it still in the folder)? */
async function startedFrom(db: Database, jobId: string | null, file: string): Promise<boolean> {
  const job = jobId ? await getJob(db, jobId) : null;
  return job !== null && path.resolve(job.csv_file) === file;
}

/**
 * Checks a dropped file and starts its job through the same `startJob` as the CLI and the API.
 * Content already accepted from another file goes to duplicates/; a file that is not a usable
 * CSV goes to rejected/ with a reason file; otherwise its job runs and the caller follows it.
 */
export async function takeDroppedFile(deps: DroppedFileDeps, dropped: string): Promise<Taken> {
  const file = path.resolve(dropped);
  let info: JobHandleInfo;
  try {
    info = await startJob(deps.client, deps.config, file, { triggeredBy: 'watcher' });
  } catch (err) {
    if (err instanceof JobStartError && err.problem === 'invalid_csv') {
      const movedTo = await moveInto(file, deps.folders.rejected);
      await writeReason(movedTo, err.message.replace(`${file}: `, ''));
      return { kind: 'rejected', movedTo };
    }
    // Gone meanwhile, or no worker yet: leave it; a restart picks it up again.
    return { kind: 'left', reason: (err as Error).message };
  }
  if (info.decision === 'already_delivered') {
    const ours = await startedFrom(deps.db, info.deliveredBy, file);
    return { kind: ours ? 'processed' : 'duplicate', movedTo: await moveInto(file, ours ? deps.folders.processed : deps.folders.duplicates) };
  }
  if (info.duplicate && !(await startedFrom(deps.db, info.jobId, file))) {
    return { kind: 'duplicate', movedTo: await moveInto(file, deps.folders.duplicates) };
  }
  return { kind: 'job', info };
}

/**
 * Waits for a dropped file's job and files it by how it ended: completed → processed/, failed →
 * rejected/ with the reason. A cancelled job leaves its file in the folder: a restart resumes it.
 * A file rewritten meanwhile is not what was delivered, so it is not filed as processed.
 * Nothing is moved once `watching` says the watcher has stopped.
 */
export async function fileWhenDone(deps: DroppedFileDeps, dropped: string, info: JobHandleInfo, watching: () => boolean): Promise<Taken> {
  const file = path.resolve(dropped);
  try {
    const outcome = (await deps.client.workflow.getHandle(info.workflowId).result()) as JobOutcome;
    // A stopped watcher leaves the file to whoever watches next (its restart).
    if (!watching()) return { kind: 'left', reason: 'the watcher stopped' };
    if (outcome.status === 'cancelled') return { kind: 'left', reason: `job ${info.jobId} was cancelled` };
    const now = await hashFile(file).catch(() => null);
    if (now === null) return { kind: 'left', reason: 'the file was removed while its job ran' };
    if (now.hash !== info.fileHash) return { kind: 'changed' };
    return { kind: 'processed', movedTo: await moveInto(file, deps.folders.processed) };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError) || !watching()) throw err;
    if (err.cause?.name === 'CancelledFailure') return { kind: 'left', reason: `job ${info.jobId} was cancelled` };
    const movedTo = await moveInto(file, deps.folders.rejected);
    await writeReason(movedTo, `job ${info.jobId} failed: ${err.cause?.message ?? err.message}`);
    return { kind: 'rejected', movedTo };
  }
}
