import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parse } from 'dotenv';
import { loadConfig } from '../core/config.ts';
import { startTarget } from './helpers/target.ts';
import { tempDir, testConfig, writeCsv } from './helpers/platform.ts';
import { csvOfUrls } from './helpers/jobs.ts';
import { cli } from './helpers/cli.ts';

test('run --dry-run prints counts and the first errors by row, sends nothing', async (t) => {
  const dir = tempDir();
  const ok = await cli(['run', '--dry-run', writeCsv(dir, 'ok.csv', 'webhook_url\nhttp://127.0.0.1:9/a\n')]);
  t.is(ok.code, 0);
  t.regex(ok.stdout, /ok\.csv: 1 rows, 1 valid, 0 invalid/);
  const bad = await cli(['run', '--dry-run', writeCsv(dir, 'bad.csv', 'webhook_url,method\nhttp://127.0.0.1:9/a,GET\nnope,GET\n')]);
  t.is(bad.code, 1);
  t.regex(bad.stdout, /2 rows, 1 valid, 1 invalid\n {2}row 2: webhook_url "nope" is not a valid URL/);
  const rejected = await cli(['run', '--dry-run', writeCsv(dir, 'nohdr.csv', 'url\nhttp://x\n')]);
  t.is(rejected.code, 2);
  t.regex(rejected.stderr, /bulk-api-trigger: the header row has no "webhook_url" column \(columns found: url\)/);
});

test('run with no worker polling: starts its own worker, delivers, exits 0; again: exit 3', async (t) => {
  const target = await startTarget();
  t.teardown(() => target.close());
  const config = testConfig();
  const env = {
    TEMPORAL_ADDRESS: config.temporal.address!,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    DATA_DIR: config.dataDir,
    BASE_RATE_LIMIT: '0',
    MAX_RATE_LIMIT: '0',
  };
  const file = writeCsv(tempDir(), 'cli.csv', csvOfUrls(target.url, 50));
  const first = await cli(['run', '--no-progress', file], env);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stderr, /started job job-[0-9a-f]{16}/);
  t.regex(first.stderr, /completed: 50 rows, 50 succeeded, 0 failed, 0 invalid; report /);
  t.is(target.byKey.size, 50);

  const again = await cli(['run', '--no-progress', file], env);
  t.is(again.code, 3);
  t.regex(again.stderr, /already delivered by job job-[0-9a-f]{16}; nothing sent/);
  t.is(target.received.length, 50);

  const broken = writeCsv(tempDir(), 'broken.csv', `webhook_url\n${target.url}/a\n"${target.url}/b\n`);
  const failed = await cli(['run', '--no-progress', broken], env);
  t.is(failed.code, 1);
  t.regex(failed.stderr, /job job-[0-9a-f]{16} failed: .*broken\.csv: CSV format error after data row 1: Quote Not Closed/);

  const missing = await cli(['run', `${tempDir()}/none.csv`], env);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /none\.csv does not exist/);
});

test('bad per-job settings are bad input (exit 2), named by flag or field', async (t) => {
  const file = writeCsv(tempDir(), 'flags.csv', 'webhook_url\nhttp://127.0.0.1:9/a\n');
  const notNumber = await cli(['run', file, '--workers', 'many']);
  t.is(notNumber.code, 2);
  t.regex(notNumber.stderr, /option '--workers <n>' argument 'many' is invalid\. expected a number/);
  const env = { TEMPORAL_ADDRESS: testConfig().temporal.address!, DATA_DIR: tempDir() };
  const refused = await cli(['run', file, '--rate-limit=-1', '--no-progress'], env);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /rate_limit=-1: expected a number of seconds ≥ 0/);
});

test('init / --create-config write the commented .env with every setting; an existing one is kept unless --force', async (t) => {
  const dir = tempDir();
  const target = path.join(dir, '.env');
  const first = await cli(['--create-config', '--path', target]);
  t.is(first.code, 0, first.stderr);
  const written = readFileSync(target, 'utf8');
  t.is(written, readFileSync('.env.sample', 'utf8'));
  for (const name of ['MAX_WORKERS=3', 'WEBHOOK_RATE_LIMIT=60', 'SLACK_NOTIFICATIONS=false', 'DATABASE_BACKUP_INTERVAL_HOURS=24']) t.true(written.includes(name), name);
  // The written file is a valid configuration.
  t.notThrows(() => loadConfig(parse(written)));
  writeFileSync(target, 'MAX_WORKERS=9\n');
  const again = await cli(['init', '--path', target]);
  t.is(again.code, 2);
  t.regex(again.stderr, /exists; use --force/);
  t.is(readFileSync(target, 'utf8'), 'MAX_WORKERS=9\n');
  t.is((await cli(['init', '--path', target, '--force'])).code, 0);
  t.is(readFileSync(target, 'utf8'), written);
});
