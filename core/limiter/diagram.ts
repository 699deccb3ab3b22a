import type { AnyStateNode } from 'xstate';
import { hostLimiterMachine } from './machine.ts';

const label = (event: string, guard: unknown) => (typeof guard === 'string' ? `${event} [${guard}]` : event);

/** Lines for the transitions that change state; those that only update the pace or refuse a slot are left out. */
function edges(node: AnyStateNode, indent: string): string[] {
  const out: string[] = [];
  for (const [event, transitions] of node.transitions) {
    for (const t of transitions) {
      for (const target of t.target ?? []) out.push(`${indent}${node.key} --> ${target.key} : ${label(event, t.guard)}`);
    }
  }
  for (const t of node.always ?? []) {
    for (const target of t.target ?? []) out.push(`${indent}${node.key} --> ${target.key} : ${label('always', t.guard)}`);
  }
  return out;
}

/** The host limiter statechart as a Mermaid state diagram, read from the machine definition itself. */
export function limiterMermaid(): string {
  const root = hostLimiterMachine.root;
  const lines = ['stateDiagram-v2'];
  for (const node of Object.values(root.states)) {
    if (root.initial.target[0] === node) lines.push(`  [*] --> ${node.key}`);
    const children = Object.values(node.states);
    if (children.length > 0) {
      lines.push(`  state ${node.key} {`);
      lines.push(`    [*] --> ${node.initial.target[0]!.key}`);
      for (const child of children) lines.push(...edges(child, '    '));
      lines.push('  }');
    }
    lines.push(...edges(node, '  '));
  }
  return lines.join('\n');
}

/** docs/limiter.md: what the limiter does, and its statechart. `npm run limiter:diagram` writes it. */
export function limiterDoc(): string {
  return `# The host rate limiter

<!-- Written by \`npm run limiter:diagram\` from core/limiter/machine.ts; do not edit by hand. -->

Every target host (\`scheme://host:port\`) a job sends to gets its own limiter: one XState
statechart (\`core/limiter/machine.ts\`). It is pure: the clock comes in with every event, so the
same events always give the same states, and its persisted snapshot travels in heartbeats, batch
results and continue-as-new. A resumed batch carries on at the pace the host had taught it.

Events: \`RESERVE\` (a sender asks for a send slot), \`OK\` (the host answered without pushing
back), \`THROTTLED\` (429), \`FAILED\` (5xx, 408, 425, timeout, connection error).

- **rampingUp**: no pushback seen yet; the pace doubles every half second of healthy answers, up
  to \`MIN_RATE_LIMIT\` (unset: the starting pace \`BASE_RATE_LIMIT\`, as the original tool).
- **steady**: additive increase. With a known ceiling (what the host let through when it last
  throttled us): +5% of it per second below 95% of it, +0.25% per second near it. With none,
  +10% of the pace per second.
- **backingOff**: the pace was just cut (to 95% of what the host accepted on a 429 with a
  measured budget, else by half, never below \`MAX_RATE_LIMIT\`); more pushback within a second
  is the same episode and does not cut again.
- **waitingRetryAfter**: no request until \`Retry-After\` (capped at \`RETRY_MAX_DELAY\`) passes.
- **circuitOpen**: \`CIRCUIT_FAILURE_THRESHOLD\` failures in a row; the host's rows wait
  \`CIRCUIT_OPEN_SECONDS\` while other hosts go on.
- **halfOpen**: one probe request at a time; a good answer closes the circuit (ramping up from
  half the old pace), a failure opens it again.

Transitions that only change the pace or refuse a slot are not drawn.

\`\`\`mermaid
${limiterMermaid()}
\`\`\`
`;
}
