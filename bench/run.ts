/**
 * `npm run bench`: throughput (end to end vs a raw undici loop, rate limiting off) and goodput of
 * the adaptive limiter against targets that allow R requests/s.
 *   npm run bench -- [--suites throughput,goodput] [--rows 100000] [--workers 64]
 *                    [--stores postgres,pglite] [--rates 200,2000] [--seconds 60] [--profile DIR]
 *                    [--worker-processes N]
 * --worker-processes N adds Postgres runs with 1..N worker processes sharing the job (BATCH_WINDOW 4).
 * --profile writes the worker's V8 CPU profile (open it in Chrome DevTools) into DIR;
 * BENCH_VERBOSE=1 prints each goodput run's accepted requests per second (the sawtooth).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startDevServer } from '../runtime/dev-server.ts';
import { connectClient, registerSearchAttributes } from '../runtime/temporal.ts';
import { freePort } from '../test/helpers/ports.ts';
import { goodput } from './goodput.ts';
import { throughput, type BenchRow } from './throughput.ts';

const { values } = parseArgs({
  options: {
    suites: { type: 'string', default: 'throughput,goodput' },
    rows: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '64' },
    stores: { type: 'string', default: 'postgres,pglite' },
    rates: { type: 'string', default: '200,2000' },
    seconds: { type: 'string', default: '60' },
    profile: { type: 'string' },
    'worker-processes': { type: 'string', default: '1' },
    'postgres-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const suites = values.suites!.split(',');
const workers = Number(values.workers);
const postgresUrl = values['postgres-url']!;
const work = mkdtempSync(path.join(os.tmpdir(), 'bat-bench-'));
const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? ''})`;

const server = await startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH, dataDir: work, port: await freePort(), uiPort: 0, namespace: 'default', persistent: false, ui: false });
try {
  const client = await connectClient(server.address, 'default');
  await registerSearchAttributes(client);
  if (suites.includes('throughput')) {
    const rows = Number(values.rows);
    const results = await throughput(client, { address: server.address, pid: server.pid ?? 0 }, work, {
      rows,
      workers,
      stores: values.stores!.split(','),
      postgresUrl,
      profile: values.profile,
      workerProcesses: Number(values['worker-processes']),
    });
    console.log(`\nThroughput: ${rows} rows, MAX_WORKERS=${workers}, rate limiting off, ${machine}`);
    console.table(results);
  }
  if (suites.includes('goodput')) {
    const results: BenchRow[] = [];
    for (const rate of values.rates!.split(',').map(Number)) {
      for (const startRate of [10, rate]) {
        results.push(await goodput(client, server.address, work, { rate, startRate, seconds: Number(values.seconds), workers, postgresUrl }));
      }
    }
    console.log(`\nGoodput: ${values.seconds} s of rows per target, MAX_WORKERS=${workers}, MIN_RATE_LIMIT=0, Postgres store, ${machine}`);
    console.table(results);
  }
  await client.connection.close();
} finally {
  await server.stop();
}
