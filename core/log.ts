import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Secrets never reach them: the fields below are redacted wherever they
 * appear, so a config or connection object can be logged without thought.
 */
export const REDACT = [
  'password',
  'token',
  'secret',
  '*.password',
  '*.token',
  '*.secret',
  'mqtt.password',
  'audit.key',
  '*.audit.key',
  'headers.authorization',
  'req.headers.authorization',
  'headers.cookie',
  'req.headers.cookie',
  'headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'headers["x-api-key"]',
];

export function createLogger(opts: LoggerOptions & { name?: string } = {}, destination?: DestinationStream): Logger {
  const options = { level: process.env.METRONET_LOG_LEVEL ?? 'info', redact: { paths: REDACT, censor: '[redacted]' }, ...opts };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });
