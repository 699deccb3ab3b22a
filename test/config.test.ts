import test from 'ava';
import { ConfigError, deliveryFor, loadConfig, overrideProblems } from '../core/config.ts';
import { limiterSettings } from '../core/limiter/settings.ts';

test('defaults follow the original tool', (t) => {
  const c = loadConfig({});
  t.like(c, { port: 8000, dataDir: './data', databaseUrl: undefined, resume: { enabled: true, maxAgeDays: 7 } });
  t.like(c.temporal, { address: undefined, namespace: 'default', taskQueue: 'bulk-api-trigger', devPort: 7233, uiPort: 8233 });
  t.like(c.delivery, { maxWorkers: 3, baseRateLimit: 3, maxRateLimit: 5, chunkSize: 1000, maxRetries: 3, requestTimeoutMs: 30_000 });
});

test('values are parsed from strings', (t) => {
  const c = loadConfig({ MAX_WORKERS: '64', BASE_RATE_LIMIT: '0', MAX_RATE_LIMIT: '0.5', RESUME_ENABLED: 'false', REQUEST_TIMEOUT: '2.5', DATABASE_URL: 'postgres://x/y' });
  t.like(c.delivery, { maxWorkers: 64, baseRateLimit: 0, maxRateLimit: 0.5, requestTimeoutMs: 2500 });
  t.false(c.resume.enabled);
  t.is(c.databaseUrl, 'postgres://x/y');
});

test('every bad value is reported at once, by name and value', (t) => {
  const err = t.throws(() => loadConfig({ MAX_WORKERS: 'lots', PORT: '99999', RESUME_ENABLED: 'maybe', BASE_RATE_LIMIT: '-1' }), { instanceOf: ConfigError });
  t.deepEqual(err?.problems, [
    'PORT="99999": expected a whole number from 0 to 65535',
    'MAX_WORKERS="lots": expected a whole number from 1 to 10000',
    'BASE_RATE_LIMIT="-1": expected a number of seconds ≥ 0',
    'RESUME_ENABLED="maybe": expected true or false',
  ]);
});

test('MAX_RATE_LIMIT below BASE_RATE_LIMIT is refused', (t) => {
  t.throws(() => loadConfig({ BASE_RATE_LIMIT: '3', MAX_RATE_LIMIT: '1' }), { instanceOf: ConfigError, message: /MAX_RATE_LIMIT=1 is below BASE_RATE_LIMIT=3/ });
});

test('MIN_RATE_LIMIT: unset means never faster than the start; above BASE_RATE_LIMIT is refused', (t) => {
  const d = loadConfig({ BASE_RATE_LIMIT: '0.5' }).delivery;
  t.is(d.minRateLimit, null);
  t.is(limiterSettings(d).fastestRate, 2);
  t.is(limiterSettings(loadConfig({ BASE_RATE_LIMIT: '0.5', MIN_RATE_LIMIT: '0' }).delivery).fastestRate, null);
  t.throws(() => loadConfig({ BASE_RATE_LIMIT: '1', MIN_RATE_LIMIT: '2' }), { instanceOf: ConfigError, message: /MIN_RATE_LIMIT=2 is above BASE_RATE_LIMIT=1/ });
  t.like(loadConfig({ CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_OPEN_SECONDS: '1.5' }).delivery, { circuitFailureThreshold: 2, circuitOpenMs: 1500 });
});

test('per-job rate_limit and workers override the environment and move the bounds they cross', (t) => {
  const env = loadConfig({ BASE_RATE_LIMIT: '1', MIN_RATE_LIMIT: '0.5', MAX_RATE_LIMIT: '5' }).delivery;
  t.like(deliveryFor(env, { rateLimit: 10, workers: 7 }), { baseRateLimit: 10, maxRateLimit: 10, minRateLimit: 0.5, maxWorkers: 7 });
  t.like(deliveryFor(env, { rateLimit: 0.1 }), { baseRateLimit: 0.1, maxRateLimit: 5, minRateLimit: 0.1 });
  t.deepEqual(deliveryFor(env, {}), env);
  t.deepEqual(overrideProblems({ rateLimit: -1, workers: 0.5 }), [
    'rate_limit=-1: expected a number of seconds ≥ 0',
    'workers=0.5: expected a whole number from 1 to 10000',
  ]);
  t.deepEqual(overrideProblems({ rateLimit: 0, workers: 1 }), []);
});

test('REST API settings: token, rate limit, trust proxy, allowed CSV folders', (t) => {
  const d = loadConfig({ DATA_DIR: '/srv/bat' }).api;
  t.deepEqual(d, { authToken: undefined, rateLimitPerMinute: 60, trustProxy: false, csvDirs: ['/srv/bat/csv'], maxUploadBytes: 100 * 1024 * 1024, uploadDir: '/srv/bat/uploads' });
  const c = loadConfig({ DATA_DIR: '/srv/bat', WEBHOOK_AUTH_TOKEN: 'tok', WEBHOOK_RATE_LIMIT: '0', TRUST_PROXY: '2', CSV_ALLOWED_DIRS: '/a, /b/c ,' }).api;
  t.like(c, { authToken: 'tok', rateLimitPerMinute: 0, trustProxy: 2, csvDirs: ['/srv/bat/csv', '/a', '/b/c'] });
  t.is(loadConfig({ TRUST_PROXY: 'TRUE' }).api.trustProxy, true);
  t.is(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).api.trustProxy, 'loopback, 10.0.0.0/8');
  t.throws(() => loadConfig({ WEBHOOK_RATE_LIMIT: 'fast' }), { instanceOf: ConfigError, message: /WEBHOOK_RATE_LIMIT="fast"/ });
});
