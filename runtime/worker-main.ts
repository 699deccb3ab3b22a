/**
 * `npm run worker`: a worker only (workflows + activities), for TEMPORAL_ADDRESS and
 * DATABASE_URL shared with other processes. It also reads CSVs triggered on its own host (the
 * host's file queue). Prints "ready" once it polls.
 */
import { ConfigError } from '../core/config.ts';
import { configFromEnvironment } from './load-config.ts';
import { openStore } from './platform.ts';
import { createFileWorker, createJobWorker } from './worker.ts';
import { serveWorkerHealth } from './worker-health.ts';

async function main(): Promise<void> {
  const config = configFromEnvironment();
  const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devPort}`;
  const db = await openStore(config);
  const { worker, connection } = await createJobWorker({ address, config, db, role: 'worker' });
  const fileWorker = await createFileWorker(connection, { config, db, role: 'worker' });
  const stop = () => {
    for (const w of [worker, fileWorker]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const running = Promise.all([worker.run(), fileWorker.run()]);
  if (config.workerHealthPort > 0) {
    const health = serveWorkerHealth(config.workerHealthPort, worker);
    void running.finally(() => health.close());
  }
  process.stdout.write(`ready\n`);
  await running;
  await connection.close();
  await db.close();
}

main().catch((err: Error) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `worker stopped: ${err.message}`}\n`);
  process.exit(1);
});
