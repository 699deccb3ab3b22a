import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { call, startApiScenario, waitForJob } from './helpers/api.ts';
import { csvOfUrls } from './helpers/jobs.ts';

test('each finished job has a JSON report, linked from GET /jobs/:id; only the newest REPORT_KEEP are kept', async (t) => {
  const s = await startApiScenario(t, { env: { REPORT_KEEP: '2' }, behave: (req) => ({ status: req.path.startsWith('/gone') ? 404 : 200 }) });
  const ids: string[] = [];
  for (const n of [1, 2, 3]) {
    writeFileSync(path.join(s.csvDir, `r${n}.csv`), `${csvOfUrls(s.target.url, 3 + n, `p${n}`).trimEnd()}\n${s.target.url}/gone/${n},lost\n`);
    const { body } = await call(s.api, 'POST', '/trigger', { csv_file: `r${n}.csv`, workers: 2 });
    await waitForJob(s.api, body.job_id, ['completed']);
    ids.push(body.job_id);
  }
  const last = await call(s.api, 'GET', `/jobs/${ids[2]}`);
  t.is(last.body.report_url, `/jobs/${ids[2]}/report`);
  const report = await call(s.api, 'GET', last.body.report_url);
  t.is(report.status, 200);
  t.like(report.body, {
    job_id: ids[2],
    job_name: 'r3',
    status: 'completed',
    total_rows: 7,
    counts: { pending: 0, succeeded: 6, failed: 1, invalid: 0 },
    status_codes: { '200': 6, '404': 1 },
    top_errors: [{ reason: 'HTTP 404', rows: 1 }],
  });
  t.is(report.body.options.maxWorkers, 2);
  t.is(report.body.hosts.length, 1);
  t.like(report.body.hosts[0], { origin: s.target.url, answers: { ok: 7, throttled: 0, failed: 0 } });
  t.true(report.body.latency_ms.p50 > 0);
  t.is(report.body.first_errors[0].webhook_url, `${s.target.url}/gone/3`);

  t.deepEqual(readdirSync(path.join(s.p.config.dataDir, 'reports')).sort(), [`${ids[1]}.json`, `${ids[2]}.json`].sort());
  const pruned = await call(s.api, 'GET', `/jobs/${ids[0]}/report`);
  t.is(pruned.status, 404);
  t.regex(pruned.body.detail, /REPORT_KEEP/);
});
