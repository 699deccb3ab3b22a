import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { keepNewest } from '../store/keep-newest.ts';

/** Where a job's report is, in the reports folder. */
export const reportPathFor = (dataDir: string, jobId: string) => path.join(path.resolve(dataDir, 'reports'), `${jobId}.json`);

/** Writes the report atomically (a reader never sees half of one), then keeps only the newest `keep`. */
export async function writeReport(reportPath: string, report: unknown, keep: number): Promise<void> {
  const dir = path.dirname(reportPath);
  await mkdir(dir, { recursive: true });
  await writeFile(`${reportPath}.tmp`, JSON.stringify(report, null, 2));
  await rename(`${reportPath}.tmp`, reportPath);
  await keepNewest(dir, keep, (name) => name.endsWith('.json'));
}
