import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { register } from 'prom-client';
import { messageFor, renderHtml, renderSlack, renderText } from '../core/notification-messages.ts';
import { startJob } from '../runtime/jobs.ts';
import { csvOfUrls, resultOf, waitFor } from './helpers/jobs.ts';
import { startMailSink } from './helpers/mail.ts';
import { startScenario, tempDir } from './helpers/platform.ts';
import { startTarget } from './helpers/target.ts';

const failures = async (channel: string) => {
  const metric = (await register.getMetricsAsJSON()).find((m) => m.name === 'bulk_notifications_total');
  return metric?.values.filter((v) => v.labels.channel === channel && v.labels.outcome === 'failed').reduce((n, v) => n + v.value, 0) ?? 0;
};

test.serial('Slack and email get the start, progress and end of a job, with counts, rate and top errors', async (t) => {
  const slack = await startTarget(() => ({ status: 200, body: 'ok' }));
  const mail = await startMailSink();
  t.teardown(async () => {
    await slack.close();
    await mail.close();
  });
  const { target, p } = await startScenario(t, {
    behave: (req) => ({ status: req.path.startsWith('/gone') ? 404 : 200 }),
    env: {
      CSV_CHUNK_SIZE: '5',
      // One batch at a time, so progress moves in steps of 25%: with a window, the last batches can
      // come back together and jump from 25% to 100%, where no progress message is due.
      BATCH_WINDOW: '1',
      SLACK_NOTIFICATIONS: 'true',
      SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/secret`,
      SLACK_NOTIFY_PROGRESS: 'true',
      SLACK_PROGRESS_EVERY_N: '50',
      EMAIL_NOTIFICATIONS: 'true',
      EMAIL_SMTP_SERVER: '127.0.0.1',
      EMAIL_SMTP_PORT: String(mail.port),
      EMAIL_USE_TLS: 'false',
      EMAIL_RECIPIENTS: 'ops@example.test, lead@example.test',
      EMAIL_FROM: 'bulk@example.test',
    },
  });
  const rows = csvOfUrls(target.url, 18).trimEnd() + `\n${target.url}/gone/1,a\n${target.url}/gone/2,b\n`;
  const file = path.join(tempDir(), 'notify.csv');
  writeFileSync(file, rows);
  const info = await startJob(p.client, p.config, file);
  t.is((await resultOf(p.client, info.workflowId)).status, 'completed');
  await waitFor(() => slack.received.length >= 3 && mail.mails.length >= 2, 'the notifications', 20_000);

  const payloads = slack.received.map((r) => JSON.parse(r.body) as { text: string; blocks: { type: string; fields?: { text: string }[] }[] });
  t.true(slack.received.every((r) => r.path === '/services/T000/B000/secret' && r.headers['content-type'] === 'application/json'));
  const started = payloads.find((m) => m.text.startsWith('Job "notify" started'));
  const progress = payloads.filter((m) => / at \d+%/.test(m.text));
  const finished = payloads.find((m) => m.text.startsWith('Job "notify" completed'));
  t.truthy(started);
  t.deepEqual(progress.map((m) => m.text.split('\n')[0]), ['Job "notify" at 50%']);
  t.truthy(finished);
  t.regex(finished!.text, /Succeeded:\s+18\n/);
  t.regex(finished!.text, /Failed:\s+2\n/);
  t.regex(finished!.text, /Success rate:\s+90\.0%/);
  t.regex(finished!.text, /Rows\/s:\s+\d/);
  t.regex(finished!.text, /2 × HTTP 404/);
  t.is(finished!.blocks[0]!.type, 'header');
  t.true(finished!.blocks.some((b) => b.fields?.some((f) => f.text === '*Failed*\n2')));

  t.is(mail.mails.length, 2, 'start and end by mail; progress is Slack only');
  const done = mail.mails.find((m) => m.subject === 'bulk-api-trigger: Job "notify" completed');
  t.truthy(done);
  t.is(done!.from?.text, 'bulk@example.test');
  t.deepEqual(mail.recipients[mail.mails.indexOf(done!)], ['ops@example.test', 'lead@example.test']);
  t.is(done!.text, finished!.text, 'the mail says what Slack says');
  t.true(String(done!.html).includes('<th align="left">Failed</th><td>2</td>'));
  t.true(String(done!.html).includes('<li>2 × HTTP 404</li>'));
});

test.serial('a failing channel is logged and counted, and never fails or holds up the job', async (t) => {
  const mail = await startMailSink({ starttls: false });
  t.teardown(() => mail.close());
  const before = { slack: await failures('slack'), email: await failures('email') };
  const { target, p } = await startScenario(t, {
    env: {
      SLACK_NOTIFICATIONS: 'true',
      SLACK_WEBHOOK_URL: 'http://127.0.0.1:1/services/unreachable',
      // STARTTLS required, but this server does not offer it.
      EMAIL_NOTIFICATIONS: 'true',
      EMAIL_SMTP_SERVER: '127.0.0.1',
      EMAIL_SMTP_PORT: String(mail.port),
      EMAIL_RECIPIENTS: 'ops@example.test',
      EMAIL_FROM: 'bulk@example.test',
    },
  });
  const file = path.join(tempDir(), 'broken-channels.csv');
  writeFileSync(file, csvOfUrls(target.url, 10));
  const info = await startJob(p.client, p.config, file);
  const outcome = await resultOf(p.client, info.workflowId);
  t.is(outcome.status, 'completed');
  t.is(outcome.counts.succeeded, 10);
  t.is(target.received.length, 10);

  // The end message is still being retried by its own workflow: the job did not wait for it.
  const children = [];
  for await (const wf of p.client.workflow.list({ query: `WorkflowType = 'notifyJob' AND WorkflowId STARTS_WITH '${info.jobId}-finished' AND ExecutionStatus = 'Running'` })) children.push(wf);
  t.is(children.length, 1);
  await waitFor(async () => (await failures('slack')) > before.slack && (await failures('email')) > before.email, 'the failures to be counted');
  t.is(mail.mails.length, 0);
});

test('the three renderings carry the same content; HTML and Slack markup in names is escaped', (t) => {
  const m = messageFor({
    kind: 'finished',
    summary: {
      jobId: 'job-1',
      jobName: '<b>orders</b> & co',
      csvFile: '/data/csv/orders.csv',
      status: 'failed',
      error: 'file changed while running',
      totalRows: 4,
      counts: { pending: 1, succeeded: 2, failed: 1, invalid: 0 },
      durationSeconds: 125,
      rowsPerSecond: 0.024,
      topErrors: [{ reason: 'HTTP 500 <oops>', rows: 1 }],
      reportPath: null,
    },
  });
  t.is(m.subject, 'Job "<b>orders</b> & co" failed');
  const text = renderText(m);
  t.regex(text, /Not sent:\s+1/);
  t.regex(text, /Success rate:\s+66\.7%/);
  t.regex(text, /Duration:\s+2 min 5 s/);
  t.regex(text, /Reason: file changed while running/);
  const html = renderHtml(m);
  t.true(html.includes('&#60;b&#62;orders&#60;/b&#62; &#38; co'));
  t.false(html.includes('<b>orders'));
  t.true(html.includes('HTTP 500 &#60;oops&#62;'));
  const slack = renderSlack(m);
  t.is(slack.text, text);
  t.true(JSON.stringify(slack.blocks).includes('HTTP 500 &lt;oops&gt;'));
});
