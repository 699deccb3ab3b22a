import { log } from '@temporalio/activity';
import nodemailer, { type Transporter } from 'nodemailer';
import { Counter } from 'prom-client';
import { request, type Dispatcher } from 'undici';
import type { JobEvent, NotifyChannel } from '../core/job-events.ts';
import { messageFor, renderHtml, renderSlack, renderText } from '../core/notification-messages.ts';
import type { NotificationConfig } from '../core/notification-config.ts';

export interface NotifyInput {
  channel: NotifyChannel;
  event: JobEvent;
}

const sent = new Counter({
  name: 'bulk_notifications_total',
  help: 'Job notifications by channel and outcome (a failed attempt is retried)',
  labelNames: ['channel', 'outcome'] as const,
});

const TIMEOUT_MS = 10_000;

async function postToSlack(webhookUrl: string, payload: unknown, dispatcher: Dispatcher): Promise<void> {
  const res = await request(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    dispatcher,
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  const body = await res.body.text();
  // The webhook URL carries its secret: errors name the status, never the URL.
  if (res.statusCode >= 300) throw new Error(`Slack answered HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
}

/** Sends job notifications; one mail transport per worker process. */
export function createNotifier(config: NotificationConfig, dispatcher: Dispatcher) {
  let mailer: Transporter | null = null;
  const mail = () => {
    const e = config.email;
    if (!e) throw new Error('email notifications are not configured on this worker (EMAIL_NOTIFICATIONS)');
    mailer ??= nodemailer.createTransport({
      host: e.host,
      port: e.port,
      secure: e.implicitTls,
      requireTLS: e.requireTls,
      ignoreTLS: !e.requireTls && !e.implicitTls,
      auth: e.username ? { user: e.username, pass: e.password ?? '' } : undefined,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
    return { mailer, from: e.from, to: e.recipients };
  };

  /** The activity: one channel, one event. A failure is logged and counted, then retried by Temporal. */
  return async function notify({ channel, event }: NotifyInput): Promise<void> {
    const message = messageFor(event);
    try {
      if (channel === 'slack') {
        if (!config.slack) throw new Error('Slack notifications are not configured on this worker (SLACK_NOTIFICATIONS)');
        await postToSlack(config.slack.webhookUrl, renderSlack(message), dispatcher);
      } else {
        const { mailer: m, from, to } = mail();
        await m.sendMail({ from, to, subject: `bulk-api-trigger: ${message.subject}`, text: renderText(message), html: renderHtml(message) });
      }
      sent.labels(channel, 'sent').inc();
    } catch (err) {
      sent.labels(channel, 'failed').inc();
      log.warn(`${channel} notification failed`, { event: event.kind, error: (err as Error).message });
      throw err;
    }
  };
}
