/** A worker in its own process, so a test can SIGKILL it mid-batch. Config comes from env. */
import { loadConfig } from '../../core/config.ts';
import { openStore } from '../../runtime/platform.ts';
import { createJobWorker } from '../../runtime/worker.ts';

const config = loadConfig(process.env);
const db = await openStore(config);
const { worker } = await createJobWorker({ address: config.temporal.address!, config, db, role: 'test-child' });
const running = worker.run();
process.stdout.write('ready\n');
await running;
