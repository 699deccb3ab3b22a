import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { CsvHeaderError, validateRow } from '../core/csv-row.ts';
import type { IngestResult } from '../core/job-types.ts';
import type { Database } from '../store/database.ts';
import { markIngested, setJobStatus } from '../store/jobs-repo.ts';
import { insertRows, lastStoredRow, type StoredRow } from '../store/rows-repo.ts';
import { CsvFormatError, readCsvRecords } from './csv-file.ts';

const INSERT_ROWS = 500;

export interface IngestInput {
  jobId: string;
  filePath: string;
  fileHash: string;
}

/**
 * Streams the file into job_rows, valid rows as pending and bad rows as invalid with their
 * reason. A retried attempt skips rows an earlier attempt stored. The file's hash is checked
 * in the same pass, so a file edited after its trigger never mixes two versions.
 */
export async function ingestCsv(db: Database, input: IngestInput): Promise<IngestResult> {
  const ctx = Context.current();
  const alreadyStored = await lastStoredRow(db, input.jobId);
  await setJobStatus(db, input.jobId, 'running');
  const hash = createHash('sha256');
  let batch: StoredRow[] = [];
  // One INSERT in flight while the next block is parsed: the file is read at the pace of the store.
  let inserting: Promise<void> = Promise.resolve();
  let totalRows = 0;
  let invalidRows = 0;
  try {
    for await (const { rowNumber, record } of readCsvRecords(input.filePath, hash)) {
      totalRows = rowNumber;
      const v = validateRow(record);
      if (!v.ok) invalidRows += 1;
      if (rowNumber <= alreadyStored) continue;
      batch.push(
        v.ok
          ? { rowNumber, url: v.request.url, method: v.request.method, payload: v.request.body, headers: JSON.stringify(v.request.headers), name: v.request.name, group: v.request.group, invalidReason: null }
          : { rowNumber, url: v.url, method: null, payload: null, headers: null, name: v.name, group: v.group, invalidReason: v.reason },
      );
      if (batch.length >= INSERT_ROWS) {
        await inserting;
        inserting = insertRows(db, input.jobId, batch);
        // Its error is raised at the next await; until then this keeps it from counting as unhandled.
        inserting.catch(() => undefined);
        batch = [];
        ctx.heartbeat({ rowsRead: rowNumber });
      }
    }
    await inserting;
    await insertRows(db, input.jobId, batch);
  } catch (err) {
    if (err instanceof CsvHeaderError || err instanceof CsvFormatError) {
      throw ApplicationFailure.nonRetryable(`${input.filePath}: ${err.message}`, 'InvalidCsv');
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw ApplicationFailure.nonRetryable(`${input.filePath} no longer exists`, 'FileNotFound');
    }
    throw err;
  }
  if (hash.digest('hex') !== input.fileHash) {
    throw ApplicationFailure.nonRetryable(
      `${input.filePath} changed after it was triggered; trigger it again to deliver the new content`,
      'FileChanged',
    );
  }
  await markIngested(db, input.jobId, totalRows, invalidRows);
  return { totalRows, validRows: totalRows - invalidRows, invalidRows };
}
