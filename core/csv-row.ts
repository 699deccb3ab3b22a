import { HTTP_METHODS, isHttpMethod, type HttpMethod } from './http-methods.ts';

/** One CSV row after validation: everything needed to send it. */
export interface RowRequest {
  url: string;
  method: HttpMethod;
  /** Raw JSON text of the payload column, sent as the body; null when the column is empty. */
  body: string | null;
  headers: Record<string, string>;
  name: string | null;
  group: string | null;
}

export type RowValidation =
  | { ok: true; request: RowRequest }
  | { ok: false; reason: string; url: string | null; name: string | null; group: string | null };

/** The columns the original tool read; any other column is ignored. */
type KnownColumn = 'webhook_url' | 'method' | 'payload' | 'header' | 'headers' | 'name' | 'group';

export class CsvHeaderError extends Error {
  override name = 'CsvHeaderError';
}

/** Header names as the original tool normalised them: BOM stripped, trimmed, lower-cased. */
export function normalizeHeader(names: readonly string[]): string[] {
  return names.map((n) => n.replace(/^\uFEFF/, '').trim().toLowerCase());
}

/** Throws CsvHeaderError naming the problem when the header row cannot describe webhook calls. */
export function validateHeader(names: readonly string[]): string[] {
  const normalized = normalizeHeader(names);
  if (normalized.length === 0 || normalized.every((n) => n === '')) {
    throw new CsvHeaderError('the file has no header row (it is empty)');
  }
  if (!normalized.includes('webhook_url')) {
    const seen = normalized.filter(Boolean).slice(0, 10).join(', ');
    throw new CsvHeaderError(`the header row has no "webhook_url" column (columns found: ${seen})`);
  }
  return normalized;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function cell(record: Record<string, string | undefined>, column: KnownColumn): string {
  return (record[column] ?? '').trim();
}

function parseUrl(raw: string): string | string[] {
  if (raw === '') return ['webhook_url is empty'];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [`webhook_url "${truncate(raw)}" is not a valid URL`];
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return [`webhook_url "${truncate(raw)}" is not an http or https URL`];
  }
  return url.toString();
}

function parseHeaders(raw: string, column: string): Record<string, string> | string {
  if (raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return `${column} is not valid JSON (${(err as Error).message})`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return `${column} must be a JSON object of header names to string values`;
  }
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!HEADER_NAME.test(key)) return `${column}: "${truncate(key)}" is not a valid header name`;
    if (typeof value !== 'string') return `${column}: value of header "${key}" is not a string`;
    if (/[\r\n\0]/.test(value)) return `${column}: value of header "${key}" contains a line break`;
    headers[key] = value;
  }
  return headers;
}

/**
 * Validates one data record (keys are normalised header names). Pure: the same record always
 * gives the same answer, so ingest, dry-run and tests agree.
 */
export function validateRow(record: Record<string, string | undefined>): RowValidation {
  const rawUrl = cell(record, 'webhook_url');
  const name = cell(record, 'name') || null;
  const group = cell(record, 'group') || null;
  const invalid = (reason: string): RowValidation => ({ ok: false, reason, url: rawUrl || null, name, group });

  const url = parseUrl(rawUrl);
  if (Array.isArray(url)) return invalid(url[0] ?? 'webhook_url is invalid');

  const method = (cell(record, 'method') || 'POST').toUpperCase();
  if (!isHttpMethod(method)) {
    return invalid(`method "${truncate(method)}" is not one of ${HTTP_METHODS.join(', ')}`);
  }

  const payload = cell(record, 'payload');
  if (payload !== '') {
    try {
      JSON.parse(payload);
    } catch (err) {
      return invalid(`payload is not valid JSON (${(err as Error).message})`);
    }
    if (method === 'GET' || method === 'HEAD') return invalid(`payload is not allowed with method ${method}`);
  }

  const headerColumn = cell(record, 'headers') !== '' ? 'headers' : 'header';
  const headers = parseHeaders(cell(record, headerColumn), headerColumn);
  if (typeof headers === 'string') return invalid(headers);

  return { ok: true, request: { url, method, body: payload === '' ? null : payload, headers, name, group } };
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
