import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import type { AddressInfo } from 'node:net';
import { createApp } from '../server/app.ts';
import { DropFolderWatcher } from '../watcher/drop-folder.ts';
import type { Taken } from '../watcher/dropped-file.ts';
import { dropFolders } from '../watcher/folders.ts';
import { moveInto } from '../watcher/move-file.ts';
import { startTarget, type Behaviour, type Target } from './helpers/target.ts';
import { startTestPlatform, tempDir, type TestPlatform } from './helpers/platform.ts';
import { csvOfUrls, waitFor } from './helpers/jobs.ts';

interface Scenario {
  p: TestPlatform;
  target: Target;
  incoming: string;
  /** Files taken, by name, with how each last ended. */
  taken: Map<string, Taken>;
  /** Every ending, in order, as `name: kind`. */
  endings: string[];
  startWatcher(): Promise<DropFolderWatcher>;
  /** Names of the files in a sub-folder of the drop folder (reason files left out). */
  inFolder(sub: 'processed' | 'duplicates' | 'rejected' | ''): string[];
}

async function watcherScenario(t: ExecutionContext, behave?: Behaviour, env: Record<string, string> = {}): Promise<Scenario> {
  const target = await startTarget(behave);
  const p = await startTestPlatform('postgres', { WATCH_STABILITY_SECONDS: '0.3', ...env });
  const taken = new Map<string, Taken>();
  const endings: string[] = [];
  const watchers: DropFolderWatcher[] = [];
  t.teardown(async () => {
    for (const w of watchers) await w.stop();
    await p.stop();
    await target.close();
  });
  const { incoming } = dropFolders(p.config.dataDir);
  await mkdir(incoming, { recursive: true });
  return {
    p,
    target,
    incoming,
    taken,
    endings,
    startWatcher: async () => {
      const w = new DropFolderWatcher({ client: p.client, config: p.config, db: p.db, log: () => undefined }, (file, how) => {
        taken.set(path.basename(file), how);
        endings.push(`${path.basename(file)}: ${how.kind}`);
      });
      watchers.push(w);
      await w.start();
      return w;
    },
    inFolder: (sub) =>
      readdirSync(path.join(incoming, sub), { withFileTypes: true })
        .filter((e) => e.isFile() && !e.name.endsWith('.reason.txt'))
        .map((e) => e.name)
        .sort(),
  };
}

test('a dropped CSV is delivered and filed in processed/; the same content under another name goes to duplicates/', async (t) => {
  const s = await watcherScenario(t);
  await s.startWatcher();
  const content = csvOfUrls(s.target.url, 3);
  writeFileSync(path.join(s.incoming, 'orders.csv'), content);
  writeFileSync(path.join(s.incoming, 'notes.txt'), 'not a csv');
  writeFileSync(path.join(s.incoming, '.hidden.csv'), content);
  await waitFor(() => s.taken.has('orders.csv'), 'orders.csv to be filed');
  t.deepEqual(s.inFolder('processed'), ['orders.csv']);
  t.is(s.target.received.length, 3);

  writeFileSync(path.join(s.incoming, 'ORDERS-COPY.CSV'), content);
  await waitFor(() => s.taken.has('ORDERS-COPY.CSV'), 'the copy to be filed');
  t.is(s.taken.get('ORDERS-COPY.CSV')?.kind, 'duplicate');
  t.deepEqual(s.inFolder('duplicates'), ['ORDERS-COPY.CSV']);
  t.is(s.target.received.length, 3, 'nothing sent for the duplicate');
  t.deepEqual(s.inFolder(''), ['.hidden.csv', 'notes.txt'], 'dotfiles and other files are left alone');

  // The same name again (new content): processed/ keeps both, the second with a time stamp.
  writeFileSync(path.join(s.incoming, 'orders.csv'), csvOfUrls(s.target.url, 1, 'again'));
  await waitFor(() => s.endings.length === 3, 'the second orders.csv to be filed');
  const [stamped] = s.inFolder('processed').filter((n) => n !== 'orders.csv');
  t.regex(stamped ?? '', /^orders\.\d{8}T\d{9}Z\.csv$/);
});

test('files that are not usable CSVs go to rejected/ with a reason file each', async (t) => {
  const s = await watcherScenario(t);
  await s.startWatcher();
  writeFileSync(path.join(s.incoming, 'empty.csv'), '');
  writeFileSync(path.join(s.incoming, 'binary.csv'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]), randomBytes(512)]));
  writeFileSync(path.join(s.incoming, 'nourl.csv'), 'url,method\nhttp://127.0.0.1:9/a,GET\n');
  await waitFor(() => s.taken.size === 3, 'three files to be filed');
  t.deepEqual(s.inFolder('rejected'), ['binary.csv', 'empty.csv', 'nourl.csv']);
  const reason = (name: string) => readFileSync(path.join(s.incoming, 'rejected', `${name}.reason.txt`), 'utf8');
  t.regex(reason('empty.csv'), /empty|no header/i);
  t.regex(reason('binary.csv'), /^the file is not text \(it has NUL bytes: a spreadsheet, archive or image\?\); expected a CSV\n$/);
  t.regex(reason('nourl.csv'), /no "webhook_url" column \(columns found: url, method\)/);
  t.is(s.target.received.length, 0);
});

test('a file written slowly is read once, when complete', async (t) => {
  const s = await watcherScenario(t, undefined, { WATCH_STABILITY_SECONDS: '1' });
  await s.startWatcher();
  const file = path.join(s.incoming, 'slow.csv');
  const lines = csvOfUrls(s.target.url, 40).split('\n');
  writeFileSync(file, lines.slice(0, 5).join('\n') + '\n');
  for (let i = 5; i < lines.length; i += 5) {
    await sleep(250);
    appendFileSync(file, lines.slice(i, i + 5).join('\n') + (i + 5 < lines.length ? '\n' : ''));
  }
  await waitFor(() => s.taken.has('slow.csv'), 'slow.csv to be filed');
  t.is(s.taken.get('slow.csv')?.kind, 'processed');
  t.is(s.target.received.length, 40, 'every row of the finished file, each once');
});

test('200 files dropped at once all end in the right folder', async (t) => {
  const s = await watcherScenario(t, undefined, { WATCH_CONCURRENCY: '8' });
  for (let i = 0; i < 120; i++) writeFileSync(path.join(s.incoming, `valid-${i}.csv`), csvOfUrls(s.target.url, 1, `v${i}`));
  for (let i = 0; i < 40; i++) writeFileSync(path.join(s.incoming, `dup-${i}.csv`), csvOfUrls(s.target.url, 1, `v${i}`));
  for (let i = 0; i < 40; i++) writeFileSync(path.join(s.incoming, `bad-${i}.csv`), `nothing useful ${i}\n`);
  await s.startWatcher();
  await waitFor(() => s.taken.size === 200, 'all 200 files to be filed', 150_000);
  // A dup-i and its valid-i race: whichever is taken first is delivered, the other is its duplicate.
  t.is(s.inFolder('processed').length, 120);
  t.is(s.inFolder('duplicates').length, 40);
  t.deepEqual(s.inFolder('rejected'), Array.from({ length: 40 }, (_, i) => `bad-${i}.csv`).sort());
  t.is(s.target.received.length, 120, 'each distinct content sent once');
  t.deepEqual(s.inFolder(''), []);
});

test('a watcher restarted with files still in the folder processes each exactly once', async (t) => {
  const s = await watcherScenario(t, () => ({ status: 200, delayMs: 150 }));
  for (let i = 0; i < 3; i++) writeFileSync(path.join(s.incoming, `job-${i}.csv`), csvOfUrls(s.target.url, 6, `j${i}`));
  const first = await s.startWatcher();
  await waitFor(() => new Set(s.target.received.map((r) => r.path.split('/')[1])).size === 3, 'all three jobs to send');
  await first.stop();
  t.deepEqual(s.inFolder(''), ['job-0.csv', 'job-1.csv', 'job-2.csv'], 'still in the folder while their jobs run');

  await s.startWatcher();
  await waitFor(() => s.endings.length === 3, 'the restarted watcher to file all three', 60_000);
  t.deepEqual(s.endings.map((e) => e.split(': ')[1]), ['processed', 'processed', 'processed']);
  t.deepEqual(s.inFolder('processed'), ['job-0.csv', 'job-1.csv', 'job-2.csv']);
  t.deepEqual(s.inFolder('duplicates'), []);
  t.is(s.target.received.length, 18);
  t.true([...s.target.byKey.values()].every((l) => l.length === 1), 'no row sent twice');
});

test('a move across file systems (tmpfs /dev/shm to the temp dir) copies, syncs, then removes the original', async (t) => {
  const from = path.join('/dev/shm', `bat-move-${randomBytes(4).toString('hex')}.csv`);
  writeFileSync(from, 'webhook_url\nhttp://127.0.0.1:9/a\n');
  const dir = tempDir();
  writeFileSync(path.join(dir, path.basename(from)), 'already here');
  const landed = await moveInto(from, dir);
  t.false(existsSync(from));
  t.not(landed, path.join(dir, path.basename(from)), 'an existing file is never overwritten');
  t.is(readFileSync(landed, 'utf8'), 'webhook_url\nhttp://127.0.0.1:9/a\n');
  t.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.moving')), [], 'no temporary file left');
});

test('/health reports the watcher: enabled, running, queue size', async (t) => {
  const s = await watcherScenario(t, undefined, { WATCH_CONCURRENCY: '1' });
  const watcher = await s.startWatcher();
  const server = createApp({ client: s.p.client, config: s.p.config, db: s.p.db, watcher, log: () => undefined }).listen(0, '127.0.0.1');
  t.teardown(() => void server.close());
  await new Promise((resolve) => server.once('listening', resolve));
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health`);
    return ((await res.json()) as { system: { watchdog_enabled: boolean; watchdog_running: boolean; queue_size: number } }).system;
  };
  t.like(await health(), { watchdog_enabled: true, watchdog_running: true, queue_size: 0 });
  for (let i = 0; i < 5; i++) writeFileSync(path.join(s.incoming, `q-${i}.csv`), csvOfUrls(s.target.url, 1, `q${i}`));
  let largest = 0;
  await waitFor(async () => ((largest = Math.max(largest, (await health()).queue_size)), s.taken.size === 5), 'the five files to be filed');
  t.true(largest >= 2, `the queue held ${largest} files at most (one taken at a time)`);
  t.is((await health()).queue_size, 0);
  await watcher.stop();
  t.like(await health(), { watchdog_running: false });
});

test('a file rewritten while its job runs is not filed as delivered: its new content is taken as a new job', async (t) => {
  const s = await watcherScenario(t, () => ({ status: 200, delayMs: 300 }), { MAX_WORKERS: '1' });
  await s.startWatcher();
  const file = path.join(s.incoming, 'live.csv');
  writeFileSync(file, csvOfUrls(s.target.url, 4, 'old'));
  await waitFor(() => s.target.received.length > 0, 'the first job to send');
  writeFileSync(file, csvOfUrls(s.target.url, 2, 'new'));
  await waitFor(() => s.endings.includes('live.csv: processed'), 'the new content to be filed', 60_000);
  t.deepEqual(s.endings, ['live.csv: changed', 'live.csv: processed']);
  t.is(readFileSync(path.join(s.incoming, 'processed', 'live.csv'), 'utf8'), csvOfUrls(s.target.url, 2, 'new'));
  t.deepEqual(s.target.received.map((r) => r.path.split('/')[1]), ['old', 'old', 'old', 'old', 'new', 'new']);
});
