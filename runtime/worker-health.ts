import http from 'node:http';
import type { Worker } from '@temporalio/worker';
import { collectDefaultMetrics, register } from 'prom-client';

/**
 * `npm run worker`'s port for container probes and Prometheus: `GET /metrics` has what this
 * worker sent (`bulk_requests_total`, latency, notifications) and its process metrics, since
 * each worker counts only its own requests; any other path answers 200 while the worker polls,
 * 503 once it stops.
 */
export function serveWorkerHealth(port: number, worker: Worker): http.Server {
  collectDefaultMetrics({ prefix: 'bulk_' });
  return http
    .createServer((req, res) => {
      if (req.url === '/metrics') {
        register
          .metrics()
          .then((text) => res.writeHead(200, { 'content-type': register.contentType }).end(text))
          .catch(() => res.writeHead(500).end());
        return;
      }
      res.writeHead(worker.getState() === 'RUNNING' ? 200 : 503).end();
    })
    .listen(port);
}
