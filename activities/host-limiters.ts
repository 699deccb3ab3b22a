import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptSignal, LimiterSnapshots } from '../core/limiter/context.ts';
import { persistHostLimiter, startHostLimiter, type HostLimiterActor } from '../core/limiter/machine.ts';
import type { LimiterSettings } from '../core/limiter/settings.ts';
import { trackedSnapshots } from '../core/limiter/view.ts';

/**
 * The live limiters of one dispatch slice, one per target origin, resumed from the snapshots the
 * last slice (or heartbeat) left. The statechart decides; this only feeds it the clock and waits.
 */
export class HostLimiters {
  private readonly actors = new Map<string, HostLimiterActor>();

  constructor(
    private readonly settings: LimiterSettings,
    private readonly restored: LimiterSnapshots,
  ) {}

  private actorFor(origin: string): HostLimiterActor {
    let actor = this.actors.get(origin);
    if (!actor) {
      actor = startHostLimiter(this.settings, Date.now(), this.restored[origin]);
      this.actors.set(origin, actor);
    }
    return actor;
  }

  /**
   * Waits for the host's next send slot, or returns when the host could take a request if that is
   * after `notAfter` (held by pace, Retry-After or an open circuit), so the caller can leave the
   * row for later. Null = send now.
   */
  async acquire(origin: string, notAfter: number, signal: AbortSignal): Promise<number | null> {
    const actor = this.actorFor(origin);
    for (;;) {
      const now = Date.now();
      actor.send({ type: 'RESERVE', now, notAfter });
      const grant = actor.getSnapshot().context.grant!;
      if ('heldUntil' in grant) {
        if (grant.heldUntil > notAfter) return grant.heldUntil;
        await sleep(Math.max(1, grant.heldUntil - now), undefined, { signal });
        continue;
      }
      if (grant.slot > now) await sleep(grant.slot - now, undefined, { signal });
      // The pace dropped or a hold began while we waited: the slot no longer stands.
      if (actor.getSnapshot().context.epoch === grant.epoch) return null;
    }
  }

  record(origin: string, signal: AttemptSignal, retryAfterMs: number | null): void {
    const now = Date.now();
    const actor = this.actorFor(origin);
    if (signal === 'OK') actor.send({ type: 'OK', now });
    else actor.send({ type: signal, now, retryAfterMs });
  }

  /** Snapshots worth carrying to the next slice: those restored and not used, plus every live one. */
  snapshots(): LimiterSnapshots {
    const all: LimiterSnapshots = { ...this.restored };
    for (const [origin, actor] of this.actors) all[origin] = persistHostLimiter(actor);
    return trackedSnapshots(all, Date.now());
  }
}
