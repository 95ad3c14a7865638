import { pino } from 'pino';

/** Everything logged, parsed, for assertions on what an operator would read. */
export function memoryLogger(level = 'info') {
  const lines: Array<Record<string, unknown> & { msg: string; level: number }> = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}
