import test from 'ava';
import { backoffDelay, classifyStatus, isTransientErrorCode, nextRetryDelay, parseRetryAfter } from '../core/retry.ts';

test('status classification as in the design: 408/425/429/5xx transient, other 4xx final', (t) => {
  for (const s of [200, 201, 204, 301, 304]) t.is(classifyStatus(s), 'success', String(s));
  for (const s of [408, 425, 429, 500, 502, 503, 504]) t.is(classifyStatus(s), 'transient', String(s));
  for (const s of [400, 401, 403, 404, 409, 410, 422]) t.is(classifyStatus(s), 'permanent', String(s));
});

test('Retry-After: delta-seconds or an HTTP date; garbage ignored', (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.is(parseRetryAfter('7', now), 7000);
  t.is(parseRetryAfter(' 0 ', now), 0);
  t.is(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  t.is(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past means now');
  t.is(parseRetryAfter('soon', now), null);
  t.is(parseRetryAfter(undefined, now), null);
});

test('full-jitter backoff grows exponentially up to the cap', (t) => {
  const policy = { baseMs: 100, capMs: 1000 };
  t.is(backoffDelay(1, policy, () => 0.999), 99);
  t.is(backoffDelay(3, policy, () => 0.5), 200);
  t.is(backoffDelay(10, policy, () => 0.999), 999);
  t.is(backoffDelay(2, policy, () => 0), 0);
});

test('Retry-After wins over backoff, within the cap', (t) => {
  const policy = { baseMs: 100, capMs: 5000 };
  t.is(nextRetryDelay(1, 2000, policy, () => 0.9), 2000);
  t.is(nextRetryDelay(1, 60_000, policy, () => 0.9), 5000);
  t.is(nextRetryDelay(1, null, policy, () => 0.5), 50);
});

test('network error codes: resets and timeouts are transient, others final', (t) => {
  for (const c of ['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']) t.true(isTransientErrorCode(c), c);
  for (const c of ['ENOTFOUND', 'ERR_TLS_CERT_ALTNAME_INVALID', undefined]) t.false(isTransientErrorCode(c), String(c));
});
