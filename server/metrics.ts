import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import { collectDefaultMetrics, Gauge, register, Registry } from 'prom-client';
import { listActiveJobs } from '../runtime/active-jobs.ts';

let processMetrics = false;

/**
 * /metrics: the process-wide request counters and latency histogram (recorded where requests
 * are sent) plus what is read at scrape time from running jobs: rows/s, jobs by status, the
 * drop folder's queue, and each target host's rate limiter.
 */
export function createMetrics(client: Client, taskQueue: string, queueSize: () => number) {
  if (!processMetrics) {
    collectDefaultMetrics({ prefix: 'bulk_' });
    processMetrics = true;
  }
  const scraped = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Gauge({ name, help, labelNames, registers: [scraped] });
  const activeJobs = gauge('bulk_active_jobs', 'Running jobs by status (queued, running, paused)', ['status']);
  const rowsPerSecond = gauge('bulk_rows_per_second', 'Rows settled per second, summed over running jobs');
  const jobRows = gauge('bulk_job_rows', 'Rows of each running job by outcome so far', ['job_id', 'outcome']);
  const queue = gauge('bulk_watch_queue_size', 'Dropped files waiting to be checked and started');
  const limiterState = gauge('bulk_limiter_state', "1 for the state each target host's limiter is in, per running job", ['job_id', 'host', 'state']);
  const limiterRate = gauge('bulk_limiter_rate_per_second', "A target host's current pace (absent when unpaced)", ['job_id', 'host']);
  const limiterHeld = gauge('bulk_limiter_held_seconds', 'Seconds a Retry-After hold or an open circuit still keeps a host waiting', ['job_id', 'host']);
  const limiterAnswers = gauge('bulk_limiter_answers', 'Answers a host gave the job, by kind', ['job_id', 'host', 'answer']);
  // Scrapes one at a time: each resets and refills the scrape-time gauges.
  const oneAtATime = pLimit(1);

  return {
    contentType: register.contentType,
    render: () =>
      oneAtATime(async () => {
        scraped.resetMetrics();
        const jobs = await listActiveJobs(client, taskQueue);
        const now = Date.now();
        for (const status of ['queued', 'running', 'paused']) activeJobs.set({ status }, jobs.filter((j) => (j.progress?.status ?? j.status) === status).length);
        rowsPerSecond.set(jobs.reduce((sum, j) => sum + (j.progress?.rowsPerSecond ?? 0), 0));
        queue.set(queueSize());
        for (const { jobId, progress } of jobs) {
          if (!progress) continue;
          jobRows.set({ job_id: jobId, outcome: 'succeeded' }, progress.succeeded);
          jobRows.set({ job_id: jobId, outcome: 'failed' }, progress.failed);
          jobRows.set({ job_id: jobId, outcome: 'invalid' }, progress.invalid);
          for (const h of progress.hosts) {
            const host = { job_id: jobId, host: h.origin };
            limiterState.set({ ...host, state: h.state }, 1);
            if (h.ratePerSecond !== null) limiterRate.set(host, h.ratePerSecond);
            limiterHeld.set(host, h.heldUntil ? Math.max(0, (Date.parse(h.heldUntil) - now) / 1000) : 0);
            for (const [answer, n] of Object.entries(h.answers)) limiterAnswers.set({ ...host, answer }, n);
          }
        }
        // The process-wide registry is read at each scrape: its metrics may be registered after this.
        return `${await register.metrics()}\n${await scraped.metrics()}`;
      }),
  };
}
