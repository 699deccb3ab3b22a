import { assign, createActor, setup, type Actor, type Snapshot } from 'xstate';
import type { LimiterContext, LimiterEvent, LimiterSnapshot } from './context.ts';
import { recordOutcome, type OutcomeKind } from './outcome-window.ts';
import { atFastest, clampRate, decreased, increased, initialContext, reserved } from './pace.ts';
import type { LimiterSettings } from './settings.ts';

const KIND: Record<Exclude<LimiterEvent['type'], 'RESERVE'>, OutcomeKind> = { OK: 'ok', THROTTLED: 'throttled', FAILED: 'failed' };

/** How soon a request held back by a probe in flight asks again. */
const PROBE_RECHECK_MS = 250;

const retryAfterOf = (e: LimiterEvent): number | null => (e.type === 'THROTTLED' || e.type === 'FAILED' ? e.retryAfterMs : null);

/**
 * One target host's pace and circuit. Pure: the clock arrives in every event (`now`), there are
 * no timers, so the same events give the same states, and a persisted snapshot resumes exactly.
 * `npm run limiter:diagram` draws it into docs/limiter.md.
 */
export const hostLimiterMachine = setup({
  types: {
    context: {} as LimiterContext,
    events: {} as LimiterEvent,
    input: {} as { settings: LimiterSettings; now: number },
  },
  guards: {
    atFastest: ({ context }) => atFastest(context),
    /** A Retry-After came with this answer, or an earlier one still holds. */
    mustHold: ({ context, event }) => retryAfterOf(event) !== null || event.now < context.holdUntil,
    holdOver: ({ context, event }) => event.now >= context.holdUntil,
    cooledDown: ({ context, event }) => event.now >= context.cooldownUntil,
    tripsCircuit: ({ context }) => context.consecutiveFailures + 1 >= context.settings.failureThreshold,
    openOver: ({ context, event }) => event.now >= context.openUntil,
    probeInFlight: ({ context, event }) => event.now < context.probeDeadline,
  },
  actions: {
    record: assign(({ context, event }) => {
      if (event.type === 'RESERVE') return {};
      const kind = KIND[event.type];
      const count = event.type === 'OK' ? event.count : 1;
      return {
        window: recordOutcome(context.window, event.now, kind, count),
        totals: { ...context.totals, [kind]: context.totals[kind] + count },
        consecutiveFailures: kind === 'failed' ? context.consecutiveFailures + 1 : kind === 'ok' ? 0 : context.consecutiveFailures,
        lastEventAt: event.now,
      };
    }),
    ramp: assign(({ context, event }) => increased(context, event.now, true)),
    increase: assign(({ context, event }) => increased(context, event.now, false)),
    restartIncrease: assign(({ event }) => ({ lastIncreaseAt: event.now })),
    slowDownThrottled: assign(({ context, event }) => decreased(context, event.now, 'throttled')),
    slowDownFailed: assign(({ context, event }) => decreased(context, event.now, 'failed')),
    hold: assign(({ context, event }) => {
      const until = event.now + Math.min(retryAfterOf(event) ?? 0, context.settings.maxHoldMs);
      return until > context.holdUntil ? { holdUntil: until, nextSlotAt: until, epoch: context.epoch + 1 } : {};
    }),
    reserve: assign(({ context, event }) => (event.type === 'RESERVE' ? reserved(context, event.now, event.notAfter) : {})),
    reserveProbe: assign(({ context, event }) => {
      if (event.type !== 'RESERVE') return {};
      const r = reserved(context, event.now, event.notAfter);
      return r.grant && 'slot' in r.grant ? { ...r, probeDeadline: r.grant.slot + context.settings.probeTimeoutMs } : r;
    }),
    refuseUntilHoldEnds: assign(({ context }) => ({ grant: { heldUntil: context.holdUntil } })),
    refuseUntilOpenEnds: assign(({ context }) => ({ grant: { heldUntil: context.openUntil } })),
    // The probe usually reports back long before its deadline: ask again soon rather than wait it out.
    refuseWhileProbing: assign(({ context, event }) => ({ grant: { heldUntil: Math.min(context.probeDeadline, event.now + PROBE_RECHECK_MS) } })),
    openCircuit: assign(({ context, event }) => ({
      openUntil: event.now + context.settings.openMs,
      nextSlotAt: event.now + context.settings.openMs,
      consecutiveFailures: 0,
      circuitOpens: context.circuitOpens + 1,
      epoch: context.epoch + 1,
    })),
    /** The probe came back healthy: ramp up again from half the pace the host had before. */
    closeCircuit: assign(({ context, event }) => ({
      rate: context.rate === null ? null : clampRate(context.settings, context.rate / 2),
      probeDeadline: 0,
      consecutiveFailures: 0,
      lastIncreaseAt: event.now,
    })),
  },
}).createMachine({
  id: 'hostLimiter',
  context: ({ input }) => initialContext(input.settings, input.now),
  initial: 'closed',
  states: {
    closed: {
      initial: 'rampingUp',
      on: {
        RESERVE: { actions: 'reserve' },
        OK: { actions: 'record' },
        THROTTLED: [
          { guard: 'mustHold', target: '.waitingRetryAfter', actions: ['record', 'slowDownThrottled', 'hold'] },
          { target: '.backingOff', actions: ['record', 'slowDownThrottled'] },
        ],
        FAILED: [
          { guard: 'tripsCircuit', target: 'circuitOpen', actions: ['record', 'openCircuit'] },
          { guard: 'mustHold', target: '.waitingRetryAfter', actions: ['record', 'slowDownFailed', 'hold'] },
          { target: '.backingOff', actions: ['record', 'slowDownFailed'] },
        ],
      },
      states: {
        rampingUp: {
          always: { guard: 'atFastest', target: 'steady' },
          on: { OK: { actions: ['record', 'ramp'] } },
        },
        steady: {
          on: { OK: { actions: ['record', 'increase'] } },
        },
        backingOff: {
          on: {
            RESERVE: [{ guard: 'cooledDown', target: 'steady', actions: ['restartIncrease', 'reserve'] }, { actions: 'reserve' }],
            OK: [{ guard: 'cooledDown', target: 'steady', actions: ['record', 'restartIncrease'] }, { actions: 'record' }],
          },
        },
        waitingRetryAfter: {
          on: {
            RESERVE: [{ guard: 'holdOver', target: 'backingOff', actions: 'reserve' }, { actions: 'refuseUntilHoldEnds' }],
          },
        },
      },
    },
    circuitOpen: {
      on: {
        RESERVE: [{ guard: 'openOver', target: 'halfOpen', actions: 'reserveProbe' }, { actions: 'refuseUntilOpenEnds' }],
        // Answers to requests sent before the circuit opened change nothing.
        OK: { actions: 'record' },
        THROTTLED: { actions: 'record' },
        FAILED: { actions: 'record' },
      },
    },
    halfOpen: {
      on: {
        RESERVE: [{ guard: 'probeInFlight', actions: 'refuseWhileProbing' }, { actions: 'reserveProbe' }],
        OK: { target: '#hostLimiter.closed.rampingUp', actions: ['record', 'closeCircuit'] },
        // A 429 means the host is up again, just busy.
        THROTTLED: [
          { guard: 'mustHold', target: '#hostLimiter.closed.waitingRetryAfter', actions: ['record', 'closeCircuit', 'slowDownThrottled', 'hold'] },
          { target: '#hostLimiter.closed.backingOff', actions: ['record', 'closeCircuit', 'slowDownThrottled'] },
        ],
        FAILED: { target: 'circuitOpen', actions: ['record', 'openCircuit'] },
      },
    },
  },
});

export type HostLimiterActor = Actor<typeof hostLimiterMachine>;

/** A started limiter for one host: fresh, or resumed from a persisted snapshot. */
export function startHostLimiter(settings: LimiterSettings, now: number, snapshot?: LimiterSnapshot): HostLimiterActor {
  // The persisted snapshot is the plain JSON xstate produced; its own type is not exported in that shape.
  const restored = snapshot as unknown as Snapshot<unknown> | undefined;
  return createActor(hostLimiterMachine, { input: { settings, now }, ...(restored ? { snapshot: restored } : {}) }).start();
}

export function persistHostLimiter(actor: HostLimiterActor): LimiterSnapshot {
  return actor.getPersistedSnapshot() as unknown as LimiterSnapshot;
}
