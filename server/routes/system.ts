import { z } from 'zod';
import { listActiveJobs } from '../../runtime/active-jobs.ts';
import type { createMetrics } from '../metrics.ts';
import { openApiDocument } from '../openapi.ts';
import { route, type ApiDeps, type Route } from '../route.ts';
import { HealthSchema, StatusSchema } from '../schemas.ts';
import { hostJson } from './jobs.ts';

async function probe(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

const queueSize = (deps: ApiDeps) => deps.watcher?.status().queue_size ?? 0;

export function systemRoutes(metrics: ReturnType<typeof createMetrics>, documented: () => Route[]): Route[] {
  return [
    route({
      method: 'get',
      path: '/health',
      summary: 'Liveness and dependencies (no token needed)',
      public: true,
      responses: { 200: { description: 'Healthy', schema: HealthSchema }, 503: { description: 'Temporal or the store cannot be reached' } },
      async handle({ deps }) {
        const { db, client, watcher } = deps;
        const [database, temporal] = await Promise.all([
          db ? probe(() => db.query('SELECT 1')) : Promise.resolve(false),
          probe(() => client.workflowService.getSystemInfo({})),
        ]);
        const healthy = temporal && (database || db === null);
        return {
          status: healthy ? 200 : 503,
          json: {
            status: healthy ? 'healthy' : 'degraded',
            system: {
              ...(watcher?.status() ?? { watchdog_enabled: false, watchdog_running: false, queue_size: 0 }),
              database_accessible: database,
              temporal_connected: temporal,
            },
          },
        };
      },
    }),
    route({
      method: 'get',
      path: '/status',
      summary: 'Running jobs with their live progress (asked of each workflow)',
      responses: { 200: { description: 'Running jobs and the drop folder queue', schema: StatusSchema } },
      async handle({ deps }) {
        const jobs = await listActiveJobs(deps.client, deps.config.temporal.taskQueue);
        const active = jobs.map(({ jobId, jobName, status, progress: p }) => ({
          job_id: jobId,
          job_name: p?.jobName ?? jobName,
          status: p?.status ?? status,
          total_rows: p?.totalRows ?? null,
          processed_rows: p?.processedRows ?? 0,
          succeeded: p?.succeeded ?? 0,
          failed: p?.failed ?? 0,
          invalid_rows: p?.invalid ?? 0,
          rows_per_second: p?.rowsPerSecond ?? 0,
          paused: p?.paused ?? status === 'paused',
          hosts: (p?.hosts ?? []).map(hostJson),
        }));
        return { status: 200, json: { active_jobs: active, queue_size: queueSize(deps) } };
      },
    }),
    route({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics: requests by outcome and status class, latency, rows/s, jobs, queue, limiter per host',
      responses: { 200: { description: 'Prometheus text format', schema: z.string(), contentType: 'text/plain; version=0.0.4' } },
      async handle() {
        return { status: 200, text: await metrics.render(), contentType: metrics.contentType };
      },
    }),
    route({
      method: 'get',
      path: '/openapi.json',
      summary: 'This description (OpenAPI 3.1)',
      responses: { 200: { description: 'OpenAPI 3.1 document', schema: z.object({ openapi: z.string() }).catchall(z.unknown()) } },
      async handle() {
        return { status: 200, json: openApiDocument(documented()) };
      },
    }),
  ];
}
