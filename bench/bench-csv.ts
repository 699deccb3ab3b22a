import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** A CSV of `rows` POSTs with a small JSON payload to `targetUrl`/hook/N. */
export function writeBenchCsv(dir: string, name: string, targetUrl: string, rows: number): string {
  const file = path.join(dir, name);
  const lines = ['webhook_url,method,payload,name'];
  for (let i = 1; i <= rows; i++) lines.push(`${targetUrl}/hook/${i},POST,"{""row"": ${i}, ""event"": ""bench""}",row ${i}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
