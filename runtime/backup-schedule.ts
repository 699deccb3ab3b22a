import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleSpec } from '@temporalio/client';
import type { Config } from '../core/config.ts';
import { databaseBackup } from '../workflows/database-backup.ts';

export const backupScheduleId = (taskQueue: string) => `bulk-api-trigger-backup-${taskQueue}`;

/**
 * Makes the Temporal Schedule that backs up the store match DATABASE_BACKUP_INTERVAL_HOURS:
 * created, updated, or removed (0). Run by each process that runs a worker, at start.
 */
export async function ensureBackupSchedule(client: Client, config: Config): Promise<'created' | 'updated' | 'removed' | 'off'> {
  const scheduleId = backupScheduleId(config.temporal.taskQueue);
  const handle = client.schedule.getHandle(scheduleId);
  if (config.backup.intervalHours === 0) {
    try {
      await handle.delete();
      return 'removed';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'off';
      throw err;
    }
  }
  const spec: ScheduleSpec = { intervals: [{ every: `${Math.round(config.backup.intervalHours * 3600)}s` }] };
  const action = { type: 'startWorkflow' as const, workflowType: databaseBackup, args: [] as [], taskQueue: config.temporal.taskQueue };
  try {
    // A slow backup is not doubled by the next one.
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: 'SKIP' } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await handle.update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}
