import { readFileSync } from 'node:fs';
import test from 'ava';
import { startJob } from '../runtime/jobs.ts';
import type { JobOutcome } from '../workflows/csv-job.ts';
import { startTarget, type Received } from './helpers/target.ts';
import { startTestPlatform, tempDir, writeCsv, type StoreKind } from './helpers/platform.ts';

const ROWS = 2000;
const userAgent = `bulk-api-trigger/${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}`;

/** Row i's path decides how the target treats it; every 100th row is invalid in one of several ways. */
function buildCsv(base: string): { csv: string; expectInvalid: Map<number, string> } {
  const lines = ['webhook_url,method,payload,headers,name,group,extra_column'];
  const expectInvalid = new Map<number, string>();
  for (let i = 1; i <= ROWS; i++) {
    if (i % 100 === 0) {
      const bad = [
        [`ftp://127.0.0.1/x`, 'POST', '', '', 'webhook_url "ftp://127.0.0.1/x" is not an http or https URL'],
        [`${base}/ok/${i}`, 'FETCH', '', '', 'method "FETCH" is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS'],
        [`${base}/ok/${i}`, 'POST', '"{not json"', '', 'payload is not valid JSON'],
        [`${base}/ok/${i}`, 'POST', '', '"{""X-N"": 5}"', 'headers: value of header "X-N" is not a string'],
      ][(i / 100) % 4]!;
      lines.push(`${bad[0]},${bad[1]},${bad[2]},${bad[3]},bad ${i},g,zzz`);
      expectInvalid.set(i, bad[4]!);
      continue;
    }
    const kind = i % 50 === 1 ? 'flaky503' : i % 50 === 2 ? 'drop' : i % 50 === 3 ? 'gone' : i % 50 === 4 ? 'limited' : 'ok';
    const method = i % 7 === 0 ? 'GET' : i % 7 === 1 ? 'PUT' : 'POST';
    const payload = method === 'GET' ? '' : `"{""row"": ${i},\n ""text"": ""a, b""}"`;
    lines.push(`${base}/${kind}/${i},${method},${payload},"{""X-Row"": ""${i}""}",name ${i},group ${i % 3},ignored`);
  }
  return { csv: lines.join('\r\n') + '\r\n', expectInvalid };
}

for (const store of ['pglite', 'postgres'] as StoreKind[]) {
  test(`every row of a ${ROWS}-row CSV is delivered once with its outcome stored (${store})`, async (t) => {
    const target = await startTarget((req: Received, attempt) => {
      const kind = req.path.split('/')[1];
      if (kind === 'flaky503' && attempt === 1) return { status: 503 };
      if (kind === 'drop' && attempt === 1) return { destroy: true };
      if (kind === 'limited' && attempt === 1) return { status: 429, headers: { 'retry-after': '0' } };
      if (kind === 'gone') return { status: 404, body: 'no such hook' };
      return { status: 200, body: `thanks ${req.key}` };
    });
    const platform = await startTestPlatform(store);
    t.teardown(async () => {
      await platform.stop();
      await target.close();
    });
    const { csv, expectInvalid } = buildCsv(target.url);
    const file = writeCsv(tempDir(), 'hooks.csv', `\uFEFF${csv}`);

    const info = await startJob(platform.client, platform.config, file, { jobName: 'e2e' });
    t.is(info.decision, 'fresh');
    t.false(info.duplicate);
    const outcome = await platform.client.workflow.getHandle(info.workflowId).result() as JobOutcome;

    const validRows = ROWS - expectInvalid.size;
    const gone = Array.from({ length: ROWS }, (_, k) => k + 1).filter((i) => i % 50 === 3 && i % 100 !== 0).length;
    t.is(outcome.status, 'completed');
    t.deepEqual(outcome.counts, { pending: 0, succeeded: validRows - gone, failed: gone, invalid: expectInvalid.size });

    // What the target saw: each valid row, right method, body, headers and key.
    const finalByKey = new Map<string, Received>();
    for (const [key, list] of target.byKey) finalByKey.set(key, list[list.length - 1]!);
    t.is(finalByKey.size, validRows);
    for (let i = 1; i <= ROWS; i++) {
      const got = finalByKey.get(`${info.jobId}:${i}`);
      if (expectInvalid.has(i)) {
        t.is(got, undefined, `invalid row ${i} must not be sent`);
        continue;
      }
      if (!got) return t.fail(`row ${i} was never received`);
      const method = i % 7 === 0 ? 'GET' : i % 7 === 1 ? 'PUT' : 'POST';
      if (got.method !== method || got.headers['x-row'] !== String(i) || got.headers['user-agent'] !== userAgent) {
        return t.fail(`row ${i} arrived as ${got.method} with headers ${JSON.stringify(got.headers)}`);
      }
      if (method !== 'GET' && (got.body !== `{"row": ${i},\n "text": "a, b"}` || got.headers['content-type'] !== 'application/json')) {
        return t.fail(`row ${i} body ${JSON.stringify(got.body)}`);
      }
    }
    // Transient failures were retried exactly once; permanent 404s were not retried.
    const attemptsOf = (i: number) => target.byKey.get(`${info.jobId}:${i}`)?.length;
    t.is(attemptsOf(51), 2, '503 retried');
    t.is(attemptsOf(52), 2, 'dropped connection retried');
    t.is(attemptsOf(54), 2, '429 retried');
    t.is(attemptsOf(53), 1, '404 not retried');

    const rows = await platform.db.query<{ row_number: number; status: string; attempts: number; status_code: number | null; error: string | null; response_excerpt: string | null }>(
      'SELECT row_number, status, attempts, status_code, error, response_excerpt FROM job_rows WHERE job_id = $1 ORDER BY row_number',
      [info.jobId],
    );
    t.is(rows.length, ROWS);
    const byRow = new Map(rows.map((r) => [r.row_number, r]));
    t.like(byRow.get(51), { status: 'succeeded', attempts: 2, status_code: 200, response_excerpt: `thanks ${info.jobId}:51` });
    t.like(byRow.get(53), { status: 'failed', attempts: 1, status_code: 404, error: 'HTTP 404', response_excerpt: 'no such hook' });
    for (const [i, reason] of expectInvalid) {
      t.is(byRow.get(i)?.status, 'invalid');
      t.true(byRow.get(i)?.error?.startsWith(reason), `row ${i}: ${byRow.get(i)?.error} should start with ${reason}`);
    }

    // The original tool's SQL keeps working against the compatibility views.
    const [history] = await platform.db.query<Record<string, unknown>>(
      'SELECT job_name, total_requests, successful_requests, failed_requests, status, start_time FROM job_history WHERE job_id = $1',
      [info.jobId],
    );
    t.like(history, { job_name: 'e2e', total_requests: ROWS, successful_requests: validRows - gone, failed_requests: gone, status: 'completed' });
    const [results] = await platform.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_results WHERE job_id = $1 AND status = 'success' AND status_code = 200 AND response_time >= 0 AND timestamp IS NOT NULL`,
      [info.jobId],
    );
    t.is(results?.n, validRows - gone);
    const [tracked] = await platform.db.query<Record<string, unknown>>('SELECT file_path, job_id, status, rows_count FROM file_tracking');
    t.deepEqual(tracked, { file_path: file, job_id: info.jobId, status: 'completed', rows_count: ROWS });

    // The JSON report names the outcome the same way.
    const report = JSON.parse(readFileSync(outcome.reportPath!, 'utf8'));
    t.like(report, { job_id: info.jobId, job_name: 'e2e', status: 'completed', total_rows: ROWS, counts: outcome.counts, status_codes: { '200': validRows - gone, '404': gone } });
    t.true(report.latency_ms.p50 > 0 && report.latency_ms.p99 >= report.latency_ms.p50);
    t.like(report.first_errors[0], { row: 3, status: 'failed', status_code: 404, error: 'HTTP 404' });
  });
}
