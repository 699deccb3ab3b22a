import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Database } from '../store/database.ts';
import type { WatcherStatus } from '../watcher/drop-folder.ts';

export interface ApiDeps {
  client: Client;
  /** Absent in a process that reaches the store only through workers. */
  db: Database | null;
  /** The drop-folder watcher of this process, if it runs one. */
  watcher: { status(): WatcherStatus } | null;
}

async function probe(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

/** The REST façade. Errors are problem+json and never carry a stack trace. */
export function createApp({ client, db, watcher }: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/health', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      db ? probe(() => db.query('SELECT 1')) : Promise.resolve(false),
      probe(() => client.workflowService.getSystemInfo({})),
    ]);
    const healthy = temporal && (database || db === null);
    res.status(healthy ? 200 : 503).json({
      status: healthy ? 'healthy' : 'degraded',
      system: {
        ...(watcher?.status() ?? { watchdog_enabled: false, watchdog_running: false, queue_size: 0 }),
        database_accessible: database,
        temporal_connected: temporal,
      },
    });
  });

  app.use((_req, res) => {
    res.status(404).type('application/problem+json').json({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no such endpoint' });
  });
  app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).type('application/problem+json').json({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'the request could not be completed' });
  });
  return app;
}
