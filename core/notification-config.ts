import { list } from './env-values.ts';
import type { JobNotify } from './job-events.ts';

/** Channels that are on; null = off. */
export interface NotificationConfig {
  slack: {
    webhookUrl: string;
    /** A progress message each time the job passes another this many percent; null = none. */
    progressEveryPercent: number | null;
  } | null;
  email: {
    host: string;
    port: number;
    username: string | undefined;
    password: string | undefined;
    from: string;
    recipients: string[];
    /** STARTTLS required (EMAIL_USE_TLS); false = plain, for local relays. */
    requireTls: boolean;
    /** Implicit TLS from the first byte (EMAIL_USE_SSL, port 465). */
    implicitTls: boolean;
  } | null;
}

/** The environment values the channels are configured from. */
export interface NotificationEnv {
  SLACK_NOTIFICATIONS: boolean;
  SLACK_WEBHOOK_URL: string | undefined;
  SLACK_NOTIFY_PROGRESS: boolean;
  SLACK_PROGRESS_EVERY_N: number;
  EMAIL_NOTIFICATIONS: boolean;
  EMAIL_SMTP_SERVER: string | undefined;
  EMAIL_SMTP_PORT: number;
  EMAIL_USERNAME: string | undefined;
  EMAIL_PASSWORD: string | undefined;
  EMAIL_RECIPIENTS: string | undefined;
  EMAIL_FROM: string | undefined;
  EMAIL_USE_TLS: boolean;
  EMAIL_USE_SSL: boolean;
}

/** The channels that are on, and what an enabled one lacks. Values of secrets are never echoed. */
export function notificationConfig(e: NotificationEnv): { config: NotificationConfig; problems: string[] } {
  const problems: string[] = [];
  let slack: NotificationConfig['slack'] = null;
  if (e.SLACK_NOTIFICATIONS) {
    const url = e.SLACK_WEBHOOK_URL;
    if (!url || !/^https?:\/\/[^\s]+$/i.test(url)) problems.push('SLACK_NOTIFICATIONS=true needs SLACK_WEBHOOK_URL, an http(s) URL');
    else slack = { webhookUrl: url, progressEveryPercent: e.SLACK_NOTIFY_PROGRESS ? e.SLACK_PROGRESS_EVERY_N : null };
  }
  let email: NotificationConfig['email'] = null;
  if (e.EMAIL_NOTIFICATIONS) {
    const recipients = list(e.EMAIL_RECIPIENTS);
    const from = e.EMAIL_FROM ?? e.EMAIL_USERNAME;
    if (!e.EMAIL_SMTP_SERVER) problems.push('EMAIL_NOTIFICATIONS=true needs EMAIL_SMTP_SERVER');
    if (recipients.length === 0) problems.push('EMAIL_NOTIFICATIONS=true needs EMAIL_RECIPIENTS (comma list)');
    if (!from) problems.push('EMAIL_NOTIFICATIONS=true needs EMAIL_FROM (or EMAIL_USERNAME)');
    if (e.EMAIL_SMTP_SERVER && recipients.length > 0 && from) {
      email = {
        host: e.EMAIL_SMTP_SERVER,
        port: e.EMAIL_SMTP_PORT,
        username: e.EMAIL_USERNAME,
        password: e.EMAIL_PASSWORD,
        from,
        recipients,
        requireTls: e.EMAIL_USE_TLS && !e.EMAIL_USE_SSL,
        implicitTls: e.EMAIL_USE_SSL,
      };
    }
  }
  return { config: { slack, email }, problems };
}

/** What a job triggered with this configuration notifies. */
export function jobNotifyFor(n: NotificationConfig): JobNotify {
  return {
    channels: [...(n.slack ? (['slack'] as const) : []), ...(n.email ? (['email'] as const) : [])],
    progressEveryPercent: n.slack?.progressEveryPercent ?? null,
  };
}
