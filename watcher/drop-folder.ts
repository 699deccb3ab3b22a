import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import pLimit from 'p-limit';
import { ensureDataFolders } from './folders.ts';
import { fileWhenDone, takeDroppedFile, type DroppedFileDeps, type Taken } from './dropped-file.ts';

export interface WatcherStatus {
  watchdog_enabled: boolean;
  watchdog_running: boolean;
  /** Files waiting to be checked and started, plus those being checked now. */
  queue_size: number;
}

const isCsv = (file: string) => /\.csv$/i.test(file);
const isHidden = (file: string) => path.basename(file).startsWith('.');

function describe(taken: Taken): string {
  switch (taken.kind) {
    case 'left':
      return `left in place (${taken.reason})`;
    case 'changed':
      return 'rewritten while its job ran: taken again';
    case 'job':
      return `job ${taken.info.jobId}`;
    default:
      return `${taken.kind} → ${taken.movedTo}`;
  }
}

/**
 * Watches DATA_DIR/csv (not its sub-folders) for `.csv` files, each taken once its size has been
 * stable for WATCH_STABILITY_SECONDS. Files already there at start are taken too: a job id is the
 * file's hash, so a restart joins or recognises jobs instead of starting them twice. At most
 * WATCH_CONCURRENCY files are checked and started at once; running jobs are then only followed.
 */
export class DropFolderWatcher {
  private watcher: FSWatcher | null = null;
  /** From start to stop; a stopped watcher moves and reports nothing more. */
  private running = false;
  private deps: DroppedFileDeps | null = null;
  private readonly queue: ReturnType<typeof pLimit>;
  private readonly inHand = new Set<string>();

  constructor(
    private readonly base: Omit<DroppedFileDeps, 'folders'>,
    /** Told how each file ended (tests and logs). */
    private readonly onTaken: (file: string, taken: Taken) => void = () => undefined,
  ) {
    this.queue = pLimit(base.config.watch.concurrency);
  }

  async start(): Promise<void> {
    const folders = await ensureDataFolders(this.base.config.dataDir);
    this.deps = { ...this.base, folders };
    this.running = true;
    const { stabilityMs } = this.base.config.watch;
    const watcher = watch(folders.incoming, {
      depth: 0,
      ignoreInitial: false,
      ignored: (file, stats) => file !== folders.incoming && (isHidden(file) || (stats?.isFile() === true && !isCsv(file))),
      awaitWriteFinish: { stabilityThreshold: stabilityMs, pollInterval: Math.min(100, stabilityMs) },
    });
    // A file rewritten after it was filed or left is taken again, as new content.
    for (const event of ['add', 'change'] as const) watcher.on(event, (file) => this.enqueue(file));
    watcher.on('error', (err) => this.base.log(`drop folder: ${(err as Error).message}`));
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
    this.watcher = watcher;
    this.base.log(`watching ${folders.incoming} for CSV files`);
  }

  private enqueue(file: string): void {
    const deps = this.deps;
    if (!deps) return;
    if (path.dirname(file) !== deps.folders.incoming || !isCsv(file) || this.inHand.has(file)) return;
    this.inHand.add(file);
    void this.queue(() => this.take(deps, file));
  }

  private async take(deps: DroppedFileDeps, file: string): Promise<void> {
    try {
      const taken = await takeDroppedFile(deps, file);
      if (taken.kind !== 'job') return this.finish(file, taken);
      this.base.log(`${path.basename(file)}: ${taken.info.duplicate ? 'following' : 'started'} job ${taken.info.jobId}`);
      // Followed outside the queue: a job may run for hours, the next files should not wait for it.
      void fileWhenDone(deps, file, taken.info, () => this.running)
        .then((done) => this.finish(file, done))
        .catch((err: Error) => this.finish(file, { kind: 'left', reason: err.message }));
    } catch (err) {
      this.finish(file, { kind: 'left', reason: (err as Error).message });
    }
  }

  private finish(file: string, taken: Taken): void {
    this.inHand.delete(file);
    // After stop, what was still in hand is left for the next watcher, unreported.
    if (!this.running) return;
    this.base.log(`${path.basename(file)}: ${describe(taken)}`);
    this.onTaken(file, taken);
    if (taken.kind === 'changed') this.enqueue(file);
  }

  status(): WatcherStatus {
    return {
      watchdog_enabled: this.base.config.watch.enabled,
      watchdog_running: this.running,
      queue_size: this.queue.pendingCount + this.queue.activeCount,
    };
  }

  /** Stops watching; jobs keep running in Temporal, and their files are filed after a restart. */
  async stop(): Promise<void> {
    this.running = false;
    await this.watcher?.close();
    this.watcher = null;
    this.queue.clearQueue();
  }
}
