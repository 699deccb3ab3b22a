/**
 * `npm run bench`: end-to-end rows/s (trigger → job complete, outcomes stored) for a generated
 * CSV against a local target process, next to a raw undici loop at the same concurrency to the
 * same target, as a ratio; and the worker's peak RSS. Rate limiting off, MAX_WORKERS=64.
 *   npm run bench -- --rows 100000 --stores postgres,pglite [--profile DIR]
 * --profile writes the worker's V8 CPU profile (open it in Chrome DevTools) into DIR.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { startDevServer } from '../runtime/dev-server.ts';
import { connectClient, registerSearchAttributes } from '../runtime/temporal.ts';
import { startJob } from '../runtime/jobs.ts';
import { loadConfig } from '../core/config.ts';
import type { Client } from '@temporalio/client';
import { freshPostgres } from '../test/helpers/platform.ts';
import { freePort } from '../test/helpers/ports.ts';
import type { JobOutcome } from '../workflows/csv-job.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '64' },
    stores: { type: 'string', default: 'postgres,pglite' },
    profile: { type: 'string' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const ROWS = Number(values.rows);
const WORKERS = Number(values.workers);
const root = path.resolve(import.meta.dirname, '..');
const work = mkdtempSync(path.join(os.tmpdir(), 'bat-bench-'));

async function spawnReady(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import=tsx', ...nodeArgs, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, line: chunk.toString().trim() };
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** CPU seconds of every process with this command name (Postgres runs one per connection). */
function cpuSecondsOf(comm: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) total += cpuSeconds(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/** Peak resident set of a process (Linux VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function rawUndici(url: string, targetPid: number): Promise<{ rate: number; targetCores: number; senderCores: number }> {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: null });
  const targetCpu = cpuSeconds(targetPid);
  const ownCpu = process.cpuUsage().user + process.cpuUsage().system;
  let next = 1;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next <= ROWS) {
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
  return { rate: ROWS / seconds, targetCores: (cpuSeconds(targetPid) - targetCpu) / seconds, senderCores: (process.cpuUsage().user + process.cpuUsage().system - ownCpu) / 1e6 / seconds };
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

const target = await spawnReady(['bench/target.ts']);
const targetUrl = `http://127.0.0.1:${target.line}`;
const csv = path.join(work, 'bench.csv');
const lines = ['webhook_url,method,payload,name'];
for (let i = 1; i <= ROWS; i++) lines.push(`${targetUrl}/hook/${i},POST,"{""row"": ${i}, ""event"": ""bench""}",row ${i}`);
writeFileSync(csv, lines.join('\n') + '\n');

const server = await startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH, dataDir: work, port: await freePort(), uiPort: 0, namespace: 'default', persistent: false, ui: false });
const results: Record<string, number | string>[] = [];
try {
  const client = await connectClient(server.address, 'default');
  await registerSearchAttributes(client);

  const raw = await rawUndici(targetUrl, target.child.pid!);
  const baseline = raw.rate;
  results.push({ run: `raw undici loop, ${WORKERS} in flight`, rows_per_s: Math.round(baseline), ratio: '1.00', worker_peak_rss_mb: '-', cores_worker: raw.senderCores.toFixed(2), cores_target: raw.targetCores.toFixed(2) });

  for (const store of values.stores!.split(',')) {
    const pgdb = store === 'postgres' ? await freshPostgres(values['postgres-url']!) : null;
    const env: Record<string, string> = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: `bench-${store}-${Date.now()}`,
      DATA_DIR: path.join(work, store),
      MAX_WORKERS: String(WORKERS),
      BASE_RATE_LIMIT: '0',
      MAX_RATE_LIMIT: '0',
      LOG_LEVEL: 'error',
      ...(pgdb ? { DATABASE_URL: pgdb.url } : {}),
    };
    const worker = await spawnReady(['runtime/worker-main.ts'], env, values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []);
    const config = loadConfig(env);
    const cpu = () => ({ worker: cpuSeconds(worker.child.pid!), target: cpuSeconds(target.child.pid!), temporal: cpuSeconds(server.pid ?? 0), postgres: cpuSecondsOf('postgres') });
    const cpuBefore = cpu();
    const t0 = performance.now();
    const info = await startJob(client, config, csv, { forceRestart: true });
    const outcome = (await client.workflow.getHandle(info.workflowId).result()) as JobOutcome;
    const seconds = (performance.now() - t0) / 1000;
    const cpuAfter = cpu();
    const ingestSeconds = await activitySeconds(client, info.workflowId, info.runId, 'ingestCsv');
    const share = (k: keyof typeof cpuBefore) => ((cpuAfter[k] - cpuBefore[k]) / seconds).toFixed(2);
    const rss = peakRssMb(worker.child.pid!);
    worker.child.kill('SIGTERM');
    await once(worker.child, 'exit');
    await pgdb?.drop();
    if (outcome.counts.succeeded !== ROWS) throw new Error(`${store}: ${outcome.counts.succeeded} of ${ROWS} rows succeeded`);
    const rate = ROWS / seconds;
    results.push({
      run: `end to end, ${store} store`,
      rows_per_s: Math.round(rate),
      ratio: (rate / baseline).toFixed(2),
      worker_peak_rss_mb: Math.round(rss),
      ingest_s: ingestSeconds.toFixed(1),
      total_s: seconds.toFixed(1),
      cores_worker: share('worker'),
      cores_target: share('target'),
      cores_postgres: share('postgres'),
      cores_temporal: share('temporal'),
    });
  }
  await client.connection.close();
} finally {
  target.child.kill();
  await server.stop();
}
console.log(`\n${ROWS} rows, MAX_WORKERS=${WORKERS}, rate limiting off, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? ''})`);
console.table(results);
