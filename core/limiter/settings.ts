import type { DeliveryConfig } from '../config.ts';

/** The bounds and thresholds one host limiter works within; fixed for the life of a job. */
export interface LimiterSettings {
  /** Requests/s at start (1 / BASE_RATE_LIMIT); null = unpaced until the host pushes back. */
  startRate: number | null;
  /** Slowest pace the limiter backs off to (1 / MAX_RATE_LIMIT); null = it never slows the pace (MAX_RATE_LIMIT=0). */
  slowestRate: number | null;
  /** Fastest pace it may reach (1 / MIN_RATE_LIMIT); null = no ceiling, as fast as the host answers. */
  fastestRate: number | null;
  /** Consecutive failures (5xx, timeouts, connection errors) that open the host's circuit. */
  failureThreshold: number;
  /** How long an open circuit holds the host's rows before one probe request is let through. */
  openMs: number;
  /** A probe that has not reported back after this long no longer blocks the next one. */
  probeTimeoutMs: number;
  /** Longest Retry-After hold obeyed, as for row retries (RETRY_MAX_DELAY). */
  maxHoldMs: number;
}

const perSecond = (spacingSeconds: number): number | null => (spacingSeconds > 0 ? 1 / spacingSeconds : null);

export function limiterSettings(d: DeliveryConfig): LimiterSettings {
  return {
    startRate: perSecond(d.baseRateLimit),
    slowestRate: perSecond(d.maxRateLimit),
    fastestRate: perSecond(d.minRateLimit ?? d.baseRateLimit),
    failureThreshold: d.circuitFailureThreshold,
    openMs: d.circuitOpenMs,
    probeTimeoutMs: d.requestTimeoutMs + 1000,
    maxHoldMs: d.retryMaxDelayMs,
  };
}
