import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { Database, Queryable } from './database.ts';

/**
 * A portable backup of the job store: one JSON line per row (gzipped), table by table, read
 * in key order a page at a time so a store of millions of rows is never held in memory.
 * Used for Postgres when pg_dump is not installed; restores into Postgres or PGlite alike.
 */
const TABLES = [
  { name: 'files', key: ['file_hash'] },
  { name: 'jobs', key: ['job_id'] },
  { name: 'job_rows', key: ['job_id', 'row_number'] },
] as const;
const PAGE = 5000;

async function* exportLines(db: Queryable): AsyncGenerator<string> {
  yield `${JSON.stringify({ format: 'bulk-api-trigger-table-export', version: 1 })}\n`;
  for (const { name, key } of TABLES) {
    let after: unknown[] | null = null;
    for (;;) {
      const cols = key.join(', ');
      const where = after ? `WHERE (${cols}) > (${key.map((_, i) => `$${i + 2}`).join(', ')})` : '';
      const page: Record<string, unknown>[] = await db.query(`SELECT * FROM ${name} ${where} ORDER BY ${cols} LIMIT $1`, [PAGE, ...(after ?? [])]);
      for (const row of page) yield `${JSON.stringify({ table: name, row })}\n`;
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      after = key.map((k) => last[k]);
    }
  }
}

export async function exportTables(db: Queryable, file: string): Promise<void> {
  await pipeline(Readable.from(exportLines(db)), createGzip(), createWriteStream(file));
}

/** Replaces the store's content with the export's, in one transaction: all of it or nothing. */
export async function importTables(db: Database, file: string): Promise<number> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let rows = 0;
  await db.transaction(async (tx) => {
    let header = true;
    const batch: { table: string; rows: unknown[] } = { table: '', rows: [] };
    const flush = async () => {
      if (batch.rows.length === 0) return;
      // job_rows.id is an identity column: keep the exported ids.
      const overriding = batch.table === 'job_rows' ? 'OVERRIDING SYSTEM VALUE' : '';
      await tx.query(`INSERT INTO ${batch.table} ${overriding} SELECT * FROM json_populate_recordset(null::${batch.table}, $1::json)`, [JSON.stringify(batch.rows)]);
      rows += batch.rows.length;
      batch.rows = [];
    };
    for await (const line of lines) {
      if (!line) continue;
      const parsed = JSON.parse(line) as { format?: string; table?: string; row?: unknown };
      if (header) {
        if (parsed.format !== 'bulk-api-trigger-table-export') throw new Error(`${file} is not a bulk-api-trigger table export`);
        header = false;
        // The schema stays as migrated here; rows of an older export get defaults for newer columns.
        await tx.query('TRUNCATE job_rows, jobs, files');
        continue;
      }
      if (!TABLES.some((t) => t.name === parsed.table)) throw new Error(`${file}: unknown table ${String(parsed.table)}`);
      if (batch.table !== parsed.table) {
        await flush();
        batch.table = parsed.table!;
      }
      batch.rows.push(parsed.row);
      if (batch.rows.length >= 1000) await flush();
    }
    await flush();
    if (header) throw new Error(`${file} is empty`);
    await tx.query(`SELECT setval(pg_get_serial_sequence('job_rows', 'id'), coalesce((SELECT max(id) FROM job_rows), 0) + 1, false)`);
  });
  return rows;
}
