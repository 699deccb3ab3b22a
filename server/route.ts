import type { Request, Response } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../core/config.ts';
import type { Database } from '../store/database.ts';
import type { WatcherStatus } from '../watcher/drop-folder.ts';
import { ApiProblem } from './problem.ts';

export interface ApiDeps {
  client: Client;
  config: Config;
  /** Absent when another process owns the embedded store. */
  db: Database | null;
  /** The drop-folder watcher of this process, if it runs one. */
  watcher: { status(): WatcherStatus } | null;
  log: (msg: string) => void;
}

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

/** What a handler answers: JSON, or text with its content type. */
export type Reply = { status: number; json: unknown } | { status: number; text: string; contentType: string };

interface Parsed<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  deps: ApiDeps;
  req: Request;
}

const empty = z.object({});
type Empty = typeof empty;

interface RouteSpec<P extends z.ZodObject, Q extends z.ZodObject, B extends z.ZodType> {
  method: 'get' | 'post';
  /** OpenAPI style: /jobs/{job_id}. */
  path: string;
  summary: string;
  /** Answers without the bearer token and outside the per-IP rate limit. */
  public?: boolean;
  params?: P;
  query?: Q;
  /** A JSON body, validated before the handler runs. */
  body?: B;
  /** A body the handler streams itself (uploads): its media types, for the docs. */
  rawBody?: Record<string, z.ZodType>;
  responses: Record<number, ResponseDoc>;
  handle(request: Parsed<z.output<P>, z.output<Q>, z.output<B>>): Promise<Reply>;
}

/** One endpoint: Express serves it and /openapi.json documents it, from the same schemas. */
export interface Route {
  method: 'get' | 'post';
  path: string;
  expressPath: string;
  summary: string;
  public: boolean;
  params: z.ZodObject;
  query: z.ZodObject;
  body: z.ZodType | null;
  rawBody: Record<string, z.ZodType> | null;
  responses: Record<number, ResponseDoc>;
  run(req: Request, res: Response, deps: ApiDeps): Promise<void>;
}

/** `field: reason; field: reason` from a zod error, naming where each problem is. */
function describeIssues(where: string, error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : where}: ${i.message}`).join('; ');
}

/** The value as the schema reads it, or a 400 naming each field that is wrong. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiProblem(400, 'invalid-request', describeIssues(where, r.error));
  return r.data;
}

export function route<P extends z.ZodObject = Empty, Q extends z.ZodObject = Empty, B extends z.ZodType = Empty>(spec: RouteSpec<P, Q, B>): Route {
  const params = spec.params ?? empty;
  const query = spec.query ?? empty;
  return {
    method: spec.method,
    path: spec.path,
    expressPath: spec.path.replace(/\{(\w+)\}/g, ':$1'),
    summary: spec.summary,
    public: spec.public ?? false,
    params,
    query,
    body: spec.body ?? null,
    rawBody: spec.rawBody ?? null,
    responses: spec.responses,
    async run(req, res, deps) {
      // A body the JSON parser skipped would otherwise read as missing fields: say what is wrong with it.
      if (spec.body && hasBody(req) && !req.is('application/json')) throw new ApiProblem(415, 'unsupported-media-type', 'the request body must be application/json');
      const reply = await spec.handle({
        params: parse(params, req.params, 'path') as z.output<P>,
        query: parse(query, req.query, 'query') as z.output<Q>,
        // No JSON body (or no Content-Type) reads as {}, so the fields it lacks are named.
        body: (spec.body ? parse(spec.body, req.body ?? {}, 'body') : {}) as z.output<B>,
        deps,
        req,
      });
      if ('json' in reply) res.status(reply.status).json(reply.json);
      else res.status(reply.status).type(reply.contentType).send(reply.text);
    },
  };
}

const hasBody = (req: Request) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** The store, or a 503 saying why this process has none. */
export function requireDb(deps: ApiDeps): Database {
  if (deps.db) return deps.db;
  throw new ApiProblem(503, 'store-unavailable', 'this API process has no job store: another process owns the embedded store; set DATABASE_URL to share a Postgres');
}
