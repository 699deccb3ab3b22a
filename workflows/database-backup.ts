import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { BackupResult } from '../store/backup.ts';

const { backupDatabase } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  retry: { initialInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** One backup of the job store; the backup Schedule (DATABASE_BACKUP_INTERVAL_HOURS) starts it. */
export async function databaseBackup(): Promise<BackupResult> {
  return backupDatabase();
}
