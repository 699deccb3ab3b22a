import { setTimeout as sleep } from 'node:timers/promises';

/** Per target host: the earliest time (epoch ms) the next request may start. Travels between batches. */
export type PacerState = Record<string, number>;

/**
 * Fixed spacing between requests to one target host (BASE_RATE_LIMIT seconds). Slots are handed
 * out in order, so MAX_WORKERS concurrent senders still respect the spacing between them.
 */
export class FixedPacer {
  private readonly next: Map<string, number>;
  /** Slots handed out by this pacer; counted synchronously, so concurrent callers see each other. */
  reservations = 0;

  constructor(
    private readonly spacingMs: number,
    state: PacerState = {},
  ) {
    this.next = new Map(Object.entries(state));
  }

  /**
   * Waits for the host's next slot. Returns false without taking the slot when it lies beyond
   * `notAfter`, so a batch can end on time instead of waiting for a slot it will not use.
   */
  async acquire(origin: string, notAfter: number, signal: AbortSignal): Promise<boolean> {
    if (this.spacingMs <= 0) return true;
    const now = Date.now();
    const slot = Math.max(now, this.next.get(origin) ?? 0);
    if (slot > notAfter) return false;
    this.next.set(origin, slot + this.spacingMs);
    this.reservations += 1;
    if (slot > now) await sleep(slot - now, undefined, { signal });
    return true;
  }

  snapshot(): PacerState {
    return Object.fromEntries(this.next);
  }
}
