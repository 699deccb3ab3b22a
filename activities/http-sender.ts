import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import type BodyReadable from 'undici/types/readable';
import pkg from '../package.json' with { type: 'json' };
import { classifyStatus, isTransientErrorCode, limiterSignal, nextRetryDelay, parseRetryAfter, type BackoffPolicy } from '../core/retry.ts';
import type { PendingRow, RowOutcome } from '../store/rows-repo.ts';
import type { HostLimiters } from './host-limiters.ts';

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
  /**
   * A first attempt whose slot falls after this (epoch ms) is left pending for a later slice. A
   * retry always waits for its slot, so a row's attempt count is never lost between slices.
   */
  deferAfter: number;
  /** Aborts waits (slots, backoff) but never a request already on the wire. */
  signal: AbortSignal;
}

/**
 * `unfinished` when the row was not sent: its host is held until `heldUntil`, or the slice was
 * cancelled (null). It stays pending for a later slice.
 */
export type SendResult = (RowOutcome & { requests: number }) | { rowNumber: number; unfinished: true; requests: number; heldUntil: number | null };

export function buildHeaders(jobId: string, row: PendingRow): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  if (row.payload !== null) headers['content-type'] = 'application/json';
  for (const [k, v] of Object.entries(row.headers)) headers[k.toLowerCase()] = v;
  // Ours always wins: receivers de-duplicate on it across retries and resumes.
  headers['idempotency-key'] = `${jobId}:${row.rowNumber}`;
  return headers;
}

/** Sends one row, retrying transient failures with backoff; returns its final outcome. */
export async function sendRow(row: PendingRow, ctx: SendContext): Promise<SendResult> {
  const origin = new URL(row.url).origin;
  const headers = buildHeaders(ctx.jobId, row);
  let requests = 0;
  const unfinished = (heldUntil: number | null) => ({ rowNumber: row.rowNumber, unfinished: true as const, requests, heldUntil });
  for (let attempt = 1; ; attempt++) {
    try {
      const heldUntil = await ctx.limiters.acquire(origin, attempt === 1 ? ctx.deferAfter : Number.POSITIVE_INFINITY, ctx.signal);
      if (heldUntil !== null) return unfinished(heldUntil);
    } catch {
      return unfinished(null);
    }
    const started = performance.now();
    let error: string;
    let transient: boolean;
    let retryAfterMs: number | null = null;
    let statusCode: number | null = null;
    let excerpt: string | null = null;
    requests += 1;
    try {
      const res = await request(row.url, {
        method: row.method,
        headers,
        body: row.payload,
        dispatcher: ctx.dispatcher,
        headersTimeout: ctx.requestTimeoutMs,
        bodyTimeout: ctx.requestTimeoutMs,
      });
      excerpt = await readExcerpt(res.body, res.headers['content-length']);
      statusCode = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfterMs = parseRetryAfter(Array.isArray(ra) ? ra[0] : ra, Date.now());
      ctx.limiters.record(origin, limiterSignal(statusCode), retryAfterMs);
      const kind = classifyStatus(res.statusCode);
      const outcome = { rowNumber: row.rowNumber, attempts: attempt, statusCode, responseTimeMs: performance.now() - started, responseExcerpt: excerpt, requests };
      if (kind === 'success') return { ...outcome, status: 'succeeded', error: null };
      error = `HTTP ${res.statusCode}`;
      if (kind === 'permanent') return { ...outcome, status: 'failed', error };
      transient = true;
    } catch (err) {
      const code = (err as { code?: string }).code;
      error = `${code ?? 'ERROR'}: ${(err as Error).message}`;
      transient = isTransientErrorCode(code);
      // Only network trouble counts against the host; a bad header value in the row is not its fault.
      if (transient) ctx.limiters.record(origin, 'FAILED', null);
    }
    const responseTimeMs = performance.now() - started;
    if (!transient || attempt > ctx.maxRetries) {
      return { rowNumber: row.rowNumber, status: 'failed', attempts: attempt, statusCode, responseTimeMs, error, responseExcerpt: excerpt, requests };
    }
    try {
      await sleep(nextRetryDelay(attempt, retryAfterMs, ctx.backoff, Math.random), undefined, { signal: ctx.signal });
    } catch {
      return unfinished(null);
    }
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
