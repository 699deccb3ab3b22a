import { execFile } from 'node:child_process';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { BACKUP_SUFFIX, libpqEnv, type BackupMethod } from './backup.ts';
import { DatabaseLockedError, openDatabase } from './database.ts';
import { migrate } from './migrate.ts';
import { importTables } from './table-export.ts';

const run = promisify(execFile);

/** A restore that cannot be done as asked: the message says why and what to do. */
export class RestoreError extends Error {
  override name = 'RestoreError';
}

function methodOf(file: string): BackupMethod {
  const found = (Object.entries(BACKUP_SUFFIX) as [BackupMethod, string][]).find(([, suffix]) => file.endsWith(suffix));
  if (!found) throw new RestoreError(`${file}: not a backup (expected a name ending in ${Object.values(BACKUP_SUFFIX).join(', ')})`);
  return found[0];
}

/**
 * Puts a backup back: the embedded store's folder is replaced (the old one is kept beside it
 * as pglite.before-restore-<time>); Postgres is restored with pg_restore, or from a table
 * export in one transaction. The platform must be stopped.
 */
export async function restoreBackup(file: string, opts: { databaseUrl: string | undefined; dataDir: string }): Promise<{ method: BackupMethod; detail: string }> {
  if (!(await stat(file).catch(() => null))?.isFile()) throw new RestoreError(`${file} does not exist`);
  const method = methodOf(file);
  const open = async () => {
    try {
      return await openDatabase(opts);
    } catch (err) {
      if (err instanceof DatabaseLockedError) throw new RestoreError(`stop the platform before restoring: ${err.message}`);
      throw err;
    }
  };

  if (method === 'pglite-datadir') {
    if (opts.databaseUrl) throw new RestoreError(`${file} is a backup of the embedded store: unset DATABASE_URL to restore it into DATA_DIR/pglite`);
    // Opening takes the store's lock: it fails while a platform runs.
    await (await open()).close();
    const dir = path.resolve(opts.dataDir, 'pglite');
    const kept = `${dir}.before-restore-${Date.now()}`;
    await rename(dir, kept);
    try {
      const restored = await PGlite.create(dir, { loadDataDir: new Blob([await readFile(file)]) });
      await restored.close();
    } catch (err) {
      // Nothing half-restored: the store goes back as it was.
      await rm(dir, { recursive: true, force: true });
      await rename(kept, dir);
      throw new RestoreError(`${file} could not be loaded (${(err as Error).message}); the store is unchanged`);
    }
    const db = await open();
    await migrate(db);
    await db.close();
    return { method, detail: `restored into ${dir}; the store it replaced is in ${kept}` };
  }
  if (!opts.databaseUrl && method === 'pg_dump') throw new RestoreError(`${file} is a pg_dump of Postgres: set DATABASE_URL to the database to restore it into`);
  if (method === 'pg_dump') {
    const env = libpqEnv(opts.databaseUrl!);
    await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--single-transaction', `--dbname=${env.PGDATABASE}`, file], { env });
    return { method, detail: `restored into database ${env.PGDATABASE}` };
  }
  const db = await open();
  try {
    await migrate(db);
    const rows = await importTables(db, file);
    return { method, detail: `${rows} rows restored into the ${db.kind} store` };
  } finally {
    await db.close();
  }
}
