import { MetronetError } from '../core/index.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `500ms`, `10s`, `5m`, `1h`, `1d`, or a bare number of ms. */
export function parseDuration(text: string, field: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new MetronetError('E_BAD_REQUEST', `${field} "${text}" is not a duration like 10s, 5m, 1h`, { field, value: text });
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS];
  if (ms <= 0) throw new MetronetError('E_BAD_REQUEST', `${field} must be greater than 0`, { field, value: text });
  return ms;
}

/** Epoch ms, ISO 8601, or relative to now (`-15m`, `-24h`, `now`). */
export function parseTime(text: string | undefined, fallback: number, now: number, field: string): number {
  if (text === undefined || text === '') return fallback;
  const t = text.trim();
  if (t === 'now') return now;
  if (/^\d+$/.test(t)) return Number(t);
  if (t.startsWith('-')) return now - parseDuration(t.slice(1), field);
  const parsed = Date.parse(t);
  if (Number.isNaN(parsed)) {
    throw new MetronetError('E_BAD_REQUEST', `${field} "${t}" is not epoch ms, an ISO 8601 date-time or a relative time like -24h`, { field, value: t });
  }
  return parsed;
}
