import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { backupScheduleId, ensureBackupSchedule } from '../runtime/backup-schedule.ts';
import { openStore } from '../runtime/platform.ts';
import { startJob } from '../runtime/jobs.ts';
import { backupDatabase } from '../store/backup.ts';
import { cli } from './helpers/cli.ts';
import { csvOfUrls, resultOf, waitFor } from './helpers/jobs.ts';
import { freshPostgres, startScenario, tempDir, testConfig } from './helpers/platform.ts';

const jobCount = async (db: { query<T>(sql: string): Promise<T[]> }) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs'))[0]!.n;

test.serial('the backup Schedule backs up the embedded store; restore brings the data back', async (t) => {
  const { target, p } = await startScenario(t, { env: { DATABASE_BACKUP_INTERVAL_HOURS: '24', BACKUP_KEEP: '2' } });
  const file = path.join(tempDir(), 'kept.csv');
  writeFileSync(file, csvOfUrls(target.url, 5));
  await resultOf(p.client, (await startJob(p.client, p.config, file)).workflowId);

  t.is(await ensureBackupSchedule(p.client, p.config), 'created');
  t.is(await ensureBackupSchedule(p.client, p.config), 'updated');
  const schedule = p.client.schedule.getHandle(backupScheduleId(p.config.temporal.taskQueue));
  t.is((await schedule.describe()).spec.intervals?.[0]?.every, 86_400_000);
  const backups = path.join(p.config.dataDir, 'backups');
  const listBackups = () => (existsSync(backups) ? readdirSync(backups).filter((n) => n.endsWith('.tar.gz')) : []);
  await schedule.trigger();
  await waitFor(() => listBackups().length === 1, 'the scheduled backup', 30_000);
  const [backup] = listBackups();
  t.regex(backup!, /^bulk-backup-pglite-\d{8}T\d{6}\.\d{3}Z\.tar\.gz$/);

  // BACKUP_KEEP: two more backups leave the newest two.
  for (let i = 0; i < 2; i++) await backupDatabase(p.db, { databaseUrl: undefined, dir: backups, keep: p.config.backup.keep });
  t.is(listBackups().length, 2);
  const newest = listBackups().sort().at(-1)!;

  // Change the data, stop, restore, and the job is back.
  await p.db.query('DELETE FROM jobs');
  t.is(await jobCount(p.db), 0);
  const running = await cli(['restore', path.join(backups, newest)], { DATA_DIR: p.config.dataDir });
  t.is(running.code, 2, 'refused while the platform holds the store');
  t.regex(running.stderr, /stop the platform/);
  await p.stop();
  const restored = await cli(['restore', path.join(backups, newest)], { DATA_DIR: p.config.dataDir });
  t.is(restored.code, 0, restored.stderr);
  t.regex(restored.stdout, /pglite-datadir/);
  const db = await openStore(p.config);
  t.teardown(() => db.close());
  t.is(await jobCount(db), 1);
  t.is((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM job_rows WHERE status = 'succeeded'`))[0]!.n, 5);

});

test.serial('schedule off (DATABASE_BACKUP_INTERVAL_HOURS=0) removes it', async (t) => {
  const { p } = await startScenario(t, { env: { DATABASE_BACKUP_INTERVAL_HOURS: '0.5' } });
  t.is(await ensureBackupSchedule(p.client, p.config), 'created');
  const off = { ...p.config, backup: { intervalHours: 0, keep: 7 } };
  t.is(await ensureBackupSchedule(p.client, off), 'removed');
  t.is(await ensureBackupSchedule(p.client, off), 'off');
});

for (const preferTableExport of [false, true]) {
  const method = preferTableExport ? 'table-export' : 'pg_dump';
  test.serial(`Postgres backup by ${method}: back up, change, restore, the data is back`, async (t) => {
    const { target, p } = await startScenario(t, { store: 'postgres' });
    const file = path.join(tempDir(), 'pg.csv');
    writeFileSync(file, csvOfUrls(target.url, 7));
    await resultOf(p.client, (await startJob(p.client, p.config, file)).workflowId);
    const dir = path.join(p.config.dataDir, 'backups');
    const backup = await backupDatabase(p.db, { databaseUrl: p.config.databaseUrl, dir, keep: 5, preferTableExport });
    t.is(backup.method, method);
    t.true(backup.bytes > 0);

    await p.db.query(`UPDATE job_rows SET status = 'failed' WHERE row_number <= 3`);
    await p.db.query(`INSERT INTO files (file_hash, file_path, file_size) VALUES ('extra', '/x', 1)`);
    const r = await cli(['restore', backup.file], { DATA_DIR: p.config.dataDir, DATABASE_URL: p.config.databaseUrl! });
    t.is(r.code, 0, r.stderr);
    const statuses = await p.db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM job_rows GROUP BY status');
    t.deepEqual(statuses, [{ status: 'succeeded', n: 7 }]);
    t.is((await p.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM files`))[0]!.n, 1);
    // The store works on after a restore: identities continue past the restored rows.
    const again = path.join(tempDir(), 'after.csv');
    writeFileSync(again, csvOfUrls(target.url, 2, 'after'));
    t.is((await resultOf(p.client, (await startJob(p.client, p.config, again)).workflowId)).counts.succeeded, 2);
  });
}

test.serial('a corrupt embedded-store backup is refused and the store is left as it was', async (t) => {
  const dataDir = tempDir();
  const db = await openStore(testConfig({ DATA_DIR: dataDir }));
  await db.query(`INSERT INTO files (file_hash, file_path, file_size) VALUES ('kept', '/x', 1)`);
  await db.close();
  const corrupt = path.join(dataDir, 'bulk-backup-pglite-corrupt.tar.gz');
  writeFileSync(corrupt, 'not a tarball');
  const r = await cli(['restore', corrupt], { DATA_DIR: dataDir });
  t.is(r.code, 2);
  t.regex(r.stderr, /could not be loaded .*the store is unchanged/);
  t.deepEqual(readdirSync(dataDir).filter((n) => n.startsWith('pglite')), ['pglite']);
  const after = await openStore(testConfig({ DATA_DIR: dataDir }));
  t.teardown(() => after.close());
  t.deepEqual(await after.query('SELECT file_hash FROM files'), [{ file_hash: 'kept' }]);
});

test.serial('restore refuses what it cannot do, naming why (exit 2)', async (t) => {
  const dir = tempDir();
  const pglite = path.join(dir, 'bulk-backup-pglite-x.tar.gz');
  writeFileSync(pglite, 'not really');
  const pg = await freshPostgres();
  t.teardown(() => pg.drop());
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['restore', path.join(dir, 'missing.dump')], {}, /does not exist/],
    [['restore', pglite], { DATABASE_URL: pg.url }, /unset DATABASE_URL/],
    [['restore', path.join(dir, 'notes.txt')], {}, /not a backup/],
  ];
  writeFileSync(path.join(dir, 'notes.txt'), 'x');
  writeFileSync(path.join(dir, 'db.dump'), 'x');
  cases.push([['restore', path.join(dir, 'db.dump')], { DATA_DIR: dir }, /set DATABASE_URL/]);
  for (const [args, env, message] of cases) {
    const r = await cli(args, { DATA_DIR: dir, ...env });
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
  }
});
