import path from 'node:path';
import { Agent, interceptors, type Dispatcher } from 'undici';
import type { Config } from '../core/config.ts';
import type { ClaimResult, DispatchInput, DispatchResult, FinishResult, IngestResult, JobInput } from '../core/job-types.ts';
import type { JobStatus } from '../core/job-status.ts';
import { backupDatabase, type BackupResult } from '../store/backup.ts';
import type { Database } from '../store/database.ts';
import { setJobStatus } from '../store/jobs-repo.ts';
import { claimJob, requeueFailed, type RequeueResult } from './claim-job.ts';
import { dispatchBatch } from './dispatch-batch.ts';
import { finishJob, type FinishInput } from './finish-job.ts';
import { ingestCsv, type IngestInput } from './ingest-csv.ts';
import { createNotifier, type NotifyInput } from './notify.ts';

export interface ActivityDeps {
  db: Database;
  config: Config;
}

/** One keep-alive pool per target origin for the whole worker process; redirects followed (5 at most). */
export function createDispatcher(): Dispatcher {
  return new Agent({ keepAliveTimeout: 30_000, connections: null }).compose(interceptors.redirect({ maxRedirections: 5 }));
}

/** What only a process on the file's host can do: read it. Registered on the host's file queue too. */
export function fileActivities(db: Database) {
  return { ingestCsv: (input: IngestInput): Promise<IngestResult> => ingestCsv(db, input) };
}

/** The activities a worker registers; the workflow imports this type only. */
export function createActivities({ db, config }: ActivityDeps, dispatcher: Dispatcher = createDispatcher()) {
  const notify = createNotifier(config.notifications, dispatcher);
  return {
    claimJob: (input: JobInput): Promise<ClaimResult> => claimJob(db, config, input),
    ...fileActivities(db),
    dispatchBatch: (input: DispatchInput): Promise<DispatchResult> => dispatchBatch(db, dispatcher, input),
    recordJobStatus: (jobId: string, status: JobStatus): Promise<void> => setJobStatus(db, jobId, status),
    finishJob: (input: FinishInput): Promise<FinishResult> => finishJob(db, config, input),
    requeueFailed: (jobId: string, totalRows: number): Promise<RequeueResult> => requeueFailed(db, jobId, totalRows),
    notify: (input: NotifyInput): Promise<void> => notify(input),
    backupDatabase: (): Promise<BackupResult> =>
      backupDatabase(db, { databaseUrl: config.databaseUrl, dir: path.resolve(config.dataDir, 'backups'), keep: config.backup.keep }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
