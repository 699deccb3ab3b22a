import cliProgress from 'cli-progress';
import type { JobProgress } from '../core/job-types.ts';

export interface ProgressView {
  update(p: JobProgress): void;
  stop(): void;
}

/** Hosts whose limiter is holding back or failing, e.g. "api.example.com circuitOpen". */
function hostsHeldBack(p: JobProgress): string {
  const held = p.hosts.filter((h) => h.state !== 'rampingUp' && h.state !== 'steady');
  if (held.length === 0) return '';
  const shown = held.slice(0, 2).map((h) => `${h.origin.replace(/^https?:\/\//, '')} ${h.state}`);
  return ` [${shown.join(', ')}${held.length > 2 ? `, +${held.length - 2} more` : ''}]`;
}

/**
 * A live bar on a terminal (rows done / total, successes, failures, rate, ETA); elsewhere
 * (CI logs, pipes) a plain line every few seconds.
 */
export function createProgressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (!stream.isTTY) {
    let last = 0;
    return {
      update(p) {
        if (Date.now() - last < 5000) return;
        last = Date.now();
        stream.write(`${p.status}: ${p.processedRows}/${p.totalRows ?? '?'} rows, ${p.succeeded} ok, ${p.failed} failed, ${p.invalid} invalid, ${p.rowsPerSecond.toFixed(1)} rows/s${hostsHeldBack(p)}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {value}/{total} rows | ok {succeeded} | failed {failed} | invalid {invalid} | {rate} rows/s | ETA {eta_formatted} {state}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const payload = (p: JobProgress) => ({
    succeeded: p.succeeded,
    failed: p.failed,
    invalid: p.invalid,
    rate: p.rowsPerSecond.toFixed(1),
    state: (p.paused ? '(paused)' : p.status === 'running' ? '' : `(${p.status})`) + hostsHeldBack(p),
  });
  return {
    update(p) {
      if (!started) {
        bar.start(p.totalRows ?? 0, p.processedRows, payload(p));
        started = true;
      }
      if (p.totalRows !== null) bar.setTotal(p.totalRows);
      bar.update(p.processedRows, payload(p));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
