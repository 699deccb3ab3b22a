/**
 * `npm test`: one Temporal dev server and one workflow bundle for the whole run (the machine
 * has 2 cores), then ava over test/*.test.ts. Each test file uses its own task queue and store.
 * Ends with the line CI reads: `N passed, N failed`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer } from '../runtime/dev-server.ts';
import { freePort } from './helpers/ports.ts';
import { connectClient, registerSearchAttributes } from '../runtime/temporal.ts';

const root = path.resolve(import.meta.dirname, '..');

// Whatever goes wrong around ava, CI still gets a reason and its closing line.
const fail = (err: unknown) => {
  console.error(`test runner: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  console.log('\n0 passed, 1 failed');
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

const server = await startDevServer({
  cliPath: process.env.TEMPORAL_CLI_PATH,
  dataDir: path.join(root, '.cache'),
  port: await freePort(),
  uiPort: 0,
  namespace: 'default',
  persistent: false,
  ui: false,
  log: (m) => console.error(`[test] ${m}`),
});
let code = 1;
try {
  const client = await connectClient(server.address, 'default');
  await registerSearchAttributes(client);
  await client.connection.close();

  const bundle = await bundleWorkflowCode({ workflowsPath: path.join(root, 'workflows/index.ts'), logger: { log: () => undefined, info: () => undefined, warn: console.warn, error: console.error, debug: () => undefined, trace: () => undefined } });
  mkdirSync(path.join(root, '.cache'), { recursive: true });
  const bundlePath = path.join(root, '.cache/workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  const ava = spawn(process.execPath, [path.join(root, 'node_modules/ava/entrypoints/cli.mjs'), '--tap', ...process.argv.slice(2)], {
    cwd: root,
    env: { ...process.env, TEST_TEMPORAL_ADDRESS: server.address, WORKFLOW_BUNDLE_PATH: bundlePath, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let passed = 0;
  let failed = 0;
  let tail = '';
  ava.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    const lines = (tail + chunk.toString()).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^# (pass|fail) (\d+)/.exec(line);
      if (m?.[1] === 'pass') passed = Number(m[2]);
      if (m?.[1] === 'fail') failed = Number(m[2]);
    }
  });
  code = await new Promise<number>((resolve) => ava.on('exit', (c) => resolve(c ?? 1)));
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed`);
} finally {
  await server.stop();
}
process.exit(code);
