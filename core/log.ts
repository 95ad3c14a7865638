import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Secrets never reach them: the fields below are redacted wherever they
 * appear, so a config or connection object can be logged without thought.
 */
export const REDACT = ['password', 'token', 'secret', '*.password', '*.token', '*.secret', 'mqtt.password', 'headers.authorization', 'req.headers.authorization'];

export function createLogger(opts: LoggerOptions & { name?: string } = {}): Logger {
  return pino({ level: process.env.METRONET_LOG_LEVEL ?? 'info', redact: { paths: REDACT, censor: '[redacted]' }, ...opts });
}

/** A logger that writes nothing (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });
