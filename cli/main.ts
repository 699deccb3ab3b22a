import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../core/config.ts';
import { JobStartError } from '../runtime/jobs.ts';
import { configFromEnvironment } from '../runtime/load-config.ts';
import { dryRun } from '../runtime/dry-run.ts';
import { CsvHeaderError } from '../core/csv-row.ts';
import { CsvFormatError } from '../activities/csv-file.ts';
import { EXIT, runJob } from './run-job.ts';
import { ConfigExistsError, createConfig } from './create-config.ts';
import { RestoreError, restoreBackup } from '../store/restore.ts';
import path from 'node:path';

const number = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || Number.isNaN(n)) throw new InvalidArgumentError('expected a number');
  return n;
};

const program = new Command()
  .name('bulk-api-trigger')
  .description('Deliver every row of a CSV of webhook/API calls, durably (Temporal), politely and once.')
  .showHelpAfterError()
  // Options before a command are the program's (--create-config), after it the command's.
  .enablePositionalOptions()
  // Usage errors exit 2 (bad input), like every other bad input; commander has printed why.
  .exitOverride();

program
  .command('run')
  .description('send every row of FILE and follow the job to the end (exit 0 completed, 1 failed or cancelled, 2 bad input, 3 already delivered)')
  .argument('<file>', 'CSV with a webhook_url column (method, payload, headers, name, group optional)')
  .option('--dry-run', 'validate only: print counts and the first errors, send nothing')
  .option('--job-name <name>', 'name shown in the API, reports and Web UI (default: JOB_NAME or the file name)')
  .option('--force-restart', 'send the file again even if it was already delivered (a new job)')
  .option('--no-resume', 'start over instead of resuming an unfinished job of the same file')
  .option('--rate-limit <seconds>', 'seconds between requests to one host at start, for this job (BASE_RATE_LIMIT)', number)
  .option('--workers <n>', 'requests in flight, for this job (MAX_WORKERS)', number)
  .addOption(new Option('--no-progress', 'no progress bar'))
  .action(async (file: string, opts: { dryRun?: boolean; jobName?: string; forceRestart?: boolean; resume: boolean; progress: boolean; rateLimit?: number; workers?: number }) => {
    if (opts.dryRun) {
      const report = await dryRun(file);
      process.stdout.write(`${file}: ${report.totalRows} rows, ${report.validRows} valid, ${report.invalidRows} invalid\n`);
      for (const e of report.errors) process.stdout.write(`  row ${e.row}: ${e.reason}\n`);
      if (report.invalidRows > report.errors.length) process.stdout.write(`  … and ${report.invalidRows - report.errors.length} more\n`);
      process.exitCode = report.invalidRows > 0 ? EXIT.failed : EXIT.completed;
      return;
    }
    // The terminal shows the progress bar; worker chatter only when LOG_LEVEL asks for it.
    const config = { ...configFromEnvironment(), logLevel: process.env.LOG_LEVEL ?? 'warn' };
    const request = { jobName: opts.jobName, forceRestart: opts.forceRestart, resume: opts.resume, rateLimit: opts.rateLimit, workers: opts.workers };
    process.exitCode = await runJob(config, file, request, opts.progress);
  });

program
  .command('restore')
  .description('put a backup from DATA_DIR/backups back into the store (stop the platform first): exit 0 restored, 2 bad input')
  .argument('<file>', 'a backup file: .tar.gz (embedded store), .dump (pg_dump) or .jsonl.gz (table export)')
  .action(async (file: string) => {
    const config = configFromEnvironment();
    const { method, detail } = await restoreBackup(path.resolve(file), { databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    process.stdout.write(`restored ${file} (${method}): ${detail}\n`);
  });

const writeConfig = async (opts: { force?: boolean; path: string }) => {
  process.stdout.write(`wrote ${await createConfig(opts.path, opts.force ?? false)}: every setting with its default and what it does; edit, then npm start\n`);
};

program
  .command('init')
  .description('write a commented .env with every setting and its default (same as --create-config)')
  .option('--path <file>', 'where to write it', '.env')
  .option('--force', 'overwrite an existing file')
  .action(writeConfig);

program
  .option('--create-config', 'write a commented .env with every setting and its default, then exit')
  .option('--path <file>', 'with --create-config: where to write it', '.env')
  .option('--force', 'with --create-config: overwrite an existing file')
  .action(async (opts: { createConfig?: boolean; force?: boolean; path: string }) => {
    if (!opts.createConfig) program.help({ error: true });
    await writeConfig(opts);
  });

program.parseAsync().catch((err: Error) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
  const known = err instanceof ConfigError || err instanceof RestoreError || err instanceof ConfigExistsError || err instanceof JobStartError || err instanceof CsvHeaderError || err instanceof CsvFormatError || (err as NodeJS.ErrnoException).code === 'ENOENT';
  process.stderr.write(`bulk-api-trigger: ${err.message}\n`);
  process.exit(known ? EXIT.usage : EXIT.failed);
});
