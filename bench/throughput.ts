/**
 * End-to-end rows/s (trigger → job complete, outcomes stored) for a generated CSV against a local
 * target process, next to a raw undici loop at the same concurrency to the same target, as a
 * ratio; and the worker's peak RSS. Rate limiting off.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Agent, request } from 'undici';
import { loadConfig, SCALE_OUT_BATCH_WINDOW } from '../core/config.ts';
import { startJob } from '../runtime/jobs.ts';
import { freshPostgres } from '../test/helpers/platform.ts';
import type { JobOutcome } from '../workflows/csv-job.ts';
import { writeBenchCsv } from './bench-csv.ts';
import { cpuSeconds, cpuSecondsOf, peakRssMb, spawnReady, stop } from './processes.ts';

export type BenchRow = Record<string, number | string>;

export interface ThroughputOptions {
  rows: number;
  workers: number;
  stores: string[];
  postgresUrl: string;
  /** Directory for the worker's V8 CPU profile, if wanted. */
  profile: string | undefined;
  /** Also run the Postgres job with 1..N worker processes sharing it (BATCH_WINDOW 4). */
  workerProcesses: number;
}

/** How one end-to-end run is set up: the store, worker processes, and batches of the job in flight. */
interface RunShape {
  store: string;
  processes: number;
  window: number;
}

async function rawUndici(url: string, targetPid: number, rows: number, workers: number): Promise<{ rate: number; targetCores: number; senderCores: number }> {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: null });
  const targetCpu = cpuSeconds(targetPid);
  const ownCpu = process.cpuUsage().user + process.cpuUsage().system;
  let next = 1;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next <= rows) {
        const i = next++;
        const res = await request(`${url}/hook/${i}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'idempotency-key': `raw:${i}` },
          body: `{"row": ${i}, "event": "bench"}`,
        });
        await res.body.text();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await agent.close();
  return { rate: rows / seconds, targetCores: (cpuSeconds(targetPid) - targetCpu) / seconds, senderCores: (process.cpuUsage().user + process.cpuUsage().system - ownCpu) / 1e6 / seconds };
}

/** Time from scheduling to completion of an activity type, summed over one run (ingest is in the first). */
async function activitySeconds(client: Client, workflowId: string, runId: string, activityType: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const scheduled = new Map<string, number>();
  let total = 0;
  for (const e of history.events ?? []) {
    const at = Number(e.eventTime?.seconds ?? 0) + (e.eventTime?.nanos ?? 0) / 1e9;
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === activityType) scheduled.set(String(e.eventId), at);
    const done = e.activityTaskCompletedEventAttributes;
    const start = done ? scheduled.get(String(done.scheduledEventId)) : undefined;
    if (start !== undefined) total += at - start;
  }
  return total;
}

export async function throughput(client: Client, temporal: { address: string; pid: number }, work: string, opts: ThroughputOptions): Promise<BenchRow[]> {
  const target = await spawnReady(['bench/target.ts']);
  const targetUrl = `http://127.0.0.1:${target.line}`;
  const csv = writeBenchCsv(work, 'bench.csv', targetUrl, opts.rows);
  const results: BenchRow[] = [];
  try {
    const raw = await rawUndici(targetUrl, target.child.pid!, opts.rows, opts.workers);
    const baseline = raw.rate;
    results.push({ run: `raw undici loop, ${opts.workers} in flight`, rows_per_s: Math.round(baseline), ratio: '1.00', worker_peak_rss_mb: '-', cores_worker: raw.senderCores.toFixed(2), cores_target: raw.targetCores.toFixed(2) });
    for (const store of opts.stores) {
      results.push(await endToEnd(client, temporal, work, csv, target.child, { store, processes: 1, window: 1 }, baseline, opts));
    }
    // Scale-out: a window of batches shared by 1..N worker processes (Postgres: PGlite is one process's).
    if (opts.workerProcesses > 1) {
      for (let processes = 1; processes <= opts.workerProcesses; processes++) {
        results.push(await endToEnd(client, temporal, work, csv, target.child, { store: 'postgres', processes, window: SCALE_OUT_BATCH_WINDOW }, baseline, opts));
      }
    }
  } finally {
    await stop(target.child);
  }
  return results;
}

async function endToEnd(client: Client, temporal: { address: string; pid: number }, work: string, csv: string, target: ChildProcess, shape: RunShape, baseline: number, opts: ThroughputOptions): Promise<BenchRow> {
  const { store, processes, window } = shape;
  const pgdb = store === 'postgres' ? await freshPostgres(opts.postgresUrl) : null;
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `bench-${store}-${Date.now()}`,
    DATA_DIR: path.join(work, store),
    MAX_WORKERS: String(opts.workers),
    BASE_RATE_LIMIT: '0',
    MAX_RATE_LIMIT: '0',
    BATCH_WINDOW: String(window),
    LOG_LEVEL: 'error',
    ...(pgdb ? { DATABASE_URL: pgdb.url } : {}),
  };
  const profile = opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${opts.profile}`] : [];
  const workers = await Promise.all(Array.from({ length: processes }, () => spawnReady(['runtime/worker-main.ts'], env, profile)));
  try {
    const workerCpu = () => workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid!), 0);
    const cpu = () => ({ worker: workerCpu(), target: cpuSeconds(target.pid!), temporal: cpuSeconds(temporal.pid), postgres: cpuSecondsOf('postgres') });
    const cpuBefore = cpu();
    const t0 = performance.now();
    const info = await startJob(client, loadConfig(env), csv, { forceRestart: true });
    const outcome = (await client.workflow.getHandle(info.workflowId).result()) as JobOutcome;
    const seconds = (performance.now() - t0) / 1000;
    const cpuAfter = cpu();
    const ingestSeconds = await activitySeconds(client, info.workflowId, info.runId, 'ingestCsv');
    const share = (k: keyof typeof cpuBefore) => ((cpuAfter[k] - cpuBefore[k]) / seconds).toFixed(2);
    const rss = Math.max(...workers.map((w) => peakRssMb(w.child.pid!)));
    if (outcome.counts.succeeded !== opts.rows) throw new Error(`${store}: ${outcome.counts.succeeded} of ${opts.rows} rows succeeded`);
    const rate = opts.rows / seconds;
    return {
      run: `end to end, ${store} store${processes > 1 || window > 1 ? `, ${processes} worker process${processes > 1 ? 'es' : ''}, BATCH_WINDOW=${window}` : ''}`,
      rows_per_s: Math.round(rate),
      ratio: (rate / baseline).toFixed(2),
      worker_peak_rss_mb: Math.round(rss),
      ingest_s: ingestSeconds.toFixed(1),
      total_s: seconds.toFixed(1),
      cores_worker: share('worker'),
      cores_target: share('target'),
      cores_postgres: share('postgres'),
      cores_temporal: share('temporal'),
    };
  } finally {
    for (const w of workers) await stop(w.child);
    await pgdb?.drop();
  }
}
