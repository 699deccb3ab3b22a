/**
 * Goodput against a target that allows R requests/s and answers 429 + Retry-After above it:
 * delivered rows/s as a fraction of R, and the share of requests answered 429. No floor on
 * spacing (MIN_RATE_LIMIT=0). Started at 10 requests/s the limiter has to find R; started at R
 * (BASE_RATE_LIMIT = 1/R, a user who knows the documented limit) it has to hold it.
 */
import type { Client } from '@temporalio/client';
import { loadConfig } from '../core/config.ts';
import { startJob } from '../runtime/jobs.ts';
import { freshPostgres } from '../test/helpers/platform.ts';
import type { JobOutcome } from '../workflows/csv-job.ts';
import { ask, spawnReady, stop } from './processes.ts';
import { writeBenchCsv } from './bench-csv.ts';
import type { BenchRow } from './throughput.ts';

interface TargetReport {
  ok: number;
  throttled: number;
  perSecond: number[];
}

export async function goodput(client: Client, temporalAddress: string, work: string, opts: { rate: number; startRate: number; seconds: number; workers: number; postgresUrl: string }): Promise<BenchRow> {
  const { rate, seconds } = opts;
  const target = await spawnReady(['bench/limited-target.ts', String(rate)]);
  const rows = rate * seconds;
  const csv = writeBenchCsv(work, `goodput-${rate}.csv`, `http://127.0.0.1:${target.line}`, rows);
  const pgdb = await freshPostgres(opts.postgresUrl);
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-goodput-${rate}-${Date.now()}`,
    DATABASE_URL: pgdb.url,
    MAX_WORKERS: String(opts.workers),
    BASE_RATE_LIMIT: String(1 / opts.startRate),
    MIN_RATE_LIMIT: '0',
    MAX_RATE_LIMIT: '5',
    LOG_LEVEL: 'error',
  };
  const worker = await spawnReady(['runtime/worker-main.ts'], env);
  try {
    const t0 = performance.now();
    const info = await startJob(client, loadConfig(env), csv, { forceRestart: true });
    const outcome = (await client.workflow.getHandle(info.workflowId).result()) as JobOutcome;
    const elapsed = (performance.now() - t0) / 1000;
    const seen = await ask<TargetReport>(target.child);
    if (process.env.BENCH_VERBOSE) console.error(`accepted per second, R=${rate}: ${seen.perSecond.join(' ')}`);
    if (outcome.counts.succeeded !== rows) throw new Error(`goodput R=${rate}: ${outcome.counts.succeeded} of ${rows} rows succeeded`);
    // Steady state: whole seconds after the ramp-up's first 10 s, the last (partial) second left out.
    const steady = seen.perSecond.slice(10, -1);
    const steadyRate = steady.reduce((a, b) => a + b, 0) / Math.max(1, steady.length);
    const requests = seen.ok + seen.throttled;
    return {
      run: `target allows ${rate}/s, start at ${opts.startRate}/s`,
      rows,
      delivered_per_s: Math.round(rows / elapsed),
      of_R: (rows / elapsed / rate).toFixed(3),
      steady_of_R: (steadyRate / rate).toFixed(3),
      share_429: `${((100 * seen.throttled) / requests).toFixed(2)}%`,
      total_s: elapsed.toFixed(1),
    };
  } finally {
    await stop(worker.child);
    await stop(target.child);
    await pgdb.drop();
  }
}
