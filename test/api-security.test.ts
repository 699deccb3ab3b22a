import test from 'ava';
import { call, startApiScenario } from './helpers/api.ts';

const TOKEN = 's3cret-token-for-tests';

test('with WEBHOOK_AUTH_TOKEN every endpoint but /health needs the bearer token', async (t) => {
  const s = await startApiScenario(t, { env: { WEBHOOK_AUTH_TOKEN: TOKEN } });
  for (const [method, p] of [['GET', '/jobs'], ['GET', '/status'], ['GET', '/metrics'], ['GET', '/openapi.json'], ['POST', '/trigger'], ['GET', '/nowhere']] as const) {
    const none = await call(s.api, method, p);
    t.is(none.status, 401, `${method} ${p}`);
    t.is(none.headers.get('www-authenticate'), 'Bearer realm="bulk-api-trigger"');
    t.is(none.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const wrong = await call(s.api, method, p, undefined, { authorization: `Bearer ${TOKEN}x` });
    t.is(wrong.status, 401);
    t.is(wrong.headers.get('www-authenticate'), 'Bearer realm="bulk-api-trigger", error="invalid_token"');
    t.false(JSON.stringify(wrong.body).includes(TOKEN), 'the token is never echoed');
  }
  t.is((await call(s.api, 'GET', '/jobs', undefined, { authorization: `Basic ${TOKEN}` })).status, 401);
  t.is((await call(s.api, 'GET', '/jobs', undefined, { authorization: `Bearer ${TOKEN}` })).status, 200);
  t.is((await call(s.api, 'GET', '/jobs', undefined, { authorization: `bearer ${TOKEN}` })).status, 200, 'the scheme is case-insensitive');
  const bad = await call(s.api, 'POST', '/trigger', { csv_file: 7 }, { authorization: `Bearer ${TOKEN}` });
  t.is(bad.status, 400, 'past the token, the body is validated');
  t.is((await call(s.api, 'GET', '/health')).status, 200);
});

test('without WEBHOOK_AUTH_TOKEN the API is open', async (t) => {
  const s = await startApiScenario(t);
  t.is((await call(s.api, 'GET', '/jobs')).status, 200);
});

test('WEBHOOK_RATE_LIMIT: requests per minute per client address, 429 with Retry-After; /health is exempt', async (t) => {
  const s = await startApiScenario(t, { env: { WEBHOOK_RATE_LIMIT: '5', TRUST_PROXY: '1' } });
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  for (let i = 1; i <= 5; i++) {
    const r = await call(s.api, 'GET', '/jobs', undefined, from('203.0.113.7'));
    t.is(r.status, 200);
    t.is(r.headers.get('x-ratelimit-remaining'), String(5 - i));
    t.regex(r.headers.get('ratelimit') ?? '', /r=\d/);
  }
  const limited = await call(s.api, 'GET', '/jobs', undefined, from('203.0.113.7'));
  t.is(limited.status, 429);
  t.is(limited.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const retryAfter = Number(limited.headers.get('retry-after'));
  t.true(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  t.regex(limited.body.detail, /5 requests per minute/);
  // Another client (behind the one trusted proxy) has its own budget; /health is never limited.
  t.is((await call(s.api, 'GET', '/jobs', undefined, from('198.51.100.2'))).status, 200);
  for (let i = 0; i < 8; i++) t.is((await call(s.api, 'GET', '/health', undefined, from('203.0.113.7'))).status, 200);
});

test('without a trusted proxy X-Forwarded-For is ignored: one socket address, one budget', async (t) => {
  const s = await startApiScenario(t, { env: { WEBHOOK_RATE_LIMIT: '2' } });
  t.is((await call(s.api, 'GET', '/jobs', undefined, { 'x-forwarded-for': '203.0.113.1' })).status, 200);
  t.is((await call(s.api, 'GET', '/jobs', undefined, { 'x-forwarded-for': '203.0.113.2' })).status, 200);
  t.is((await call(s.api, 'GET', '/jobs', undefined, { 'x-forwarded-for': '203.0.113.3' })).status, 429);
});
