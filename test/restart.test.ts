import test from 'ava';
import { loadConfig } from '../core/config.ts';
import { startJob } from '../runtime/jobs.ts';
import { launchPlatform } from '../runtime/platform.ts';
import { portOpen } from '../runtime/dev-server.ts';
import { startTarget } from './helpers/target.ts';
import { tempDir, writeCsv } from './helpers/platform.ts';
import { csvOfUrls, resultOf, waitFor } from './helpers/jobs.ts';
import { freePort } from './helpers/ports.ts';

test('a full stop and start of the all-in-one platform resumes the job where it stopped', async (t) => {
  const target = await startTarget(() => ({ status: 200, delayMs: 20 }));
  t.teardown(() => target.close());
  // Its own persistent dev server under DATA_DIR, as `npm start` runs it (not the shared test server).
  const config = loadConfig({
    DATA_DIR: tempDir(),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_TASK_QUEUE: 'restart-test',
    MAX_WORKERS: '2',
    BASE_RATE_LIMIT: '0',
    MAX_RATE_LIMIT: '0',
    BATCH_SLICE_SECONDS: '0.2',
    LOG_LEVEL: 'error',
  });
  const parts = { worker: true, api: false, watch: false, role: 'test', log: () => undefined };
  const file = writeCsv(tempDir(), 'restart.csv', csvOfUrls(target.url, 200));

  const first = await launchPlatform(config, parts);
  const info = await startJob(first.client, config, file);
  await waitFor(() => target.received.length >= 30, '30 rows');
  await first.shutdown();
  t.false(await portOpen(config.temporal.devPort), 'the dev server stopped with the platform');
  const atStop = target.received.length;
  t.true(atStop < 200);

  const second = await launchPlatform(config, parts);
  t.teardown(() => second.shutdown());
  const outcome = await resultOf(second.client, info.workflowId);
  t.is(outcome.status, 'completed');
  t.is(outcome.counts.succeeded, 200);
  t.is(target.byKey.size, 200);
  // A clean stop lets requests in flight finish and records them, so nothing is sent twice.
  t.is(target.received.length, 200);
});
