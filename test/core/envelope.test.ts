import { describe, expect, it } from 'vitest';
import {
  ANALYTICS_DEFAULTS,
  AnalyticsConfig,
  DRIFT_DEFAULTS,
  GatewaySpool,
  INGEST_DEFAULTS,
  IngestConfig,
  LIMITS,
  MetronetError,
  SPOOL_DEFAULTS,
  loadConfig,
  parseChecksMessage,
  parseReadingsMessage,
  parseStatusMessage,
  unknownChannel,
  unknownInstrument,
  unknownReference,
  unknownStation,
  type Issue,
} from '../../core/index.js';

const NOW = 1_795_351_700_000;
const GW = 'gw-bt-01';
const check = (over: Record<string, unknown> = {}) => ({
  instrument: 'SC-0001',
  channel: 'mass',
  ts: NOW - 1000,
  reference: 'REF-M1-20KG',
  indicated: 20.006,
  ...over,
});
const bodies = {
  readings: (over: Record<string, unknown> = {}) => JSON.stringify({ v: 1, gateway: GW, seq: 1, readings: [], ...over }),
  checks: (over: Record<string, unknown> = {}) => JSON.stringify({ v: 1, gateway: GW, checks: [check()], ...over }),
  status: (over: Record<string, unknown> = {}) => JSON.stringify({ v: 1, gateway: GW, state: 'online', ts: NOW, ...over }),
};
const parsers: Record<keyof typeof bodies, (payload: string) => Issue[]> = {
  readings: (p) => parseReadingsMessage(p, { now: NOW, gateway: GW }).rejects,
  checks: (p) => parseChecksMessage(p, { gateway: GW }).rejects,
  status: (p) => parseStatusMessage(p, { gateway: GW }).rejects,
};

describe('one envelope parser for readings, checks and status', () => {
  for (const kind of ['readings', 'checks', 'status'] as const) {
    const parse = parsers[kind];
    const body = bodies[kind];
    it(`${kind}: size, JSON, version and gateway faults have the same code, field, rule and value, and name the kind`, () => {
      const faults: Array<[string, Partial<Issue>]> = [
        ['x'.repeat(LIMITS.maxMessageBytes + 1), { code: 'E_PAYLOAD_TOO_LARGE', field: '(payload)', rule: 'maxBytes', value: LIMITS.maxMessageBytes + 1 }],
        ['{"v":1,', { code: 'E_MALFORMED_JSON', field: '(payload)', rule: 'json', value: '{"v":1,' }],
        [body({ v: 2 }), { code: 'E_UNSUPPORTED_VERSION', field: 'v', rule: 'const', value: 2 }],
        [body({ gateway: 'gw-other' }), { code: 'E_GATEWAY_MISMATCH', field: 'gateway', rule: 'topic', value: 'gw-other' }],
      ];
      for (const [payload, want] of faults) {
        const rejects = parse(payload);
        expect(rejects).toHaveLength(1);
        expect(rejects[0]).toMatchObject(want);
        expect(rejects[0]!.message).toContain(`${kind} payload`);
      }
      expect(parse(body())).toEqual([]);
      expect(parse(body({ gateway: 'bad gw!' }))[0]).toMatchObject({ code: 'E_SCHEMA', field: 'gateway', rule: 'pattern' });
    });
  }
});

describe('checks message (ChecksBatch schema)', () => {
  it('accepts the valid checks of a batch and names each bad one checks[i].field, with its instrument', () => {
    const out = parseChecksMessage(
      bodies.checks({ checks: [check({ indicated: 'x' }), check(), check({ instrument: 'SC-2', extra: 1 }), check({ ts: NOW })] }),
      { gateway: GW },
    );
    expect(out.accepted.map((c) => c.ts)).toEqual([NOW - 1000, NOW]);
    expect(out.acceptedIndex).toEqual([1, 3]);
    expect(out.batch).toEqual({ gateway: GW, count: 4 });
    expect(out.rejects.map((r) => [r.code, r.field, r.rule, r.index, r.instrument])).toEqual([
      ['E_SCHEMA', 'checks[0].indicated', 'type', 0, 'SC-0001'],
      ['E_SCHEMA', 'checks[2].extra', 'additionalProperties', 2, 'SC-2'],
    ]);
  });

  it('refuses a broken envelope as a whole, and more than LIMITS.maxChecksPerBatch checks', () => {
    expect(parseChecksMessage(JSON.stringify({ v: 1, gateway: GW }), {}).rejects).toEqual([
      expect.objectContaining({ code: 'E_SCHEMA', field: 'checks', rule: 'required' }),
    ]);
    expect(parseChecksMessage(bodies.checks({ checks: {} })).rejects[0]).toMatchObject({ code: 'E_SCHEMA', field: 'checks', rule: 'type' });
    const many = Array.from({ length: LIMITS.maxChecksPerBatch + 1 }, () => ({}));
    const out = parseChecksMessage(bodies.checks({ checks: many }), { maxBytes: 1e6 });
    expect(out.accepted).toEqual([]);
    expect(out.rejects).toEqual([expect.objectContaining({ code: 'E_SCHEMA', field: 'checks', rule: 'maxItems' })]);
  });
});

describe('defaults come from the config schemas', () => {
  it('ANALYTICS_DEFAULTS and INGEST_DEFAULTS are what loading an empty section fills in', () => {
    expect(loadConfig(AnalyticsConfig)).toEqual(ANALYTICS_DEFAULTS);
    expect(loadConfig(IngestConfig)).toEqual(INGEST_DEFAULTS);
    expect(loadConfig(GatewaySpool)).toEqual(SPOOL_DEFAULTS);
    expect(ANALYTICS_DEFAULTS).toMatchObject({ decisionRule: 'simple', nearLimitFraction: 0.8, dueSoonDays: 30, offlineAfterMs: 3_600_000 });
    expect(DRIFT_DEFAULTS).toMatchObject({
      decisionRule: ANALYTICS_DEFAULTS.decisionRule,
      nearLimitFraction: ANALYTICS_DEFAULTS.nearLimitFraction,
      dueSoonDays: ANALYTICS_DEFAULTS.dueSoonDays,
    });
    expect(Object.isFrozen(ANALYTICS_DEFAULTS)).toBe(true);
  });
});

describe('"is not known", one wording per code', () => {
  it('builds the issue, and the error thrown from it', () => {
    expect(unknownInstrument('SC-1')).toEqual({
      code: 'E_UNKNOWN_INSTRUMENT',
      field: 'id',
      rule: 'registered',
      value: 'SC-1',
      message: 'instrument "SC-1" is not known',
    });
    expect(unknownReference('R-1', 'checks[0].reference')).toMatchObject({
      code: 'E_UNKNOWN_REFERENCE',
      field: 'checks[0].reference',
      message: 'reference standard "R-1" is not known',
    });
    expect(unknownStation('ST-1')).toMatchObject({ code: 'E_UNKNOWN_STATION', message: 'station "ST-1" is not known' });
    expect(unknownChannel('SC-1', 'volume', { known: ['gross', 'net'] }).message).toBe('instrument SC-1 has no channel "volume"; it has gross, net');
    expect(unknownChannel('SC-1', 'volume', { known: [] }).message).toBe('instrument SC-1 has no channel "volume"; it has none yet');
    const err = MetronetError.fromIssue(unknownInstrument('SC-1'));
    expect(err).toMatchObject({
      code: 'E_UNKNOWN_INSTRUMENT',
      status: 404,
      message: 'instrument "SC-1" is not known',
      details: { field: 'id', value: 'SC-1' },
    });
  });
});
