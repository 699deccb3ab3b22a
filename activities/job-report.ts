import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where a job's report is, in the reports folder. */
export const reportPathFor = (dataDir: string, jobId: string) => path.join(path.resolve(dataDir, 'reports'), `${jobId}.json`);

/** Writes the report atomically (a reader never sees half of one), then keeps only the newest `keep`. */
export async function writeReport(reportPath: string, report: unknown, keep: number): Promise<void> {
  const dir = path.dirname(reportPath);
  await mkdir(dir, { recursive: true });
  await writeFile(`${reportPath}.tmp`, JSON.stringify(report, null, 2));
  await rename(`${reportPath}.tmp`, reportPath);
  await pruneReports(dir, keep);
}

/** Deletes all but the newest `keep` reports (by modification time). */
export async function pruneReports(dir: string, keep: number): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  if (names.length <= keep) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, mtime: (await stat(path.join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.mtime - a.mtime || b.n.localeCompare(a.n));
  await Promise.all(dated.slice(keep).map(({ n }) => rm(path.join(dir, n), { force: true })));
}
