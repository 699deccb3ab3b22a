import { pino, type Logger } from 'pino';

/** One JSON logger per process; header values and tokens are never passed to it. */
export function createLogger(level: string, name = 'bulk-api-trigger'): Logger {
  return pino({ name, level, redact: ['headers.authorization', '*.authorization', 'password', '*.password'] });
}

export type { Logger };
