import { Counter, Histogram } from 'prom-client';
import type { AttemptClass } from '../core/retry.ts';

/** What became of one request: the host's answer class, or `error` when there was no answer. */
export type RequestOutcome = AttemptClass | 'error';

const requests = new Counter({
  name: 'bulk_requests_total',
  help: 'HTTP requests sent to target hosts (retries included), by outcome and status class',
  labelNames: ['outcome', 'status_class'] as const,
});

const latency = new Histogram({
  name: 'bulk_request_duration_seconds',
  help: 'Time from sending a request to reading its response excerpt',
  labelNames: ['status_class'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

// Children looked up once per label pair: labels() hashes its arguments on every call.
const counterChildren = new Map<string, ReturnType<typeof requests.labels>>();
const latencyChildren = new Map<string, ReturnType<typeof latency.labels>>();

const statusClass = (statusCode: number | null) => (statusCode === null ? 'none' : `${Math.floor(statusCode / 100)}xx`);

/** Counts one request and its latency; the worker's requests show on this process's /metrics. */
export function recordRequest(outcome: RequestOutcome, statusCode: number | null, seconds: number): void {
  const cls = statusClass(statusCode);
  const key = `${outcome}:${cls}`;
  let counter = counterChildren.get(key);
  if (!counter) counterChildren.set(key, (counter = requests.labels(outcome, cls)));
  counter.inc();
  let histogram = latencyChildren.get(cls);
  if (!histogram) latencyChildren.set(cls, (histogram = latency.labels(cls)));
  histogram.observe(seconds);
}
