import { setTimeout as sleep } from 'node:timers/promises';
import type { LimitFunction } from 'p-limit';
import { request, type Dispatcher } from 'undici';
import type BodyReadable from 'undici/types/readable';
import pkg from '../package.json' with { type: 'json' };
import { classifyStatus, isTransientErrorCode, limiterSignal, nextRetryDelay, parseRetryAfter, type BackoffPolicy } from '../core/retry.ts';
import type { PendingRow, RowOutcome } from '../store/rows-repo.ts';
import { originOf, type HostLimiters } from './host-limiters.ts';
import { recordRequest } from './request-metrics.ts';

export const USER_AGENT = `bulk-api-trigger/${pkg.version}`;
/** Kept of each response: characters of a small body, bytes of a streamed one. */
const EXCERPT_LENGTH = 512;

export interface SendContext {
  jobId: string;
  dispatcher: Dispatcher;
  maxRetries: number;
  requestTimeoutMs: number;
  backoff: BackoffPolicy;
  limiters: HostLimiters;
  /** Bounds requests in flight (MAX_WORKERS); a row waiting for its slot or its retry holds none. */
  inFlight: LimitFunction;
  /**
   * The slice's end (epoch ms): a row whose next attempt would start later is left for a later
   * slice, with its attempts so far stored, instead of holding up the rows behind it.
   */
  deferAfter: number;
  /** Aborts waits (slots, backoff) but never a request already on the wire. */
  signal: AbortSignal;
}

/**
 * `done`: a final outcome. `deferred`: attempts were made and the next one is due after the
 * slice (the outcome is pending, with `retryAt`). `untouched`: nothing sent in this slice, because
 * the host is held until `heldUntil`, or the slice was cancelled (null); nothing to store.
 */
export type SendResult =
  | { kind: 'done'; outcome: RowOutcome; requests: number }
  | { kind: 'deferred'; outcome: RowOutcome; requests: number }
  | { kind: 'untouched'; heldUntil: number | null; requests: 0 };

export function buildHeaders(jobId: string, row: PendingRow): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  if (row.payload !== null) headers['content-type'] = 'application/json';
  for (const [k, v] of Object.entries(row.headers)) headers[k.toLowerCase()] = v;
  // Ours always wins: receivers de-duplicate on it across retries and resumes.
  headers['idempotency-key'] = `${jobId}:${row.rowNumber}`;
  return headers;
}

interface Attempt {
  statusCode: number | null;
  responseTimeMs: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

/**
 * Sends one row when its host's limiter gives a slot, retrying transient failures with backoff
 * (or Retry-After), and says how it ended. Attempts count across slices, so MAX_RETRIES holds
 * however often a row is deferred.
 */
export async function sendRow(row: PendingRow, ctx: SendContext): Promise<SendResult> {
  const origin = originOf(row.url);
  const headers = buildHeaders(ctx.jobId, row);
  let requests = 0;
  let last: Attempt | null = null;
  const pending = (attempts: number, retryAt: number): SendResult => {
    if (requests === 0 || !last) return { kind: 'untouched', heldUntil: retryAt, requests: 0 };
    return { kind: 'deferred', requests, outcome: { rowNumber: row.rowNumber, status: 'pending', attempts, retryAt, ...last } };
  };
  const cancelled = (attempts: number, retryAt: number | null): SendResult =>
    requests === 0 || retryAt === null ? { kind: 'untouched', heldUntil: null, requests: 0 } : pending(attempts, retryAt);

  let retryAt = row.retryAt;
  for (let attempt = row.attempts + 1; ; attempt++) {
    if (retryAt !== null && retryAt > Date.now()) {
      if (retryAt > ctx.deferAfter) return pending(attempt - 1, retryAt);
      try {
        await sleep(retryAt - Date.now(), undefined, { signal: ctx.signal });
      } catch {
        return cancelled(attempt - 1, retryAt);
      }
    }
    let epoch: number;
    try {
      const slot = await ctx.limiters.acquire(origin, ctx.deferAfter, ctx.signal);
      if ('heldUntil' in slot) return pending(attempt - 1, slot.heldUntil);
      epoch = slot.epoch;
    } catch {
      return cancelled(attempt - 1, Date.now());
    }
    // The slot stands for its epoch: if the pace is cut or a hold begins while this waits for a
    // request slot (MAX_WORKERS), it asks its host again instead of sending into the pushback.
    let started = 0;
    let transient: boolean;
    let retryAfterMs: number | null = null;
    try {
      const res = await ctx.inFlight(async () => {
        if (ctx.limiters.epochOf(origin) !== epoch) return null;
        requests += 1;
        started = performance.now();
        const r = await request(row.url, {
          method: row.method,
          headers,
          body: row.payload,
          dispatcher: ctx.dispatcher,
          headersTimeout: ctx.requestTimeoutMs,
          bodyTimeout: ctx.requestTimeoutMs,
        });
        return { ...r, excerpt: await readExcerpt(r.body, r.headers['content-length']) };
      });
      if (res === null) {
        attempt -= 1;
        continue;
      }
      const ra = res.headers['retry-after'];
      retryAfterMs = parseRetryAfter(Array.isArray(ra) ? ra[0] : ra, Date.now());
      ctx.limiters.record(origin, limiterSignal(res.statusCode), retryAfterMs);
      const kind = classifyStatus(res.statusCode);
      const elapsedMs = performance.now() - started;
      recordRequest(kind, res.statusCode, elapsedMs / 1000);
      last = {
        statusCode: res.statusCode,
        responseTimeMs: elapsedMs,
        error: kind === 'success' ? null : `HTTP ${res.statusCode}`,
        responseExcerpt: res.excerpt,
      };
      if (kind !== 'transient') {
        return { kind: 'done', requests, outcome: { rowNumber: row.rowNumber, status: kind === 'success' ? 'succeeded' : 'failed', attempts: attempt, retryAt: null, ...last } };
      }
      transient = true;
    } catch (err) {
      const code = (err as { code?: string }).code;
      const elapsedMs = performance.now() - started;
      // A request that never started (bad header value in the row) is not counted.
      if (started > 0) recordRequest('error', null, elapsedMs / 1000);
      last = { statusCode: null, responseTimeMs: elapsedMs, error: `${code ?? 'ERROR'}: ${(err as Error).message}`, responseExcerpt: null };
      transient = isTransientErrorCode(code);
      // Only network trouble counts against the host; a bad header value in the row is not its fault.
      if (transient) ctx.limiters.record(origin, 'FAILED', null);
    }
    if (!transient || attempt > ctx.maxRetries) {
      return { kind: 'done', requests, outcome: { rowNumber: row.rowNumber, status: 'failed', attempts: attempt, retryAt: null, ...last } };
    }
    retryAt = Date.now() + nextRetryDelay(attempt, retryAfterMs, ctx.backoff, Math.random);
  }
}

/** Small bodies of known length are read in one go; larger ones are streamed. */
const WHOLE_BODY_LIMIT = 64 * 1024;

/** Keeps the first bytes for the record and drains the rest so the connection can be reused. */
async function readExcerpt(body: BodyReadable, contentLength: string | string[] | undefined): Promise<string | null> {
  const length = typeof contentLength === 'string' ? Number(contentLength) : NaN;
  if (length <= WHOLE_BODY_LIMIT) {
    const text = await body.text();
    return text === '' ? null : text.slice(0, EXCERPT_LENGTH);
  }
  const kept: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < EXCERPT_LENGTH) {
      kept.push(chunk);
      size += chunk.length;
    }
  }
  if (size === 0) return null;
  return Buffer.concat(kept).subarray(0, EXCERPT_LENGTH).toString('utf8');
}
