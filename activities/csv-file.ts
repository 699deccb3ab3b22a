import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { parse, CsvError } from 'csv-parse';
import { validateHeader } from '../core/csv-row.ts';

/** The file is not CSV we can read past some point: quoting broken, and so on. */
export class CsvFormatError extends Error {
  override name = 'CsvFormatError';
}

export interface CsvRecord {
  /** 1 = the first data row after the header. */
  rowNumber: number;
  record: Record<string, string | undefined>;
}

/**
 * Streams a CSV file as records keyed by normalised header names, never holding the file in
 * memory. RFC 4180 quoting, CRLF or LF, optional BOM; blank lines are skipped. When `hash`
 * is given, every byte read is fed to it, so one pass both parses and fingerprints the file.
 */
export async function* readCsvRecords(filePath: string, hash?: Hash): AsyncGenerator<CsvRecord> {
  const stream = createReadStream(filePath);
  if (hash) stream.on('data', (chunk) => hash.update(chunk));
  const parser = stream.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true }));
  stream.on('error', (err) => parser.destroy(err));
  let columns: string[] | null = null;
  let rowNumber = 0;
  try {
    for await (const fields of parser as AsyncIterable<string[]>) {
      if (columns === null) {
        columns = validateHeader(fields);
        continue;
      }
      rowNumber += 1;
      const record: Record<string, string | undefined> = {};
      columns.forEach((name, i) => {
        if (name !== '' && record[name] === undefined) record[name] = fields[i];
      });
      yield { rowNumber, record };
    }
  } catch (err) {
    if (err instanceof CsvError) throw new CsvFormatError(`CSV format error after data row ${rowNumber}: ${err.message}`);
    throw err;
  } finally {
    stream.destroy();
  }
  if (columns === null) validateHeader([]);
}

const TEXT_PROBE_BYTES = 8192;

/** Text has no NUL bytes; a spreadsheet, archive or image does, within its first bytes. */
async function assertText(filePath: string): Promise<void> {
  const file = await open(filePath, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(TEXT_PROBE_BYTES), 0, TEXT_PROBE_BYTES, 0);
    if (buffer.subarray(0, bytesRead).includes(0)) {
      throw new CsvFormatError('the file is not text (it has NUL bytes: a spreadsheet, archive or image?); expected a CSV');
    }
  } finally {
    await file.close();
  }
}

/** Checks it is text and validates the header row: the cheap check a trigger makes before starting a job. */
export async function readCsvHeader(filePath: string): Promise<void> {
  await assertText(filePath);
  for await (const _ of readCsvRecords(filePath)) return;
}

export async function hashFile(filePath: string): Promise<{ hash: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(filePath)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hash: hash.digest('hex'), size };
}
