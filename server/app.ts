import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { bearerAuth } from './auth.ts';
import { asApiProblem } from './job-problems.ts';
import { createMetrics } from './metrics.ts';
import { ApiProblem, sendProblem } from './problem.ts';
import type { ApiDeps, Route } from './route.ts';
import { jobControlRoutes } from './routes/job-control.ts';
import { jobRoutes } from './routes/jobs.ts';
import { resumeRoutes } from './routes/resume.ts';
import { systemRoutes } from './routes/system.ts';
import { triggerRoutes } from './routes/triggers.ts';
import { uploadRoutes } from './routes/upload.ts';

export type { ApiDeps } from './route.ts';

/** Bodies above this are refused (413) before they are parsed. */
const MAX_BODY = '1mb';

/** Job start/control errors and body-parser failures (malformed JSON, too large, bad charset) as problems; anything else is a 500. */
function problemFor(err: unknown): ApiProblem | null {
  const known = asApiProblem(err);
  if (known instanceof ApiProblem) return known;
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.too.large') return new ApiProblem(413, 'body-too-large', `the request body is over ${MAX_BODY.replace('mb', ' MiB')}`);
  if (e.type === 'entity.parse.failed') return new ApiProblem(400, 'malformed-json', `the request body is not valid JSON: ${e.message ?? 'parse error'}`);
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return new ApiProblem(415, 'unsupported-encoding', e.message ?? 'unsupported body encoding');
  return null;
}

/**
 * The REST façade: every route is declared once (server/routes/) with the zod schemas that
 * validate it and document it in /openapi.json. Errors are problem+json, never a stack trace.
 */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.api.trustProxy);

  const metrics = createMetrics(deps.client, deps.config.temporal.taskQueue, () => deps.watcher?.status().queue_size ?? 0);
  const routes: Route[] = [...triggerRoutes, ...uploadRoutes, ...resumeRoutes, ...jobRoutes, ...jobControlRoutes];
  routes.push(...systemRoutes(metrics, () => routes));

  const serve = (r: Route) => (req: Request, res: Response, next: NextFunction) => void r.run(req, res, deps).catch(next);
  // Public routes answer before the rate limit and the token check.
  for (const r of routes.filter((x) => x.public)) app[r.method](r.expressPath, serve(r));

  const { rateLimitPerMinute, authToken } = deps.config.api;
  if (rateLimitPerMinute > 0) {
    app.use(
      rateLimit({
        windowMs: 60_000,
        limit: rateLimitPerMinute,
        standardHeaders: 'draft-8',
        legacyHeaders: true,
        // Any client can send X-Forwarded-For; it counts only behind a proxy named by TRUST_PROXY (README).
        validate: { xForwardedForHeader: false },
        handler: (_req, res) =>
          sendProblem(res, new ApiProblem(429, 'rate-limited', `over ${rateLimitPerMinute} requests per minute from this address (WEBHOOK_RATE_LIMIT); retry after the Retry-After seconds`)),
      }),
    );
  }
  if (authToken) app.use(bearerAuth(authToken));
  app.use(express.json({ limit: MAX_BODY }));
  for (const r of routes.filter((x) => !x.public)) app[r.method](r.expressPath, serve(r));

  // A known path with another method: 405 naming the ones it has.
  const methods = new Map<string, string[]>();
  for (const r of routes) methods.set(r.expressPath, [...(methods.get(r.expressPath) ?? []), r.method.toUpperCase()]);
  for (const [p, allowed] of methods) {
    app.all(p, (_req, res) => sendProblem(res, new ApiProblem(405, 'method-not-allowed', `this endpoint answers ${allowed.join(', ')}`, {}, { Allow: allowed.join(', ') })));
  }
  app.use((req, res) => sendProblem(res, new ApiProblem(404, 'not-found', `no endpoint ${req.method} ${req.path}; see /openapi.json`)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = problemFor(err);
    if (problem) return sendProblem(res, problem);
    deps.log(`${req.method} ${req.path} failed: ${(err as Error).stack ?? String(err)}`);
    sendProblem(res, new ApiProblem(500, 'internal-error', 'the request could not be completed; the server log has the details'));
  });
  return app;
}
