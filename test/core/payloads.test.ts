import { describe, expect, it } from 'vitest';
import { LIMITS, parseReadingsMessage, validateCheck, validateGatewayStatus, ChecksBatch, compile } from '../../core/index.js';

const NOW = 1_795_351_700_000;
// The examples of the MQTT contract (ARCHITECTURE.md), verbatim.
const ARCH_READINGS = {
  v: 1,
  gateway: 'gw-bt-01',
  seq: 18342,
  readings: [{ instrument: 'SC-0001', channel: 'mass', ts: 1795351601000, value: 20.004, unit: 'kg', status: 'ok' }],
};
const ARCH_CHECKS = {
  v: 1,
  gateway: 'gw-bt-01',
  checks: [{ instrument: 'SC-0001', channel: 'mass', ts: 1795351601000, reference: 'REF-M1-20KG', indicated: 20.006 }],
};
const reading = (over: Record<string, unknown> = {}) => ({ ...ARCH_READINGS.readings[0], ...over });
const batch = (readings: unknown[], over: Record<string, unknown> = {}) => JSON.stringify({ v: 1, gateway: 'gw-bt-01', seq: 1, readings, ...over });

describe('readings batch', () => {
  it('accepts the contract example', () => {
    const out = parseReadingsMessage(JSON.stringify(ARCH_READINGS), { now: NOW, gateway: 'gw-bt-01' });
    expect(out.rejects).toEqual([]);
    expect(out.accepted).toEqual(ARCH_READINGS.readings);
    expect(out.batch).toEqual({ gateway: 'gw-bt-01', seq: 18342, count: 1 });
  });

  it('rejects malformed JSON as a whole, with a reason', () => {
    const out = parseReadingsMessage('{"v":1,"gateway":', { now: NOW });
    expect(out.accepted).toEqual([]);
    expect(out.rejects).toHaveLength(1);
    expect(out.rejects[0]).toMatchObject({ code: 'E_MALFORMED_JSON', field: '(payload)' });
  });

  it('rejects a bad reading and keeps the valid rest', () => {
    const out = parseReadingsMessage(
      batch([
        reading(),
        reading({ ts: NOW + 3_600_000 }),
        reading({ unit: 'kilo' }),
        reading({ value: 'heavy' }),
        reading({ status: 'happy' }),
        reading({ ts: NOW - 1000 }),
      ]),
      { now: NOW },
    );
    expect(out.accepted.map((r) => r.ts)).toEqual([1795351601000, NOW - 1000]);
    expect(out.rejects.map((r) => [r.code, r.field])).toEqual([
      ['E_TS_IN_FUTURE', 'readings[1].ts'],
      ['E_UNKNOWN_UNIT', 'readings[2].unit'],
      ['E_SCHEMA', 'readings[3].value'],
      ['E_SCHEMA', 'readings[4].status'],
    ]);
    expect(out.rejects[0]!.message).toMatch(/3600 s ahead/);
    expect(out.rejects[2]).toMatchObject({ rule: 'type', value: 'heavy' });
    expect(out.rejects[3]!.message).toMatch(/must be one of ok, check, fault/);
  });

  it('allows a timestamp just within the future bound', () => {
    const out = parseReadingsMessage(batch([reading({ ts: NOW + LIMITS.maxFutureMs })]), { now: NOW });
    expect(out.accepted).toHaveLength(1);
  });

  it('names a missing field and an unexpected one', () => {
    const { instrument: _, ...noInstrument } = reading();
    const out = parseReadingsMessage(batch([noInstrument, reading({ vaule: 3 })]), { now: NOW });
    expect(out.rejects.map((r) => [r.field, r.rule])).toEqual([
      ['readings[0].instrument', 'required'],
      ['readings[1].vaule', 'additionalProperties'],
    ]);
  });

  it('rejects ids that would break topics', () => {
    const out = parseReadingsMessage(batch([reading({ instrument: 'SC/1' }), reading({ channel: '#' })]), { now: NOW });
    expect(out.rejects.map((r) => [r.field, r.rule])).toEqual([
      ['readings[0].instrument', 'pattern'],
      ['readings[1].channel', 'pattern'],
    ]);
  });

  it('rejects whole-message faults: size, count, version, gateway mismatch, envelope', () => {
    const big = 'x'.repeat(LIMITS.maxMessageBytes + 1);
    expect(parseReadingsMessage(big, { now: NOW }).rejects[0]!.code).toBe('E_PAYLOAD_TOO_LARGE');
    const many = Array.from({ length: 11 }, (_, i) => reading({ ts: 1795351601000 + i }));
    expect(parseReadingsMessage(batch(many), { now: NOW, maxReadings: 10 }).rejects[0]).toMatchObject({ code: 'E_TOO_MANY_READINGS', value: 11 });
    expect(parseReadingsMessage(batch([reading()], { v: 2 }), { now: NOW }).rejects[0]).toMatchObject({ code: 'E_UNSUPPORTED_VERSION', value: 2 });
    expect(parseReadingsMessage(batch([reading()]), { now: NOW, gateway: 'gw-other' }).rejects[0]).toMatchObject({
      code: 'E_GATEWAY_MISMATCH',
      value: 'gw-bt-01',
    });
    expect(parseReadingsMessage(batch([reading()], { seq: -1 }), { now: NOW }).rejects[0]).toMatchObject({ code: 'E_SCHEMA', field: 'seq', rule: 'minimum' });
    expect(parseReadingsMessage('[1,2]', { now: NOW }).rejects[0]).toMatchObject({ code: 'E_SCHEMA', rule: 'type' });
    expect(parseReadingsMessage('null', { now: NOW }).rejects[0]).toMatchObject({ code: 'E_SCHEMA' });
  });
});

describe('checks and status', () => {
  it('accept the contract examples', () => {
    const validateBatch = compile(ChecksBatch);
    expect(validateBatch(ARCH_CHECKS)).toBe(true);
    expect(validateCheck({ instrument: 'AQ-1', channel: 'so2', ts: 1, referenceValue: 400, referenceU: 8, indicated: 404.1 })).toBe(true);
    expect(
      validateGatewayStatus({
        v: 1,
        gateway: 'gw-bt-01',
        state: 'online',
        ts: NOW,
        version: '0.1.0',
        instruments: [{ instrument: 'SC-0001', profile: 'weighing-indicator-tcp' }],
      }),
    ).toBe(true);
  });

  it('reject broken ones naming the field', () => {
    const bad = { v: 1, gateway: 'gw-bt-01', state: 'sleeping', ts: NOW };
    expect(validateGatewayStatus(bad)).toBe(false);
    expect(validateGatewayStatus.issues(bad)).toEqual([expect.objectContaining({ code: 'E_SCHEMA', field: 'state', rule: 'enum', value: 'sleeping' })]);
    const check = { instrument: 'SC-0001', channel: 'mass', ts: 1, indicated: 'twenty' };
    expect(validateCheck(check)).toBe(false);
    expect(validateCheck.issues(check, 'checks[0]')[0]).toMatchObject({ field: 'checks[0].indicated', rule: 'type' });
  });
});
