import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/** Where dropped files go in and, by how they ended, out. */
export interface DropFolders {
  incoming: string;
  processed: string;
  duplicates: string;
  rejected: string;
}

export function dropFolders(dataDir: string): DropFolders {
  const incoming = path.resolve(dataDir, 'csv');
  return {
    incoming,
    processed: path.join(incoming, 'processed'),
    duplicates: path.join(incoming, 'duplicates'),
    rejected: path.join(incoming, 'rejected'),
  };
}

/** The data folders the original tool had, created when missing. */
export async function ensureDataFolders(dataDir: string): Promise<DropFolders> {
  const folders = dropFolders(dataDir);
  for (const dir of [folders.processed, folders.duplicates, folders.rejected, ...['reports', 'logs', 'backups'].map((d) => path.resolve(dataDir, d))]) {
    await mkdir(dir, { recursive: true });
  }
  return folders;
}
