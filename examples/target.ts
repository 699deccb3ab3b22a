/**
 * `npm run example-target`: local webhook receivers that print what they get, so the example
 * CSVs can be tried without any outside service.
 * - 127.0.0.1:9000: /flaky answers 503 to every other request (to show retries), /missing 404.
 * - 127.0.0.1:9001: a rate-limited API allowing 5 requests/s, 429 + `Retry-After: 1` above it
 *   (to watch the adaptive limiter; see examples/mixed-hosts.csv).
 */
import http from 'node:http';

const port = Number(process.env.EXAMPLE_TARGET_PORT ?? 9000);
const LIMITED_PER_SECOND = 5;

function listen(at: number, answer: (url: string) => { status: number; headers?: Record<string, string> }): void {
  http
    .createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { status, headers = {} } = answer(req.url ?? '');
        console.log(`:${at} ${status} ${req.method} ${req.url} key=${req.headers['idempotency-key']} ${body}`);
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ received: status === 200 }));
      });
    })
    .listen(at, '127.0.0.1', () => console.log(`example target listening on http://127.0.0.1:${at}`));
}

let flaky = 0;
listen(port, (url) => ({ status: url.startsWith('/missing') ? 404 : url.startsWith('/flaky') && flaky++ % 2 === 0 ? 503 : 200 }));

let second = 0;
let used = 0;
listen(port + 1, () => {
  const now = Math.floor(Date.now() / 1000);
  if (now !== second) [second, used] = [now, 0];
  if (used >= LIMITED_PER_SECOND) return { status: 429, headers: { 'retry-after': '1' } };
  used += 1;
  return { status: 200 };
});
