import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, parseReadingsMessage, parseTopic, topics, validateCheck, validateReading, type Reading } from '../../core/index.js';
import { judge } from '../../ingest/handlers.js';
import { Lookups } from '../../ingest/lookups.js';
import { openRegistry, type Registry } from '../../store/index.js';
import { anyJson, count, expectReason, fuzzParams, invalidId, report, validId, validReading } from './support.js';

/**
 * MQTT payloads and topics through the core parsers (and ingest's judge, which adds the registry
 * checks): whatever arrives, nothing throws, every refusal names code, field and reason, every
 * valid reading is accepted, and one bad reading never spoils the rest of its batch.
 */
const NOW = 1_795_351_600_000;
const GW = 'gw-fuzz';
const ORG = 'org-fuzz';

afterAll(report);

/** One field of a valid reading broken, with the field name the refusal must carry. */
const brokenReading = (now: number) =>
  fc.tuple(validReading(now), fc.integer({ min: 0, max: 13 }), invalidId, fc.string({ maxLength: 20 })).map(([r, how, badId, junk]) => {
    const o: Record<string, unknown> = { ...r };
    const cases: Array<[string, () => void]> = [
      ['instrument', () => (o.instrument = badId)],
      ['channel', () => (o.channel = badId)],
      ['instrument', () => delete o.instrument],
      ['ts', () => (o.ts = -1 - Math.abs(r.ts))],
      ['ts', () => (o.ts = r.ts + 0.5)],
      ['ts', () => (o.ts = String(r.ts))],
      ['ts', () => (o.ts = now + LIMITS.maxFutureMs + 1000 + r.ts)],
      ['value', () => (o.value = junk)],
      ['value', () => (o.value = null)],
      ['unit', () => (o.unit = `x-${junk}`.slice(0, 16))],
      ['unit', () => (o.unit = '')],
      ['status', () => (o.status = `bad-${junk}`)],
      [junk ? `x${junk.replace(/[^a-z]/g, '')}` : 'extra', () => (o[junk ? `x${junk.replace(/[^a-z]/g, '')}` : 'extra'] = 1)],
      ['unit', () => (o.unit = 7)],
    ];
    const [field, apply] = cases[how]!;
    apply();
    return { reading: o, field };
  });

describe('readings message (parseReadingsMessage)', () => {
  it('any bytes or JSON: no throw; without a valid envelope nothing is accepted and the refusal has a reason', () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      anyJson.map((j) => JSON.stringify(j)),
      fc.record({ v: anyJson, gateway: anyJson, seq: anyJson, readings: anyJson }, { requiredKeys: [] }).map((j) => JSON.stringify(j)),
    );
    fc.assert(
      fc.property(payload, (p) => {
        count('mqtt payload: readings (core parser)');
        const out = parseReadingsMessage(p, { now: NOW, gateway: GW });
        for (const r of out.rejects) expectReason(r);
        if (!out.batch) {
          expect(out.accepted).toEqual([]);
          expect(out.rejects.length).toBeGreaterThan(0);
        }
        // With a valid envelope every reading is either accepted (and valid) or refused by index.
        if (out.batch) {
          for (const r of out.accepted) expect(validateReading(r)).toBe(true);
          const judged = new Set([...(out.acceptedIndex ?? []), ...out.rejects.map((r) => r.index)]);
          expect(judged.size).toBe(out.batch.count);
        }
      }),
      fuzzParams(400),
    );
  });

  it('valid batches are accepted whole, in order', () => {
    fc.assert(
      fc.property(fc.array(validReading(NOW), { maxLength: 40 }), fc.nat(), (readings, seq) => {
        count('mqtt payload: readings (core parser)');
        const out = parseReadingsMessage(JSON.stringify({ v: 1, gateway: GW, seq, readings }), { now: NOW, gateway: GW });
        expect(out.rejects).toEqual([]);
        expect(out.accepted).toEqual(readings.map((r) => ({ ...r, value: JSON.parse(JSON.stringify(r.value)) as number })));
        expect(out.batch).toEqual({ gateway: GW, seq, count: readings.length });
      }),
      fuzzParams(300),
    );
  });

  it('a broken reading is refused naming readings[i].field; the valid rest is accepted', () => {
    const item = fc.oneof(
      validReading(NOW).map((reading) => ({ reading: reading as Record<string, unknown>, field: null as string | null })),
      brokenReading(NOW),
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 30 }), (items) => {
        count('mqtt payload: readings (core parser)');
        const out = parseReadingsMessage(JSON.stringify({ v: 1, gateway: GW, seq: 1, readings: items.map((i) => i.reading) }), { now: NOW, gateway: GW });
        const good = items.flatMap((it, i) => (it.field === null ? [i] : []));
        expect(out.acceptedIndex).toEqual(good);
        items.forEach((it, i) => {
          if (it.field === null) return;
          const mine = out.rejects.filter((r) => r.index === i);
          expect(mine.length, `readings[${i}] must be refused`).toBeGreaterThan(0);
          for (const r of mine) expectReason(r);
          expect(mine.map((r) => r.field)).toContain(`readings[${i}].${it.field}`);
        });
      }),
      fuzzParams(300),
    );
  });

  it('a gateway other than the topic gateway refuses the batch with E_GATEWAY_MISMATCH', () => {
    fc.assert(
      fc.property(
        validId.filter((g) => g !== GW),
        fc.array(validReading(NOW), { maxLength: 5 }),
        (gateway, readings) => {
          count('mqtt payload: readings (core parser)');
          const out = parseReadingsMessage(JSON.stringify({ v: 1, gateway, seq: 0, readings }), { now: NOW, gateway: GW });
          expect(out.accepted).toEqual([]);
          expect(out.rejects.map((r) => r.code)).toEqual(['E_GATEWAY_MISMATCH']);
        },
      ),
      fuzzParams(100),
    );
  });
});

describe('topics (parseTopic)', () => {
  it('any string: no throw; what parses rebuilds to the same topic', () => {
    const segment = fc.oneof(validId, invalidId, fc.constantFrom('readings', 'checks', 'status', 'alerts', 'labs', '+', '#', ''));
    const topic = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(segment, { maxLength: 6 }).map((s) => `metronet/v1/${s.join('/')}`),
    );
    fc.assert(
      fc.property(topic, (t) => {
        count('mqtt topic (parseTopic)');
        const p = parseTopic(t);
        if (p === null) return;
        const rebuilt = p.kind === 'orgAlerts' ? topics.orgAlerts(p.org) : p.kind === 'labAlerts' ? topics.labAlerts(p.lab) : topics[p.kind](p.org, p.gateway);
        expect(rebuilt).toBe(t);
      }),
      fuzzParams(500),
    );
  });

  it('every gateway topic built from valid ids parses back', () => {
    fc.assert(
      fc.property(
        validId.filter((o) => o !== 'labs'),
        validId,
        fc.constantFrom('readings', 'checks', 'status') as fc.Arbitrary<'readings' | 'checks' | 'status'>,
        (org, gateway, kind) => {
          count('mqtt topic (parseTopic)');
          expect(parseTopic(topics[kind](org, gateway))).toEqual({ kind, org, gateway });
        },
      ),
      fuzzParams(200),
    );
  });
});

describe('checks (validateCheck)', () => {
  const check = fc.record(
    {
      instrument: validId,
      channel: validId,
      ts: fc.integer({ min: 0, max: NOW }),
      reference: validId,
      referenceValue: fc.double({ noNaN: true, noDefaultInfinity: true }),
      referenceU: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
      indicated: fc.double({ noNaN: true, noDefaultInfinity: true }),
    },
    { requiredKeys: ['instrument', 'channel', 'ts', 'indicated'] },
  );

  it('valid checks are accepted; one broken field is refused naming checks[i].field', () => {
    const broken = fc.tuple(check, fc.integer({ min: 0, max: 6 }), invalidId).map(([c, how, bad]) => {
      const o: Record<string, unknown> = { ...c };
      const cases: Array<[string, () => void]> = [
        ['instrument', () => (o.instrument = bad)],
        ['channel', () => delete o.channel],
        ['ts', () => (o.ts = -5)],
        ['indicated', () => (o.indicated = 'x')],
        ['referenceU', () => (o.referenceU = -1)],
        ['reference', () => (o.reference = bad)],
        ['colour', () => (o.colour = 'red')],
      ];
      const [field, apply] = cases[how]!;
      apply();
      return { o, field };
    });
    fc.assert(
      fc.property(check, broken, fc.nat(99), (good, bad, i) => {
        count('mqtt payload: checks (core schema)', 2);
        expect(validateCheck(JSON.parse(JSON.stringify(good)))).toBe(true);
        expect(validateCheck(bad.o)).toBe(false);
        const issues = validateCheck.issues(bad.o, `checks[${i}]`);
        for (const issue of issues) expectReason(issue);
        expect(issues.map((x) => x.field)).toContain(`checks[${i}].${bad.field}`);
      }),
      fuzzParams(300),
    );
  });
});

describe('status and readings through ingest judge (with a registry)', () => {
  let dir: string;
  let registry: Registry;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'metronet-fuzz-judge-'));
    registry = openRegistry(join(dir, 'registry.db'));
    registry.upsertOrg({ id: ORG, name: 'fuzz', kind: 'enterprise' });
    registry.upsertOrg({ id: 'other-org', name: 'other', kind: 'enterprise' });
    registry.upsertInstrument({ id: 'FOREIGN-1', org: 'other-org', registration: 'registered' });
  });
  afterAll(() => {
    registry.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = () => ({ registry, lookups: new Lookups(registry), now: NOW, maxFutureMs: LIMITS.maxFutureMs });

  it('any status payload: no throw, refusals with reasons; valid statuses accepted', () => {
    const validStatus = fc.record(
      {
        v: fc.constant(1),
        gateway: fc.constant(GW),
        state: fc.constantFrom('online', 'offline'),
        ts: fc.integer({ min: 0, max: NOW }),
        version: fc.string({ maxLength: 20 }),
        spool: fc.record({ depth: fc.nat(), full: fc.boolean(), dropped: fc.nat() }),
        instruments: fc.array(fc.record({ instrument: validId.filter((i) => i !== 'FOREIGN-1'), profile: validId }), { maxLength: 5 }),
      },
      { requiredKeys: ['v', 'gateway', 'state', 'ts'] },
    );
    const anyStatus = fc.oneof(
      anyJson.map((j) => JSON.stringify(j)),
      fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
      fc.record({ v: anyJson, gateway: anyJson, state: anyJson, ts: anyJson, instruments: anyJson }, { requiredKeys: [] }).map((j) => JSON.stringify(j)),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          validStatus.map((s) => ({ s: JSON.stringify(s), valid: true })),
          anyStatus.map((s) => ({ s, valid: false })),
        ),
        ({ s, valid }) => {
          count('mqtt payload: status (ingest judge)');
          const buf = Buffer.isBuffer(s) ? s : Buffer.from(s);
          const v = judge(ctx(), topics.status(ORG, GW), buf);
          for (const r of v.rejects) expectReason(r);
          if (valid) expect(v.rejects).toEqual([]);
          else if (buf.length > 0 && v.rejects.length === 0) expect(JSON.parse(buf.toString()).gateway).toBe(GW); // it was a valid status after all
        },
      ),
      fuzzParams(300),
    );
  });

  it('readings: a foreign instrument or a unit change is refused with a reason; the rest stored', () => {
    const item = fc.oneof(
      {
        weight: 4,
        arbitrary: validReading(NOW).map((r) => ({
          r: { ...r, instrument: `I-${r.instrument}`.slice(0, 60), channel: 'c', unit: 'kg' } as Reading,
          code: null as string | null,
        })),
      },
      {
        weight: 1,
        arbitrary: validReading(NOW).map((r) => ({ r: { ...r, instrument: 'FOREIGN-1' } as Reading, code: 'E_FOREIGN_INSTRUMENT' as string | null })),
      },
      {
        weight: 1,
        arbitrary: validReading(NOW).map((r) => ({
          r: { ...r, instrument: `I-${r.instrument}`.slice(0, 60), channel: 'c', unit: 'g' } as Reading,
          code: 'E_UNIT_MISMATCH' as string | null,
        })),
      },
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 20 }), (items) => {
        count('mqtt payload: readings (ingest judge)');
        // The first sight of a channel fixes its unit (kg): make every instrument known before.
        const c = ctx();
        for (const { r } of items) {
          if (r.instrument === 'FOREIGN-1') continue;
          c.lookups.instrument(ORG, r.instrument, GW, NOW);
          c.lookups.unit(r.instrument, 'c', 'kg', NOW);
        }
        const v = judge(c, topics.readings(ORG, GW), Buffer.from(JSON.stringify({ v: 1, gateway: GW, seq: 1, readings: items.map((i) => i.r) })));
        for (const r of v.rejects) expectReason(r);
        expect(v.rejects.map((r) => r.code).sort()).toEqual(items.flatMap((i) => (i.code ? [i.code] : [])).sort());
        expect(v.readings.length).toBe(items.filter((i) => i.code === null).length);
      }),
      fuzzParams(150),
    );
  });
});
