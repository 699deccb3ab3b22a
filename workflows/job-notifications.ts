import { ParentClosePolicy, startChild, uuid4 } from '@temporalio/workflow';
import type { JobEvent, NotifyChannel } from '../core/job-events.ts';
import type { JobInput, RowCounts } from '../core/job-types.ts';
import { notifyJob } from './notify-job.ts';

/**
 * The job's notifications: each event goes to a child workflow the job abandons, so
 * notifying never waits on a channel. Progress is told each time another `progressEveryPercent`
 * of the rows is done (never at 100%: the final message says it).
 */
export function jobNotifications(input: JobInput, alreadyNotifiedPercent: number) {
  const channels = input.notify?.channels ?? [];
  const every = input.notify?.progressEveryPercent ?? null;
  let notifiedPercent = alreadyNotifiedPercent;

  const announce = async (event: JobEvent, to: NotifyChannel[] = channels): Promise<void> => {
    if (to.length === 0) return;
    await startChild(notifyJob, {
      workflowId: `${input.jobId}-${event.kind}-${uuid4()}`,
      args: [to, event],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  };

  return {
    announce: (event: JobEvent) => announce(event),
    async progress(p: { processedRows: number; totalRows: number; counts: RowCounts; rowsPerSecond: number }): Promise<void> {
      if (every === null || p.totalRows <= 0) return;
      const percent = Math.floor((p.processedRows * 100) / p.totalRows / every) * every;
      if (percent <= notifiedPercent || percent >= 100) return;
      notifiedPercent = percent;
      // Progress goes to Slack only (SLACK_NOTIFY_PROGRESS): a mail per step would be noise.
      await announce({ kind: 'progress', jobId: input.jobId, jobName: input.jobName, percent, ...p }, channels.filter((c) => c === 'slack'));
    },
    /** Carried across continue-as-new, so a percentage is told once. */
    notifiedPercent: () => notifiedPercent,
  };
}
