import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  key: string;
  /** Arrival time (epoch ms). */
  at: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** Drop the connection without answering. */
  destroy?: boolean;
}

/** `attempt` counts requests with the same Idempotency-Key, 1 for the first. */
export type Behaviour = (req: Received, attempt: number) => Reply;

export interface Target {
  url: string;
  received: Received[];
  /** Received requests per Idempotency-Key. */
  byKey: Map<string, Received[]>;
  close(): Promise<void>;
}

/** A local HTTP receiver on 127.0.0.1 that records every request and answers as told. */
export async function startTarget(behave: Behaviour = () => ({ status: 200, body: 'ok' })): Promise<Target> {
  const received: Received[] = [];
  const byKey = new Map<string, Received[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString(), key, at: Date.now() };
      received.push(r);
      const list = byKey.get(key) ?? [];
      list.push(r);
      byKey.set(key, list);
      const reply = behave(r, list.length);
      const answer = () => {
        if (reply.destroy) return void req.socket.destroy();
        res.writeHead(reply.status ?? 200, reply.headers ?? {});
        res.end(reply.body ?? '');
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    byKey,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A host with a budget: `perSecond` requests per wall-clock second, 429 with `Retry-After: 1` above it. */
export function budgetBehaviour(perSecond: number): { behave: Behaviour; answered: { ok: number; throttled: number } } {
  const answered = { ok: 0, throttled: 0 };
  let second = 0;
  let used = 0;
  const behave: Behaviour = () => {
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) [second, used] = [now, 0];
    if (used >= perSecond) {
      answered.throttled += 1;
      return { status: 429, headers: { 'retry-after': '1' } };
    }
    used += 1;
    answered.ok += 1;
    return { status: 200 };
  };
  return { behave, answered };
}
