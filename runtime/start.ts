import { ConfigError } from '../core/config.ts';
import { configFromEnvironment } from './load-config.ts';
import { createLogger } from './logger.ts';
import { launchPlatform } from './platform.ts';

/**
 * `npm start`: Temporal (embedded unless TEMPORAL_ADDRESS), worker, REST API and drop folder in
 * one process. `npm run api` (argument `api`): REST API and drop folder only, for a Temporal
 * cluster (TEMPORAL_ADDRESS, else the embedded server of a running `npm start`) whose workers run elsewhere.
 */
async function main(): Promise<void> {
  const config = configFromEnvironment();
  const logger = createLogger(config.logLevel);
  const apiOnly = process.argv[2] === 'api';
  const platform = await launchPlatform(config, { worker: !apiOnly, api: true, watch: true, role: apiOnly ? 'api' : 'all-in-one', log: (m) => logger.info(m) });
  logger.info({ temporal: platform.address, webUi: platform.uiUrl, api: platform.apiUrl, store: platform.db?.kind }, 'bulk-api-trigger is ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down (unfinished jobs resume on the next start)`);
    void platform.shutdown().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await platform.workerDone;
}

main().catch((err: Error) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `bulk-api-trigger could not start: ${err.message}`}\n`);
  process.exit(1);
});
