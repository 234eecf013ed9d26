import { pino, type Logger } from 'pino';

/** Structured logs; tokens and secrets are redacted wherever they might appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'shipgate' },
    redact: { paths: ['token', 'secret', '*.token', '*.secret', 'headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
  });
}
