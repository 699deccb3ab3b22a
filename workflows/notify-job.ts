import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { JobEvent, NotifyChannel } from '../core/job-events.ts';

/** Each channel retries on its own for about a minute; then the message is given up (it was logged and counted). */
const { notify } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

/**
 * Sends one job event to its channels. A child workflow the job starts and abandons, so a slow
 * or broken channel never holds up the job, not even its end.
 */
export async function notifyJob(channels: NotifyChannel[], event: JobEvent): Promise<void> {
  await Promise.all(channels.map((channel) => notify({ channel, event }).catch(() => undefined)));
}
