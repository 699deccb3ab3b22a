import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { CsvFormatError, hashFile, readCsvRecords, type CsvRecord } from '../activities/csv-file.ts';
import { CsvHeaderError } from '../core/csv-row.ts';
import { dryRun } from '../runtime/dry-run.ts';
import { tempDir, writeCsv } from './helpers/platform.ts';

const dir = tempDir();

async function records(content: string | Buffer): Promise<CsvRecord[]> {
  const file = writeCsv(dir, `f${Math.random()}.csv`, content as string);
  const out: CsvRecord[] = [];
  for await (const r of readCsvRecords(file)) out.push(r);
  return out;
}

test('RFC 4180: quoted commas, doubled quotes, newlines in fields, CRLF, BOM, extra columns ignored', async (t) => {
  const csv = '\uFEFFwebhook_url,payload,extra,name\r\n"http://a.test/1","{""x"": ""a,b""}",zz,"multi\r\nline"\r\nhttp://a.test/2,,,\r\n';
  t.deepEqual(await records(csv), [
    { rowNumber: 1, record: { webhook_url: 'http://a.test/1', payload: '{"x": "a,b"}', extra: 'zz', name: 'multi\r\nline' } },
    { rowNumber: 2, record: { webhook_url: 'http://a.test/2', payload: '', extra: '', name: '' } },
  ]);
});

test('LF line ends, blank lines skipped, short rows padded, columns matched by normalised name', async (t) => {
  const rows = await records('Name, WEBHOOK_URL \n\nn1,http://a.test/1\nn2\n');
  t.deepEqual(rows, [
    { rowNumber: 1, record: { name: 'n1', webhook_url: 'http://a.test/1' } },
    { rowNumber: 2, record: { name: 'n2', webhook_url: undefined } },
  ]);
});

test('whole-file problems name themselves', async (t) => {
  await t.throwsAsync(records(''), { instanceOf: CsvHeaderError, message: /no header row/ });
  await t.throwsAsync(records('url\nhttp://a.test\n'), { instanceOf: CsvHeaderError, message: /no "webhook_url" column/ });
  await t.throwsAsync(records('webhook_url\nhttp://a.test/1\n"http://a.test/2\n'), {
    instanceOf: CsvFormatError,
    message: /^CSV format error after data row 1: Quote Not Closed/,
  });
});

test('hashFile is the sha256 of the bytes; readCsvRecords can hash while parsing', async (t) => {
  const file = writeCsv(dir, 'h.csv', 'webhook_url\nhttp://a.test/1\n');
  const expected = createHash('sha256').update(readFileSync(file)).digest('hex');
  t.deepEqual(await hashFile(file), { hash: expected, size: 28 });
  const h = createHash('sha256');
  for await (const _ of readCsvRecords(file, h)) void _;
  t.is(h.digest('hex'), expected);
});

test('dry run counts valid and invalid rows and lists the first errors by row number', async (t) => {
  const file = writeCsv(dir, 'dry.csv', 'webhook_url,method\nhttp://a.test/1,GET\nnope,GET\nhttp://a.test/3,BREW\nhttp://a.test/4,\n');
  t.deepEqual(await dryRun(file), {
    totalRows: 4,
    validRows: 2,
    invalidRows: 2,
    errors: [
      { row: 2, reason: 'webhook_url "nope" is not a valid URL' },
      { row: 3, reason: 'method "BREW" is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS' },
    ],
  });
});

test('a 200,000-row file streams without being held in memory', async (t) => {
  const line = 'http://a.test/some/long/path/segment,POST,"{""k"": ""' + 'v'.repeat(200) + '""}"\n';
  const file = writeCsv(dir, 'big.csv', 'webhook_url,method,payload\n' + line.repeat(200_000));
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let n = 0;
  for await (const _ of readCsvRecords(file)) {
    n += 1;
    if (n % 20_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  t.is(n, 200_000);
  const fileMb = (200_000 * line.length) / 1e6;
  // The file is ~50 MB; streaming keeps the heap growth a small fraction of it.
  t.true((peak - before) / 1e6 < fileMb / 2, `heap grew ${((peak - before) / 1e6).toFixed(1)} MB for a ${fileMb.toFixed(0)} MB file`);
});
