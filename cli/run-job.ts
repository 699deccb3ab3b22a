import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import type { Config } from '../core/config.ts';
import type { JobRequest } from '../core/job-types.ts';
import { startJob } from '../runtime/jobs.ts';
import { launchPlatform } from '../runtime/platform.ts';
import { progressQuery, type JobOutcome } from '../workflows/csv-job.ts';
import { createProgressView } from './progress.ts';

export const EXIT = { completed: 0, failed: 1, usage: 2, alreadyDelivered: 3 } as const;

const say = (msg: string) => process.stderr.write(`${msg}\n`);

/**
 * `run FILE`: starts the job through the shared job-starting code and follows it to the end.
 * Uses a running platform when there is one; otherwise brings up an embedded dev server and an
 * in-process worker for the duration.
 */
export async function runJob(config: Config, file: string, request: JobRequest, showProgress: boolean): Promise<number> {
  const platform = await launchPlatform(config, { worker: 'unless-store-busy', api: false, watch: false, role: 'cli', log: say });
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    say(platform.ownsWorker ? '\ninterrupted: stopping; run the same command again to resume the job' : '\ninterrupted: the job keeps running on the platform');
    void platform.shutdown().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const info = await startJob(platform.client, config, file, { ...request, triggeredBy: 'cli' });
    if (info.decision === 'already_delivered') {
      say(`${file} was already delivered by job ${info.deliveredBy}; nothing sent. Use --force-restart to send it again.`);
      return EXIT.alreadyDelivered;
    }
    const how = info.duplicate ? 'joined running job' : info.decision === 'resume' ? `resuming job (from row ${info.resumedFromRow})` : 'started job';
    say(`${how} ${info.jobId}${platform.uiUrl ? ` — ${platform.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${info.workflowId}` : ''}`);

    const handle = platform.client.workflow.getHandle(info.workflowId);
    const view = showProgress ? createProgressView() : null;
    let finished = false;
    const result = (platform.client.workflow.getHandle(info.workflowId, info.runId).result() as Promise<JobOutcome>).finally(() => {
      finished = true;
    });
    while (view && !finished) {
      // Before the first workflow task the query has no answer yet: skip that tick.
      const progress = await handle.query(progressQuery).catch(() => null);
      if (progress) view.update(progress);
      await Promise.race([sleep(500), result.catch(() => undefined)]);
    }
    let outcome: JobOutcome;
    try {
      outcome = await result.finally(() => view?.stop());
    } catch (err) {
      // The job itself failed or was cancelled as a workflow: say why, not "workflow execution failed".
      if (!(err instanceof WorkflowFailedError)) throw err;
      say(`job ${info.jobId} ${err.cause instanceof CancelledFailure ? 'cancelled' : `failed: ${err.cause?.message ?? err.message}`}`);
      return EXIT.failed;
    }
    const c = outcome.counts;
    say(`job ${outcome.jobId} ${outcome.status}: ${outcome.totalRows} rows, ${c.succeeded} succeeded, ${c.failed} failed, ${c.invalid} invalid${outcome.reportPath ? `; report ${outcome.reportPath}` : ''}`);
    return outcome.status === 'completed' ? EXIT.completed : EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!interrupted) await platform.shutdown();
  }
}
