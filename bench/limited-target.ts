/**
 * A target that allows R requests/s (token bucket, 100 ms of burst, like nginx `limit_req burst`)
 * and answers 429 with `Retry-After: 1` above it (whole seconds, as the header allows). Prints
 * its port; answers an IPC message with its counts and the accepted requests per second.
 *   tsx bench/limited-target.ts <R>
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const rate = Number(process.argv[2]);
const capacity = Math.max(1, rate / 10);
let tokens = capacity;
let refilledAt = performance.now();
let ok = 0;
let throttled = 0;
const perSecond = new Map<number, number>();

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const now = performance.now();
    tokens = Math.min(capacity, tokens + ((now - refilledAt) * rate) / 1000);
    refilledAt = now;
    if (tokens < 1) {
      throttled += 1;
      res.writeHead(429, { 'retry-after': '1' }).end();
      return;
    }
    tokens -= 1;
    ok += 1;
    const second = Math.floor(Date.now() / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('message', () => process.send?.({ ok, throttled, perSecond: [...perSecond.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n) }));
