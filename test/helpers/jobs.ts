import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { JobProgress } from '../../core/job-types.ts';
import type { Target } from './target.ts';
import { progressQuery, type JobOutcome } from '../../workflows/csv-job.ts';

export function csvOfUrls(base: string, rows: number, pathPrefix = 'r'): string {
  const lines = ['webhook_url,name'];
  for (let i = 1; i <= rows; i++) lines.push(`${base}/${pathPrefix}/${i},row ${i}`);
  return lines.join('\n') + '\n';
}

/** Rows 1..rows of a job the target never got, and how many it got more than once (by Idempotency-Key). */
export function deliveryAt(target: Target, jobId: string, rows: number): { missing: number[]; twice: number } {
  const missing = Array.from({ length: rows }, (_, k) => k + 1).filter((i) => !target.byKey.has(`${jobId}:${i}`));
  const twice = [...target.byKey.values()].filter((l) => l.length > 1).length;
  return { missing, twice };
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits until `count()` has not changed for `quietMs`: requests of a stopped run have drained. */
export async function waitQuiet(count: () => number, quietMs = 1000): Promise<number> {
  let last = count();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await sleep(50);
    if (count() !== last) {
      last = count();
      since = Date.now();
    }
  }
  return last;
}

export const progressOf = (client: Client, workflowId: string): Promise<JobProgress> =>
  client.workflow.getHandle(workflowId).query(progressQuery);

export const resultOf = (client: Client, workflowId: string): Promise<JobOutcome> =>
  client.workflow.getHandle(workflowId).result() as Promise<JobOutcome>;
