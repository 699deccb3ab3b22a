import test from 'ava';
import { CsvHeaderError, validateHeader, validateRow } from '../core/csv-row.ts';

const URL_ = 'https://example.test/hook';

test('a minimal row defaults to POST with no body', (t) => {
  t.deepEqual(validateRow({ webhook_url: URL_ }), {
    ok: true,
    request: { url: URL_, method: 'POST', body: null, headers: {}, name: null, group: null },
  });
});

test('method is case-insensitive; payload is kept verbatim; header or headers column', (t) => {
  const r = validateRow({ webhook_url: URL_, method: 'patch', payload: '{"a": [1, 2]}', header: '{"X-A": "1"}', name: ' n ', group: 'g' });
  t.deepEqual(r, { ok: true, request: { url: URL_, method: 'PATCH', body: '{"a": [1, 2]}', headers: { 'X-A': '1' }, name: 'n', group: 'g' } });
  const both = validateRow({ webhook_url: URL_, header: '{"X-A": "1"}', headers: '{"X-B": "2"}' });
  t.deepEqual(both.ok && both.request.headers, { 'X-B': '2' }, '`headers` wins when both columns are filled');
});

const invalid: [string, Record<string, string>, string][] = [
  ['empty url', { webhook_url: '' }, 'webhook_url is empty'],
  ['not a url', { webhook_url: 'example.test/x' }, 'webhook_url "example.test/x" is not a valid URL'],
  ['not http', { webhook_url: 'ftp://example.test/x' }, 'webhook_url "ftp://example.test/x" is not an http or https URL'],
  ['javascript scheme', { webhook_url: 'javascript:alert(1)' }, 'webhook_url "javascript:alert(1)" is not an http or https URL'],
  ['unknown method', { webhook_url: URL_, method: 'FETCH' }, 'method "FETCH" is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS'],
  ['payload not json', { webhook_url: URL_, payload: '{a:1}' }, 'payload is not valid JSON (Expected property name or \'}\' in JSON at position 1)'],
  ['payload with HEAD', { webhook_url: URL_, method: 'HEAD', payload: '{}' }, 'payload is not allowed with method HEAD'],
  ['headers not json', { webhook_url: URL_, headers: '{"a":' }, 'headers is not valid JSON (Unexpected end of JSON input)'],
  ['headers an array', { webhook_url: URL_, headers: '["a"]' }, 'headers must be a JSON object of header names to string values'],
  ['header value a number', { webhook_url: URL_, header: '{"X-N": 5}' }, 'header: value of header "X-N" is not a string'],
  ['header name invalid', { webhook_url: URL_, headers: '{"Bad Name": "x"}' }, 'headers: "Bad Name" is not a valid header name'],
  ['header value with newline', { webhook_url: URL_, headers: '{"X-A": "a\\r\\nInjected: 1"}' }, 'headers: value of header "X-A" contains a line break'],
];

for (const [what, record, reason] of invalid) {
  test(`invalid row: ${what}`, (t) => {
    const r = validateRow(record);
    t.false(r.ok);
    if (!r.ok) t.is(r.reason, reason);
  });
}

test('header row: normalised like the original tool, and rejected as a whole with the reason', (t) => {
  t.deepEqual(validateHeader(['\uFEFF Webhook_URL ', 'Method', 'extra']), ['webhook_url', 'method', 'extra']);
  t.throws(() => validateHeader([]), { instanceOf: CsvHeaderError, message: 'the file has no header row (it is empty)' });
  t.throws(() => validateHeader(['url', 'method']), { instanceOf: CsvHeaderError, message: 'the header row has no "webhook_url" column (columns found: url, method)' });
});
