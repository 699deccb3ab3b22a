import type { JobEvent, JobSummary } from './job-events.ts';

/** One message, rendered the same way for Slack (Block Kit + text fallback) and email (HTML + text). */
export interface Message {
  subject: string;
  /** Label/value pairs: counts, rates, file. */
  fields: [string, string][];
  /** Most frequent row errors: reason and how many rows. */
  errors: [string, number][];
  note: string | null;
}

const pct = (n: number) => `${n.toFixed(1)}%`;
const duration = (s: number) => (s < 60 ? `${s.toFixed(1)} s` : s < 3600 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`);

/** Share of sent rows that succeeded; null when none was sent. */
export function successRate(s: Pick<JobSummary, 'counts'>): number | null {
  const sent = s.counts.succeeded + s.counts.failed;
  return sent === 0 ? null : (100 * s.counts.succeeded) / sent;
}

export function messageFor(event: JobEvent): Message {
  if (event.kind === 'started') {
    return {
      subject: `Job "${event.jobName}" started`,
      fields: [
        ['Job', event.jobId],
        ['File', event.csvFile],
        ['Rows', event.totalRows === null ? 'counting' : String(event.totalRows)],
        ...(event.resumedFromRow !== null ? ([['Resumed from row', String(event.resumedFromRow)]] as [string, string][]) : []),
      ],
      errors: [],
      note: null,
    };
  }
  if (event.kind === 'progress') {
    return {
      subject: `Job "${event.jobName}" at ${event.percent}%`,
      fields: [
        ['Job', event.jobId],
        ['Rows done', `${event.processedRows} of ${event.totalRows}`],
        ['Succeeded', String(event.counts.succeeded)],
        ['Failed', String(event.counts.failed)],
        ['Rows/s', event.rowsPerSecond.toFixed(1)],
      ],
      errors: [],
      note: null,
    };
  }
  const s = event.summary;
  const rate = successRate(s);
  return {
    subject: `Job "${s.jobName}" ${s.status}`,
    fields: [
      ['Job', s.jobId],
      ['File', s.csvFile],
      ['Rows', String(s.totalRows)],
      ['Succeeded', String(s.counts.succeeded)],
      ['Failed', String(s.counts.failed)],
      ['Invalid', String(s.counts.invalid)],
      ...(s.counts.pending > 0 ? ([['Not sent', String(s.counts.pending)]] as [string, string][]) : []),
      ['Success rate', rate === null ? 'n/a' : pct(rate)],
      ['Duration', duration(s.durationSeconds)],
      ['Rows/s', s.rowsPerSecond === null ? 'n/a' : s.rowsPerSecond.toFixed(1)],
    ],
    errors: s.topErrors.map((e) => [e.reason, e.rows]),
    note: [s.error ? `Reason: ${s.error}` : null, s.reportPath ? `Report: ${s.reportPath}` : null].filter(Boolean).join('\n') || null,
  };
}

export function renderText(m: Message): string {
  const width = Math.max(...m.fields.map(([k]) => k.length));
  const lines = [m.subject, '', ...m.fields.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`)];
  if (m.errors.length > 0) lines.push('', 'Top errors:', ...m.errors.map(([reason, n]) => `  ${n} × ${reason}`));
  if (m.note) lines.push('', m.note);
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderHtml(m: Message): string {
  const rows = m.fields.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const errors = m.errors.length > 0 ? `<h3>Top errors</h3><ul>${m.errors.map(([reason, n]) => `<li>${n} × ${escapeHtml(reason)}</li>`).join('')}</ul>` : '';
  const note = m.note ? `<p>${m.note.split('\n').map(escapeHtml).join('<br>')}</p>` : '';
  return `<!doctype html><html><body><h2>${escapeHtml(m.subject)}</h2><table>${rows}</table>${errors}${note}</body></html>`;
}

/** Slack's mrkdwn: &, < and > must be escaped. */
const escapeSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An incoming-webhook payload: Block Kit blocks, with `text` as the fallback notifications show. */
export function renderSlack(m: Message): { text: string; blocks: unknown[] } {
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: m.subject.slice(0, 150) } },
    // Slack allows at most 10 fields per section.
    ...chunk(m.fields, 10).map((fields) => ({ type: 'section', fields: fields.map(([k, v]) => ({ type: 'mrkdwn', text: `*${escapeSlack(k)}*\n${escapeSlack(v)}` })) })),
  ];
  if (m.errors.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Top errors*\n${m.errors.map(([reason, n]) => `• ${n} × ${escapeSlack(reason)}`).join('\n')}` } });
  }
  if (m.note) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(m.note) }] });
  return { text: renderText(m), blocks };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
