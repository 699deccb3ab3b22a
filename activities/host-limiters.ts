import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptSignal, Grant, LimiterSnapshots } from '../core/limiter/context.ts';
import { persistHostLimiter, startHostLimiter, type HostLimiterActor } from '../core/limiter/machine.ts';
import type { LimiterSettings } from '../core/limiter/settings.ts';
import { scaleSettings, scaleSnapshots } from '../core/limiter/share.ts';
import { trackedSnapshots } from '../core/limiter/view.ts';

/** Healthy answers are told to the limiter together, at most this long after the first of them. */
const OK_BATCH_MS = 50;

interface Host {
  actor: HostLimiterActor;
  okCount: number;
  okSince: number;
  okLast: number;
}

const origins = new Map<string, string>();
const ORIGIN_CACHE_SIZE = 10_000;

/**
 * `scheme://host:port` of a URL. Parsing every row's URL is costly at thousands of rows/s, and an
 * origin depends only on what precedes the path, so that prefix's answer is kept.
 */
export function originOf(url: string): string {
  const pathAt = url.indexOf('/', url.indexOf('//') + 2);
  const prefix = pathAt === -1 ? url : url.slice(0, pathAt);
  let origin = origins.get(prefix);
  if (origin === undefined) {
    if (origins.size >= ORIGIN_CACHE_SIZE) origins.clear();
    origin = new URL(prefix).origin;
    origins.set(prefix, origin);
  }
  return origin;
}

/**
 * The live limiters of one dispatch slice, one per target origin, resumed from the snapshots the
 * last slice (or heartbeat) left. The statechart decides; this feeds it the clock and waits.
 * With `shares` batches of the job in flight, this one paces at 1/shares of each host's rate;
 * snapshots come in and go out at the whole host's rate.
 */
export class HostLimiters {
  private readonly hosts = new Map<string, Host>();
  private readonly settings: LimiterSettings;
  private readonly restored: LimiterSnapshots;

  constructor(
    settings: LimiterSettings,
    restored: LimiterSnapshots,
    private readonly shares = 1,
  ) {
    this.settings = scaleSettings(settings, 1 / shares);
    this.restored = scaleSnapshots(restored, 1 / shares);
  }

  private hostFor(origin: string): Host {
    let host = this.hosts.get(origin);
    if (!host) {
      host = { actor: startHostLimiter(this.settings, Date.now(), this.restored[origin]), okCount: 0, okSince: 0, okLast: 0 };
      this.hosts.set(origin, host);
    }
    return host;
  }

  private flushOk(host: Host): void {
    if (host.okCount === 0) return;
    host.actor.send({ type: 'OK', now: host.okLast, count: host.okCount });
    host.okCount = 0;
  }

  private reserve(host: Host, now: number, notAfter: number): Grant {
    if (now - host.okSince >= OK_BATCH_MS) this.flushOk(host);
    const snapshot = host.actor.getSnapshot();
    const ctx = snapshot.context;
    // Unpaced and calm, RESERVE would grant `now` and change nothing else: skip the round trip.
    if (ctx.rate === null && ctx.nextSlotAt <= now && snapshot.matches({ closed: 'steady' })) return { slot: now, epoch: ctx.epoch };
    host.actor.send({ type: 'RESERVE', now, notAfter });
    return host.actor.getSnapshot().context.grant!;
  }

  /**
   * Waits for the host's next send slot and returns the epoch it stands for, or returns when the
   * host could take a request if that is after `notAfter` (held by pace, Retry-After or an open
   * circuit), so the caller can leave the row for later.
   */
  async acquire(origin: string, notAfter: number, signal: AbortSignal): Promise<{ epoch: number } | { heldUntil: number }> {
    const host = this.hostFor(origin);
    for (;;) {
      const now = Date.now();
      const grant = this.reserve(host, now, notAfter);
      if ('heldUntil' in grant) {
        if (grant.heldUntil > notAfter) return { heldUntil: grant.heldUntil };
        await sleep(Math.max(1, grant.heldUntil - now), undefined, { signal });
        continue;
      }
      if (grant.slot > now) await sleep(grant.slot - now, undefined, { signal });
      // The pace dropped or a hold began while we waited: the slot no longer stands.
      if (host.actor.getSnapshot().context.epoch === grant.epoch) return { epoch: grant.epoch };
    }
  }

  /** Bumped by every cut of the pace, hold and circuit opening: a slot granted before no longer stands. */
  epochOf(origin: string): number {
    return this.hostFor(origin).actor.getSnapshot().context.epoch;
  }

  record(origin: string, signal: AttemptSignal, retryAfterMs: number | null): void {
    const now = Date.now();
    const host = this.hostFor(origin);
    if (signal === 'OK') {
      if (host.okCount === 0) host.okSince = now;
      host.okCount += 1;
      host.okLast = now;
      if (now - host.okSince >= OK_BATCH_MS) this.flushOk(host);
      return;
    }
    this.flushOk(host);
    host.actor.send({ type: signal, now, retryAfterMs });
  }

  /** Snapshots worth carrying to the next slice: those restored and not used, plus every live one. */
  snapshots(): LimiterSnapshots {
    const all: LimiterSnapshots = { ...this.restored };
    for (const [origin, host] of this.hosts) {
      this.flushOk(host);
      all[origin] = persistHostLimiter(host.actor);
    }
    return scaleSnapshots(trackedSnapshots(all, Date.now()), this.shares);
  }
}
