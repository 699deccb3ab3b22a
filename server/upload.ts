import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Request } from 'express';
import { ApiProblem } from './problem.ts';

export interface ReceivedUpload {
  /** Where the CSV now is, under the upload folder. */
  file: string;
  /** The name the client gave it, or "upload". */
  originalName: string;
  /** Text fields of a multipart form. */
  fields: Record<string, string>;
}

const tooLarge = (maxBytes: number) => new ApiProblem(413, 'upload-too-large', `the CSV is over ${Math.round(maxBytes / 1024 / 1024)} MB (MAX_UPLOAD_MB)`);

/** Passes bytes through until there are too many. */
function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
}

/** Streams one CSV to `dir` under a fresh name, written as .partial and renamed when whole. */
async function store(source: Readable, dir: string, originalName: string, maxBytes: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const safe = path.basename(originalName).replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.csv$/i, '') || 'upload';
  const file = path.join(dir, `${safe}-${randomUUID()}.csv`);
  try {
    await pipeline(source, byteLimit(maxBytes), createWriteStream(`${file}.partial`));
  } catch (err) {
    await rm(`${file}.partial`, { force: true });
    throw err;
  }
  await rename(`${file}.partial`, file);
  return file;
}

/** How long a refused upload's remaining bytes are read (so the client gets its answer) before the socket is dropped. */
const DRAIN_MS = 30_000;

/** Reads and discards the rest of a refused request, so the client is not cut off mid-send and sees the answer. */
async function drain(req: Request): Promise<void> {
  if (req.readableEnded) return;
  req.resume();
  const timer = new AbortController();
  const giveUp = sleep(DRAIN_MS, undefined, { signal: timer.signal }).then(
    () => req.destroy(),
    () => undefined,
  );
  await Promise.race([once(req, 'end').catch(() => undefined), giveUp]);
  timer.abort();
}

/**
 * Receives a CSV sent as the body (text/csv) or as the `file` field of a multipart form, streamed
 * to disk without being held in memory; over `maxBytes` it is refused (413) and nothing is kept.
 */
export async function receiveUpload(req: Request, opts: { dir: string; maxBytes: number }): Promise<ReceivedUpload> {
  // The request feeds a pass-through: a failed pipeline destroys that, not the client's socket.
  const body = new PassThrough();
  try {
    if (Number(req.headers['content-length'] ?? 0) > opts.maxBytes + 64 * 1024) throw tooLarge(opts.maxBytes);
    if (req.is('text/csv') || req.is('text/plain')) {
      req.pipe(body);
      return { file: await store(body, opts.dir, 'upload', opts.maxBytes), originalName: 'upload', fields: {} };
    }
    if (!req.is('multipart/form-data')) throw new ApiProblem(415, 'unsupported-media-type', 'send the CSV as a text/csv body, or as the "file" field of a multipart/form-data form');
    req.pipe(body);
    return await receiveForm(body, req, opts);
  } catch (err) {
    req.unpipe(body);
    await drain(req);
    throw err;
  }
}

async function receiveForm(body: Readable, req: Request, opts: { dir: string; maxBytes: number }): Promise<ReceivedUpload> {
  const form = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 4096, fileSize: opts.maxBytes } });
  const fields: Record<string, string> = {};
  let upload: Promise<{ file: string; originalName: string }> | null = null;
  form.on('field', (name, value) => (fields[name] = value));
  form.on('file', (name, stream, info) => {
    if (name !== 'file' || upload) {
      stream.resume();
      return;
    }
    // busboy truncates at fileSize and says so with 'limit': turn that into an error for store().
    stream.on('limit', () => stream.destroy(tooLarge(opts.maxBytes)));
    upload = store(stream, opts.dir, info.filename || 'upload', opts.maxBytes).then((file) => ({ file, originalName: info.filename || 'upload' }));
    upload.catch(() => undefined);
  });
  try {
    await pipeline(body, form);
  } catch (err) {
    throw err instanceof ApiProblem ? err : new ApiProblem(400, 'malformed-upload', `the multipart form could not be read: ${(err as Error).message}`);
  }
  if (!upload) throw new ApiProblem(400, 'no-file', 'the multipart form has no "file" field with the CSV');
  const received: { file: string; originalName: string } = await upload;
  return { ...received, fields };
}
