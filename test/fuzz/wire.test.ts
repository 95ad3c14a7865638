import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetronetConfig, loadConfig, parseChecksMessage, parseReadingsMessage, parseStatusMessage, topics } from '../../core/index.js';
import * as broker from '../../broker/index.js';
import * as ingest from '../../ingest/index.js';
import * as analytics from '../../analytics/index.js';
import { openRegistry, openSqliteReadings, type ReadingsStore, type Registry } from '../../store/index.js';
import { periods, waitFor } from '../support/wait.js';
import { anyJson, count, fuzzParams, invalidId, report, timeout, validId } from './support.js';

/**
 * MQTT over the wire: generated messages (valid, broken, garbage, on good and bad topics)
 * published through a real aedes broker to running ingest and analytics services. After each
 * run: the services are alive and have acknowledged everything, their reject counters grew by
 * exactly the number of reasons the core parsers give for what was sent, and every valid reading
 * and check is stored.
 */
const ORG = 'org-wire';
const GW = 'gw-wire';
const FLUSH_MS = 20;
const UNITS = ['kg', 'L', 'Cel', '%'] as const;

let dir: string;
let mqtt: broker.BrokerHandle;
let registry: Registry;
let readings: ReadingsStore;
let ing: ingest.IngestHandle;
let ana: analytics.AnalyticsHandle;
let pub: MqttClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-fuzz-wire-'));
  mqtt = await broker.start({ host: '127.0.0.1', port: 0 });
  registry = openRegistry(join(dir, 'registry.db'));
  readings = openSqliteReadings(join(dir, 'readings.db'));
  registry.upsertOrg({ id: ORG, name: 'wire', kind: 'enterprise' });
  registry.upsertGateway({ id: GW, org: ORG });
  registry.upsertInstrument({ id: 'CHK-1', org: ORG, registration: 'registered', kind: 'scale' });
  registry.ensureChannel('CHK-1', 'mass', 'kg');
  registry.analytics.upsertReference({
    id: 'REF-W',
    lab: ORG,
    quantity: 'mass',
    unit: 'kg',
    nominal: 20,
    value: 20,
    U: 0.001,
    k: 2,
    calibratedOn: Date.now() - 86_400_000,
    due: Date.now() + 300 * 86_400_000,
    parent: null,
  });
  const cfg = loadConfig(MetronetConfig, {});
  ing = await ingest.start({ mqtt: { url: mqtt.url }, ingest: { ...cfg.ingest, clientId: 'fuzz-ingest', flushMs: FLUSH_MS }, registry, readings });
  ana = await analytics.start({ mqtt: { url: mqtt.url }, analytics: { ...cfg.analytics, clientId: 'fuzz-analytics' }, registry });
  pub = await connectAsync(mqtt.url, { clientId: 'fuzz-publisher', reconnectPeriod: 0 });
});

afterAll(async () => {
  await pub?.endAsync();
  await ana?.close();
  await ing?.close();
  await readings?.close();
  registry?.close();
  await mqtt?.close();
  rmSync(dir, { recursive: true, force: true });
  report();
});

// Times within the last 30 days; identities may repeat across runs (shrinking replays inputs),
// so what a run must store is counted as the identities not stored before it.
const BASE = Date.now() - 30 * 86_400_000;
const recentTs = fc.integer({ min: 0, max: 29 * 86_400_000 }).map((d) => BASE + d);
/** A reading valid against the contract and the registry: one unit per channel. */
const goodReading = fc
  .record({
    i: fc.integer({ min: 1, max: 5 }),
    u: fc.integer({ min: 0, max: UNITS.length - 1 }),
    value: fc.double({ min: -1e9, max: 1e9, noNaN: true }),
    ts: recentTs,
  })
  .map(({ i, u, value, ts }) => ({
    instrument: `W-${i}`,
    channel: `ch-${UNITS[u]}`,
    ts,
    value,
    unit: UNITS[u],
    status: 'ok',
  }));
const badReading = fc.tuple(goodReading, fc.integer({ min: 0, max: 5 }), invalidId).map(([r, how, bad]) => {
  const o: Record<string, unknown> = { ...r };
  [
    () => (o.instrument = bad),
    () => (o.ts = -1),
    () => (o.value = 'x'),
    () => (o.unit = 'furlong'),
    () => (o.status = 'happy'),
    () => (o.ts = Date.now() + 3_600_000),
  ][how]!();
  return o;
});
const goodCheck = fc
  .tuple(fc.double({ min: 19, max: 21, noNaN: true }), recentTs)
  .map(([indicated, ts]) => ({ instrument: 'CHK-1', channel: 'mass', ts, reference: 'REF-W', indicated }));
const badCheck = fc.tuple(goodCheck, fc.integer({ min: 0, max: 3 }), invalidId).map(([c, how, bad]) => {
  const o: Record<string, unknown> = { ...c };
  [() => (o.instrument = bad), () => (o.indicated = 'x'), () => (o.referenceU = -1), () => (o.extra = 1)][how]!();
  return o;
});

type Msg = { topic: string; payload: string | Buffer; to: 'ingest' | 'analytics' };
/** A valid live status, dated when it is sent (a status dated far from the clock is an E_CLOCK_SKEW reject). */
const STATUS_NOW = 'status dated now';
const dated = (m: Msg): Msg => (m.payload === STATUS_NOW ? { ...m, payload: JSON.stringify({ v: 1, gateway: GW, state: 'online', ts: Date.now() }) } : m);
const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
  anyJson.map((j) => JSON.stringify(j)),
);
const message: fc.Arbitrary<Msg> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(fc.array(goodReading, { maxLength: 10 }), fc.array(badReading, { maxLength: 3 }), fc.nat()).map(([g, b, seq]) => ({
      topic: topics.readings(ORG, GW),
      payload: JSON.stringify({ v: 1, gateway: GW, seq, readings: [...g, ...b] }),
      to: 'ingest' as const,
    })),
  },
  { weight: 1, arbitrary: garbage.map((payload) => ({ topic: topics.readings(ORG, GW), payload, to: 'ingest' as const })) },
  {
    weight: 1,
    arbitrary: fc.tuple(validId, fc.array(goodReading, { maxLength: 2 })).map(([gw, rs]) => ({
      topic: topics.readings(ORG, GW),
      payload: JSON.stringify({ v: 1, gateway: `${gw}-other`.slice(0, 60), seq: 1, readings: rs }),
      to: 'ingest' as const,
    })),
  },
  { weight: 1, arbitrary: garbage.map((payload) => ({ topic: `metronet/v1/${ORG}/bad gw!/readings`, payload, to: 'ingest' as const })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constant(STATUS_NOW),
        garbage.filter((g) => g.length > 0),
      )
      .map((payload) => ({ topic: topics.status(ORG, GW), payload, to: 'ingest' as const })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.array(goodCheck, { maxLength: 4 }), fc.array(badCheck, { maxLength: 2 }))
      .map(([g, b]) => ({ topic: topics.checks(ORG, GW), payload: JSON.stringify({ v: 1, gateway: GW, checks: [...g, ...b] }), to: 'analytics' as const })),
  },
  { weight: 1, arbitrary: garbage.map((payload) => ({ topic: topics.checks(ORG, GW), payload, to: 'analytics' as const })) },
);

/** Reasons the core parsers give for one message (the oracle, itself fuzzed in payloads.test.ts). */
interface Expected {
  rejects: number;
  readings: number;
  checks: number;
  accepted?: Array<{ instrument: string; channel: string; ts: number }>;
  validChecks?: Array<{ ts: number }>;
}

function expected(m: Msg): Expected {
  if (m.to === 'ingest') {
    if (m.topic.includes('bad gw!')) return { rejects: 1, readings: 0, checks: 0 };
    if (m.topic.endsWith('/status')) return { rejects: parseStatusMessage(m.payload, { gateway: GW }).rejects.length, readings: 0, checks: 0 };
    const p = parseReadingsMessage(m.payload, { now: Date.now(), gateway: GW });
    return { rejects: p.rejects.length, readings: p.accepted.length, checks: 0, accepted: p.accepted };
  }
  const c = parseChecksMessage(m.payload, { gateway: GW });
  return { rejects: c.rejects.length, readings: 0, checks: c.accepted.length, validChecks: c.accepted };
}

/** Readings and checks of these messages not stored yet (distinct identities): what the run must add. */
async function newIdentities(want: Expected[]): Promise<{ readings: number; checks: number }> {
  const readingKeys = new Set<string>();
  for (const r of want.flatMap((w) => w.accepted ?? [])) {
    const k = `${r.instrument}\u0000${r.channel}\u0000${r.ts}`;
    if (readingKeys.has(k)) continue;
    const have = await readings.query({ instrument: r.instrument, channel: r.channel, from: r.ts, to: r.ts + 1 });
    if (have.length === 0) readingKeys.add(k);
  }
  const checkTs = new Set<number>();
  for (const c of want.flatMap((w) => w.validChecks ?? [])) {
    if (!checkTs.has(c.ts) && registry.analytics.listChecks({ instrument: 'CHK-1', channel: 'mass', from: c.ts, to: c.ts + 1 }).length === 0) checkTs.add(c.ts);
  }
  return { readings: readingKeys.size, checks: checkTs.size };
}

const rejectedByIngest = () => Object.values(ing.stats().rejected).reduce((a, b) => a + b, 0);

describe('MQTT over the wire into running ingest and analytics', () => {
  it(
    'counts every refusal, stores every valid reading and check, stays alive',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 12 }), async (generated) => {
          const msgs = generated.map(dated);
          count('mqtt over the wire (messages)', msgs.length);
          const before = { ing: ing.stats(), rejects: rejectedByIngest(), ana: ana.stats(), stored: await readings.count() };
          const each: Expected[] = msgs.map(expected);
          const fresh = await newIdentities(each);
          const want = { rejects: each.reduce((n, e) => n + e.rejects, 0), readings: fresh.readings, checks: fresh.checks };
          const toIngest = msgs.filter((m) => m.to === 'ingest').length;
          const toAnalytics = msgs.length - toIngest;
          const wantIngestRejects = msgs
            .filter((m) => m.to === 'ingest')
            .map(expected)
            .reduce((a, b) => a + b.rejects, 0);
          for (const m of msgs) await pub.publishAsync(m.topic, m.payload, { qos: 1 });
          await waitFor(() => ing.stats().acked - before.ing.acked >= toIngest && ana.stats().checksReceived - before.ana.checksReceived >= toAnalytics, {
            message: 'every message handled',
            timeout: periods(10, FLUSH_MS),
          });
          await waitFor(async () => (await readings.count()) - before.stored >= want.readings, {
            message: 'valid readings stored',
            timeout: periods(10, FLUSH_MS),
          });
          expect(ing.stats().rejected.E_INTERNAL - before.ing.rejected.E_INTERNAL, 'no message made ingest fail').toBe(0);
          expect(rejectedByIngest() - before.rejects, 'ingest rejects').toBe(wantIngestRejects);
          expect(ana.stats().checksRejected - before.ana.checksRejected, 'analytics rejects').toBe(want.rejects - wantIngestRejects);
          expect(ana.stats().checksStored - before.ana.checksStored, 'checks stored').toBe(want.checks);
          expect((await readings.count()) - before.stored, 'readings stored').toBe(want.readings);
        }),
        fuzzParams(15, [
          // Found by this property (the oracle, not the service, was wrong): a status "{}" gives one
          // reason per missing field, not one.
          [
            [
              { topic: topics.status(ORG, GW), payload: '{}', to: 'ingest' },
              { topic: `metronet/v1/${ORG}/bad gw!/readings`, payload: '[]', to: 'ingest' },
            ],
          ],
        ]),
      );
      // Still alive: a last valid message goes through both services.
      const last = { instrument: 'W-1', channel: 'ch-kg', ts: Date.now() - 1, value: 1, unit: 'kg', status: 'ok' };
      const stored = await readings.count();
      await pub.publishAsync(topics.readings(ORG, GW), JSON.stringify({ v: 1, gateway: GW, seq: 999, readings: [last] }), { qos: 1 });
      await waitFor(async () => (await readings.count()) === stored + 1, { message: 'the last reading stored', timeout: periods(3, FLUSH_MS) });
      const checks = ana.stats().checksStored;
      await pub.publishAsync(
        topics.checks(ORG, GW),
        JSON.stringify({ v: 1, gateway: GW, checks: [{ instrument: 'CHK-1', channel: 'mass', ts: Date.now() - 1, reference: 'REF-W', indicated: 20 }] }),
        { qos: 1 },
      );
      await waitFor(() => ana.stats().checksStored === checks + 1, { message: 'the last check stored', timeout: periods(3, FLUSH_MS) });
    },
    timeout(90_000),
  );
});
