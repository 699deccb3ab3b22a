/**
 * `npm run example-target`: a local webhook receiver on 127.0.0.1:9000 that prints what it gets,
 * so examples/webhooks.csv can be tried without any outside service. /flaky answers 503 to every
 * other request (to show retries), /missing answers 404.
 */
import http from 'node:http';

const port = Number(process.env.EXAMPLE_TARGET_PORT ?? 9000);
let flaky = 0;
http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = req.url?.startsWith('/missing') ? 404 : req.url?.startsWith('/flaky') && flaky++ % 2 === 0 ? 503 : 200;
      console.log(`${status} ${req.method} ${req.url} key=${req.headers['idempotency-key']} ${body}`);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: status === 200 }));
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`example target listening on http://127.0.0.1:${port}`));
