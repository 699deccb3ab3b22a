import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import lockfile from 'proper-lockfile';

/** The part of a database both drivers offer; the rest of the code sees only this. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs a multi-statement script (migrations). */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** The embedded store's whole data folder as a gzipped tarball (PGlite only). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

// int8 (count, bigint) as a JS number: our counts and sizes stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  constructor(private readonly pool: pg.Pool) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query(sql, params);
    return result.rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class EmbeddedDatabase implements Database {
  readonly kind = 'pglite';
  constructor(
    private readonly db: PGlite,
    private readonly unlock: () => Promise<void>,
  ) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db.query<T>(sql, params)).rows;
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) =>
      fn({ query: async <R>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params)).rows }),
    );
  }

  async dumpDataDir(): Promise<Blob> {
    return this.db.dumpDataDir('gzip');
  }

  async close(): Promise<void> {
    await this.db.close();
    await this.unlock();
  }
}

export class DatabaseLockedError extends Error {
  override name = 'DatabaseLockedError';
}

/**
 * Postgres when a URL is given, else PGlite in `dataDir/pglite`. PGlite is single-process, so
 * its folder is locked: a second process gets a clear error instead of a corrupted store.
 */
export async function openDatabase(opts: { databaseUrl?: string | undefined; dataDir: string }): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    pool.on('error', () => undefined); // idle-client errors surface on the next query instead
    return new PostgresDatabase(pool);
  }
  const dir = path.resolve(opts.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  let unlock: () => Promise<void>;
  try {
    unlock = await lockfile.lock(dir, { stale: 15_000, update: 5_000 });
  } catch {
    throw new DatabaseLockedError(
      `the embedded database in ${dir} is in use by another bulk-api-trigger process; ` +
        'stop it (a crashed process releases it after 15 s), or set DATABASE_URL to share a Postgres server between processes',
    );
  }
  return new EmbeddedDatabase(await PGlite.create(dir), unlock);
}
