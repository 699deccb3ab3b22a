import { execFile } from 'node:child_process';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Database } from './database.ts';
import { keepNewest } from './keep-newest.ts';
import { exportTables } from './table-export.ts';

const run = promisify(execFile);

export type BackupMethod = 'pglite-datadir' | 'pg_dump' | 'table-export';

/** Backup files by method; the restore command tells them apart by these endings. */
export const BACKUP_SUFFIX: Record<BackupMethod, string> = { 'pglite-datadir': '.tar.gz', pg_dump: '.dump', 'table-export': '.jsonl.gz' };
const BACKUP_NAME = /^bulk-backup-.*\.(tar\.gz|dump|jsonl\.gz)$/;

export interface BackupResult {
  file: string;
  method: BackupMethod;
  bytes: number;
}

/** libpq's environment for a Postgres URL: no password on a command line (`ps` shows those). */
export function libpqEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const u = new URL(databaseUrl);
  return {
    ...process.env,
    PGHOST: decodeURIComponent(u.hostname),
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username) || process.env.PGUSER || 'postgres',
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
}

async function hasPgDump(): Promise<boolean> {
  return run('pg_dump', ['--version']).then(
    () => true,
    () => false,
  );
}

/**
 * Backs the store up into `dir`: the embedded store's data folder as a tarball; Postgres with
 * pg_dump (custom format) when it is on PATH, else a table export. Written under a temporary
 * name and renamed, so a backup file is always whole. Keeps the newest `keep`.
 */
export async function backupDatabase(
  db: Database,
  opts: { databaseUrl: string | undefined; dir: string; keep: number; preferTableExport?: boolean },
): Promise<BackupResult> {
  await mkdir(opts.dir, { recursive: true });
  const method: BackupMethod = db.dumpDataDir ? 'pglite-datadir' : !opts.preferTableExport && (await hasPgDump()) ? 'pg_dump' : 'table-export';
  const stamp = new Date().toISOString().replace(/[-:]/g, '');
  const file = path.join(opts.dir, `bulk-backup-${db.kind}-${stamp}${BACKUP_SUFFIX[method]}`);
  const tmp = `${file}.partial`;
  if (method === 'pglite-datadir') {
    await writeFile(tmp, Buffer.from(await (await db.dumpDataDir!()).arrayBuffer()));
  } else if (method === 'pg_dump') {
    await run('pg_dump', ['--format=custom', '--no-owner', `--file=${tmp}`], { env: libpqEnv(opts.databaseUrl!) });
  } else {
    await exportTables(db, tmp);
  }
  await rename(tmp, file);
  await keepNewest(opts.dir, opts.keep, (name) => BACKUP_NAME.test(name));
  return { file, method, bytes: (await stat(file)).size };
}
