import { describe, expect, it } from 'vitest';
import { LIMITS, isUnit, parseReadingsMessage, validateReading } from '../../core/index.js';

/**
 * parseReadingsMessage checks the common reading shape without the schema validator; whatever
 * it accepts, the schema must accept, and every other reading must get the schema's issues.
 */
const NOW = 1_795_351_700_000;
const ok = { instrument: 'SC-0001', channel: 'mass', ts: NOW - 1000, value: 20.004, unit: 'kg', status: 'ok' };
const cases: unknown[] = [
  ok,
  { ...ok, extra: 1 },
  { channel: 'mass', ts: NOW, value: 1, unit: 'kg', status: 'ok', instrument2: 'x' },
  { ...ok, ts: 1.5 },
  { ...ok, ts: -1 },
  { ...ok, ts: 8.64e15 + 1 },
  { ...ok, ts: '1' },
  { ...ok, value: '1' },
  { ...ok, value: null },
  { ...ok, unit: '' },
  { ...ok, unit: 'k'.repeat(17) },
  { ...ok, unit: 'kg🙂' },
  { ...ok, unit: 'xx' },
  { ...ok, status: 'happy' },
  { ...ok, status: 'maintenance' },
  { ...ok, instrument: 'SC/1' },
  { ...ok, instrument: '-SC' },
  { ...ok, instrument: 'S'.repeat(64) },
  { ...ok, instrument: 'S'.repeat(65) },
  { ...ok, channel: '' },
  { ...ok, channel: 'n1.totaliser_2-b' },
  { ...ok, ts: NOW + LIMITS.maxFutureMs + 1 },
  null,
  [],
  'reading',
  42,
];

describe('readings fast path', () => {
  it('accepts exactly what the schema, the unit table and the clock accept, with the schema issues otherwise', () => {
    // __proto__ as a JSON key is an own property after JSON.parse.
    const payload = JSON.stringify({ v: 1, gateway: 'gw', seq: 1, readings: cases }).replace('"instrument2"', '"__proto__"');
    const readings = (JSON.parse(payload) as { readings: unknown[] }).readings;
    const out = parseReadingsMessage(payload, { now: NOW });
    const accepted = new Set(out.acceptedIndex);
    readings.forEach((r, i) => {
      const expected = validateReading(r) && isUnit(r.unit) && r.ts <= NOW + LIMITS.maxFutureMs;
      expect(accepted.has(i), `readings[${i}] ${JSON.stringify(r)}`).toBe(expected);
      const issues = out.rejects.filter((x) => x.index === i);
      expect(issues.length > 0).toBe(!expected);
      if (!validateReading(r)) expect(issues.map(({ index: _i, instrument: _n, ...x }) => x)).toEqual(validateReading.issues(r, `readings[${i}]`));
    });
  });
});
