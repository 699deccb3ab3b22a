import test from 'ava';
import { startJob } from '../runtime/jobs.ts';
import { startTarget, type Received } from './helpers/target.ts';
import { startScenario, startTestPlatform, tempDir, writeCsv } from './helpers/platform.ts';
import { resultOf } from './helpers/jobs.ts';

/** Arrival times (ms) of the requests whose path starts with `prefix`. */
function arrivals(received: (Received & { at?: number })[], prefix: string): number[] {
  return received.filter((r) => r.path.startsWith(prefix)).map((r) => r.at!);
}

test('BASE_RATE_LIMIT spaces requests per target host; hosts do not slow each other', async (t) => {
  const stamped: (Received & { at: number })[] = [];
  const a = await startTarget((req) => (stamped.push({ ...req, at: Date.now() }), { status: 200 }));
  const b = await startTarget((req) => (stamped.push({ ...req, at: Date.now() }), { status: 200 }));
  const p = await startTestPlatform('pglite', { BASE_RATE_LIMIT: '0.2', MAX_RATE_LIMIT: '1', MAX_WORKERS: '4' });
  t.teardown(async () => (await p.stop(), await a.close(), await b.close()));
  const lines = ['webhook_url'];
  for (let i = 1; i <= 6; i++) lines.push(`${a.url}/a/${i}`, `${b.url}/b/${i}`);
  const info = await startJob(p.client, p.config, writeCsv(tempDir(), 'paced.csv', lines.join('\n')));
  t.is((await resultOf(p.client, info.workflowId)).counts.succeeded, 12);
  for (const prefix of ['/a/', '/b/']) {
    const times = arrivals(stamped, prefix).sort((x, y) => x - y);
    const gaps = times.slice(1).map((x, i) => x - times[i]!);
    // Arrival times carry connection setup and scheduling jitter (the suite loads both cores), so:
    // the 6 requests span most of 5 spacings (unpaced they arrive within a few ms), no burst.
    t.true(times.at(-1)! - times[0]! >= 0.8 * 5 * 200, `${prefix} spanned ${times.at(-1)! - times[0]!} ms`);
    t.true(gaps.every((g) => g >= 100), `${prefix} gaps ${gaps.join(', ')} ms`);
  }
  // Both hosts ran side by side: the second host's first request did not wait for the first host's rows.
  const [firstA, firstB] = [Math.min(...arrivals(stamped, '/a/')), Math.min(...arrivals(stamped, '/b/'))];
  // A pacer shared across hosts would hold the second host back by a whole spacing (200 ms).
  t.true(Math.abs(firstA - firstB) < 200, `first requests ${Math.abs(firstA - firstB)} ms apart`);
});

test('Retry-After is obeyed before the next attempt', async (t) => {
  const stamped: (Received & { at: number })[] = [];
  const { target, p } = await startScenario(t, { env: { RETRY_MAX_DELAY: '5' }, behave: (req, attempt) => {
    stamped.push({ ...req, at: Date.now() });
    return attempt === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 };
  } });
  const info = await startJob(p.client, p.config, writeCsv(tempDir(), 'ra.csv', `webhook_url\n${target.url}/x\n`));
  t.is((await resultOf(p.client, info.workflowId)).counts.succeeded, 1);
  const [first, second] = stamped.map((r) => r.at);
  t.true(second! - first! >= 950, `retried after ${second! - first!} ms`);
});

test('redirects are followed; a slow target times out and is retried, then failed with the reason', async (t) => {
  const { target, p } = await startScenario(t, { env: { REQUEST_TIMEOUT: '0.3', MAX_RETRIES: '1' }, behave: (req) => {
    if (req.path === '/old') return { status: 301, headers: { location: '/new' } };
    if (req.path === '/slow') return { status: 200, delayMs: 1500 };
    return { status: 200, body: 'x'.repeat(2000) };
  } });
  const file = writeCsv(tempDir(), 'redir.csv', `webhook_url,method\n${target.url}/old,GET\n${target.url}/slow,POST\n`);
  const info = await startJob(p.client, p.config, file);
  const outcome = await resultOf(p.client, info.workflowId);
  t.deepEqual(outcome.counts, { pending: 0, succeeded: 1, failed: 1, invalid: 0 });
  t.deepEqual(target.received.map((r) => r.path).sort(), ['/new', '/old', '/slow', '/slow']);
  const rows = await p.db.query<{ row_number: number; status_code: number | null; attempts: number; error: string | null; response_excerpt: string | null }>(
    'SELECT row_number, status_code, attempts, error, response_excerpt FROM job_rows WHERE job_id = $1 ORDER BY row_number',
    [info.jobId],
  );
  t.like(rows[0], { status_code: 200, attempts: 1 });
  t.is(rows[0]?.response_excerpt?.length, 512, 'the response excerpt is cut at 512');
  t.like(rows[1], { status_code: null, attempts: 2 });
  t.regex(rows[1]?.error ?? '', /^UND_ERR_HEADERS_TIMEOUT/);
});
