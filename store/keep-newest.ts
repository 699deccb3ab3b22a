import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Deletes all but the newest `keep` files of `dir` that `matches` picks (by modification time,
 * then name): the retention of backups (BACKUP_KEEP) and job reports (REPORT_KEEP).
 */
export async function keepNewest(dir: string, keep: number, matches: (name: string) => boolean): Promise<void> {
  const names = (await readdir(dir)).filter(matches);
  if (names.length <= keep) return;
  // A file gone between the listing and its stat sorts last and is not there to delete.
  const dated = await Promise.all(names.map(async (n) => ({ n, mtime: (await stat(path.join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.mtime - a.mtime || b.n.localeCompare(a.n));
  await Promise.all(dated.slice(keep).map(({ n }) => rm(path.join(dir, n), { force: true })));
}
