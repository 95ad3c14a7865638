import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../core/index.js';
import * as broker from '../../broker/index.js';
import * as ingest from '../../ingest/index.js';
import { Engine } from '../../analytics/engine.js';
import { buildApp, type App } from '../../dashboard/app.js';
import { openRegistry, openSqliteReadings, type ReadingsStore, type Registry, type RejectRecord, type Role } from '../../store/index.js';
import { DAY } from '../../core/time.js';

/**
 * Instrument identity over time (issue 15, section 7), through MQTT (a real embedded broker and
 * ingest) and the public REST API, as the organisations that would try it:
 *
 * - an id removed and registered again by another organisation starts with empty history: the
 *   new owner sees none of the old owner's readings, checks, certificates or alerts, and the old
 *   owner's gateway is refused on its very next message (no cache window, no sleep);
 * - one status message announcing 50 unknown ids creates at most `ingest.maxUnregisteredPerMessage`;
 * - an id squatted by another organisation's gateway is refused to its real owner without naming
 *   the squatter, and the authority reassigns it (audited), starting empty.
 */
const OLD = { ent: 'ent-old', gw: 'gw-old' };
const NEW = { ent: 'ent-new', gw: 'gw-new' };

let dir: string;
let mqtt: broker.BrokerHandle;
let pub: MqttClient;
let registry: Registry;
let readings: ReadingsStore;
let service: ingest.IngestHandle;
let app: App;
const auth = {} as Record<'admin' | 'authority' | 'old' | 'new', { authorization: string }>;
const waiters: { payload: string; resolve: () => void }[] = [];
let seq = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-identity-'));
  mqtt = await broker.start({ host: '127.0.0.1', port: 0 });
  // Ingest's PUBACK reaches the broker once what the message brought (readings, rejects) is committed.
  mqtt.aedes.on('ack', (packet, client) => {
    if (!client?.id.startsWith('ingest-identity') || !packet || !('payload' in packet)) return;
    const i = waiters.findIndex((w) => w.payload === packet.payload.toString());
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve();
  });
  pub = await connectAsync(mqtt.url, { clientId: 'pub-identity', reconnectPeriod: 0 });
  registry = openRegistry(join(dir, 'registry.db'));
  readings = openSqliteReadings(join(dir, 'readings.db'));
  registry.upsertOrg({ id: 'tdc', name: 'Chi cục TĐC', kind: 'authority' });
  registry.upsertOrg({ id: OLD.ent, name: 'Old owner', kind: 'enterprise' });
  registry.upsertOrg({ id: NEW.ent, name: 'New owner', kind: 'enterprise' });
  registry.upsertOrg({ id: 'lab-x', name: 'Lab X', kind: 'lab' });
  const users: Array<[keyof typeof auth, Role, string | null]> = [
    ['admin', 'admin', null],
    ['authority', 'authority', 'tdc'],
    ['old', 'enterprise', OLD.ent],
    ['new', 'enterprise', NEW.ent],
  ];
  for (const [name, role, org] of users) {
    await registry.identity.createUser({ id: `u-${name}`, role, org, password: `password-of-${name}` });
    auth[name] = { authorization: `Bearer ${registry.identity.issueToken({ kind: 'api', user: `u-${name}`, ttlMs: DAY }).secret}` };
  }
  service = await ingest.start({
    mqtt: { url: mqtt.url },
    ingest: { batchSize: 1000, flushMs: 20, maxFutureMs: 300_000, clientId: 'ingest-identity' },
    registry,
    readings,
  });
  app = await buildApp({ registry, readings, analytics: new Engine({ registry }) });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await service?.close();
  await pub?.endAsync(true);
  await mqtt?.close();
  registry?.close();
  await readings?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Publishes and resolves once ingest has committed the message (its PUBACK). */
async function send(topic: string, body: object): Promise<void> {
  const payload = JSON.stringify(body);
  const acked = new Promise<void>((resolve) => waiters.push({ payload, resolve }));
  await pub.publishAsync(topic, payload, { qos: 1 });
  await acked;
}

/** One readings batch of `gw` and what ingest refused of it. */
async function publishReadings(org: string, gw: string, instrument: string, values: number[]): Promise<RejectRecord[]> {
  const before = registry.listRejects({ gateway: gw, limit: 10_000 }).length;
  const t = Date.now();
  const batch = values.map((value, i) => ({ instrument, channel: 'mass', ts: t - (values.length - i), value, unit: 'kg', status: 'ok' }));
  await send(topics.readings(org, gw), { v: 1, gateway: gw, seq: ++seq, readings: batch });
  return registry.listRejects({ gateway: gw, limit: 10_000 }).slice(0, registry.listRejects({ gateway: gw, limit: 10_000 }).length - before);
}

async function api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, who: keyof typeof auth, payload?: object, lang?: string) {
  const res = await app.inject({ method, url, payload, headers: { ...auth[who], ...(lang ? { 'accept-language': lang } : {}) } });
  return {
    status: res.statusCode,
    body: res.body,
    json: () => res.json() as Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } },
  };
}

describe('an id removed and registered again by another organisation', () => {
  const ID = 'SC-0001';

  it('the old owner builds a history: readings over MQTT, a check, a certificate, an alert', async () => {
    expect(await publishReadings(OLD.ent, OLD.gw, ID, [20.001, 20.002, 20.003])).toEqual([]);
    expect(registry.getInstrument(ID)).toMatchObject({ org: OLD.ent, registration: 'unregistered' });
    const reg = await api('PUT', `/api/v1/instruments/${ID}`, 'old', { kind: 'scale', name: 'old scale' });
    expect(reg.status).toBe(200);
    const check = await api('POST', `/api/v1/instruments/${ID}/checks`, 'old', {
      checks: [{ channel: 'mass', ts: Date.now() - 3_600_000, referenceValue: 20, referenceU: 0.001, indicated: 20.004 }],
    });
    expect(check.status, check.body).toBe(200);
    const now = Date.now();
    registry.analytics.insertCalibration({
      instrument: ID,
      type: 'verification',
      date: now - 10 * DAY,
      lab: 'lab-x',
      certificate: 'KĐ-OLD-0001',
      procedure: null,
      conditions: null,
      results: [],
      references: [],
      result: 'pass',
      decisionRule: 'simple',
      statement: 'old owner certificate',
      authorisedBy: 'inspector',
      intervalDays: 365,
      nextDue: now + 355 * DAY,
    } as Parameters<Registry['analytics']['insertCalibration']>[0]);
    registry.analytics.raiseAlert(
      { kind: 'out_of_tolerance', severity: 'critical', subject: ID, instrument: ID, channel: 'mass', org: OLD.ent, message: 'old alert' },
      now,
    );
    expect((await api('GET', `/api/v1/instruments/${ID}/calibrations`, 'old')).json().items).toHaveLength(1);
  });

  it('after DELETE the old gateway is refused on its next message, with a reason in both languages', async () => {
    expect((await api('DELETE', `/api/v1/instruments/${ID}`, 'admin')).status).toBe(204);
    const rejects = await publishReadings(OLD.ent, OLD.gw, ID, [20.004]);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ code: 'E_INSTRUMENT_REMOVED', field: 'readings[0].instrument', rule: 'removed', value: ID });
    expect(registry.getInstrument(ID)).toBeUndefined();
    expect(registry.instrumentTombstones(ID)).toMatchObject([{ id: ID, org: OLD.ent, reason: 'removed' }]);
    // The old registration's live alert closed with it.
    expect(registry.analytics.listAlerts({ instrument: ID, state: 'live' }).total).toBe(0);
  });

  it("the new owner's registration starts empty through every REST route", async () => {
    const created = await api('POST', '/api/v1/instruments', 'new', { id: ID, org: NEW.ent, kind: 'scale', name: 'new scale' });
    expect(created.status, created.body).toBe(201);
    expect(created.json()).toMatchObject({ id: ID, org: NEW.ent, channels: [] });
    const from = Date.now() - 30 * DAY;
    const series = await api('GET', `/api/v1/instruments/${ID}/readings?from=${from}`, 'new');
    expect(series.status).toBe(200);
    expect(series.json().series).toEqual([]);
    expect((await api('GET', `/api/v1/instruments/${ID}/checks`, 'new')).json().items).toEqual([]);
    expect((await api('GET', `/api/v1/instruments/${ID}/calibrations`, 'new')).json().items).toEqual([]);
    const drift = await api('GET', `/api/v1/instruments/${ID}/drift`, 'new');
    expect(drift.status).toBe(200);
    expect(drift.body).not.toContain('KĐ-OLD-0001');
    const alerts = await api('GET', '/api/v1/alerts', 'new');
    expect(alerts.body).not.toContain('old alert');
    for (const url of [`/api/v1/instruments/${ID}`, `/api/v1/instruments/${ID}/readings?from=${from}`, `/api/v1/instruments/${ID}/drift`, '/api/v1/alerts']) {
      expect((await api('GET', url, 'new')).body, url).not.toContain(OLD.ent);
    }
    // The records stay in the stores as the earlier registration's history.
    expect(await readings.count(ID)).toBe(3);
  });

  it("the old gateway is refused at once as foreign; the new owner's readings are the only ones shown", async () => {
    const foreign = await publishReadings(OLD.ent, OLD.gw, ID, [20.005]);
    expect(foreign).toMatchObject([{ code: 'E_FOREIGN_INSTRUMENT', rule: 'tenant' }]);
    expect(foreign[0]?.message).not.toContain(NEW.ent);
    // A reading dated before the registration began belongs to no registration of the id: refused with its reason.
    const early = Date.now() - 30 * DAY;
    await send(topics.readings(NEW.ent, NEW.gw), {
      v: 1,
      gateway: NEW.gw,
      seq: ++seq,
      readings: [{ instrument: ID, channel: 'mass', ts: early, value: 1, unit: 'kg', status: 'ok' }],
    });
    expect(registry.listRejects({ gateway: NEW.gw, limit: 1 })[0]).toMatchObject({
      code: 'E_BEFORE_REGISTRATION',
      field: 'readings[0].ts',
      rule: 'registration',
    });
    expect(await publishReadings(NEW.ent, NEW.gw, ID, [19.999, 20.0])).toEqual([]);
    const series = await api('GET', `/api/v1/instruments/${ID}/readings?from=${Date.now() - DAY}`, 'new');
    expect(series.json().series).toMatchObject([{ channel: 'mass', points: [{ value: 19.999 }, { value: 20.0 }] }]);
  });
});

describe('unregistered instruments created from MQTT are bounded', () => {
  it('a status announcing 50 unknown ids creates 20 (ingest.maxUnregisteredPerMessage) and refuses the rest with a reason', async () => {
    const instruments = Array.from({ length: 50 }, (_, i) => ({ instrument: `TAKEN-${String(i + 1).padStart(2, '0')}`, profile: 'scale-tcp' }));
    const before = registry.listRejects({ gateway: OLD.gw, limit: 10_000 }).length;
    await send(topics.status(OLD.ent, OLD.gw), { v: 1, gateway: OLD.gw, state: 'online', ts: Date.now(), instruments });
    const rejects = registry.listRejects({ gateway: OLD.gw, limit: 10_000 }).slice(0, registry.listRejects({ gateway: OLD.gw, limit: 10_000 }).length - before);
    const created = registry.listInstruments({ org: OLD.ent, registration: 'unregistered', q: 'TAKEN-', limit: 100 }).total;
    expect(created).toBe(20);
    expect(rejects).toHaveLength(30);
    for (const r of rejects)
      expect(r).toMatchObject({
        code: 'E_UNREGISTERED_LIMIT',
        rule: 'maxUnregisteredPerMessage',
        field: expect.stringMatching(/^instruments\[\d+\]\.instrument$/),
      });
    expect(rejects[0]?.message).toContain('ingest.maxUnregisteredPerMessage');
  });

  it('the gateway stops at ingest.maxUnregisteredPerGatewayPerHour (50) however many messages it sends', async () => {
    for (let k = 0; k < 3; k++) {
      const instruments = Array.from({ length: 20 }, (_, i) => ({ instrument: `MORE-${k}-${i}`, profile: 'scale-tcp' }));
      await send(topics.status(OLD.ent, OLD.gw), { v: 1, gateway: OLD.gw, state: 'online', ts: Date.now(), instruments });
    }
    // 20 TAKEN-… this hour already: 30 MORE-… reach the hour's 50 (the bound counts what the gateway holds unregistered).
    expect(registry.listInstruments({ org: OLD.ent, registration: 'unregistered', q: 'MORE-', limit: 100 }).total).toBe(30);
    expect(registry.listRejects({ gateway: OLD.gw, limit: 1 })[0]).toMatchObject({ code: 'E_UNREGISTERED_LIMIT', rule: 'maxUnregisteredPerGatewayPerHour' });
  });
});

describe('a squatted id never blocks its real owner', () => {
  const ID = 'TAKEN-01';

  it("registering an id another organisation's gateway holds is refused, naming nothing of it, in the caller's language", async () => {
    const en = await api('POST', '/api/v1/instruments', 'new', { id: ID, org: NEW.ent, kind: 'scale' });
    expect(en.status).toBe(409);
    expect(en.json().error).toMatchObject({ code: 'E_INSTRUMENT_HELD', details: { field: 'id', rule: 'heldByAnotherOrganisation', value: ID } });
    expect(en.json().error?.message).toContain('authority');
    const vi = await api('POST', '/api/v1/instruments', 'new', { id: ID, org: NEW.ent, kind: 'scale' }, 'vi');
    expect(vi.json().error?.message).toContain('Chi cục TĐC');
    for (const body of [en.body, vi.body]) {
      for (const secret of [OLD.ent, OLD.gw, 'Old owner', 'scale-tcp']) expect(body).not.toContain(secret);
    }
    // Nor may the new owner complete or read it.
    expect([403, 404]).toContain((await api('PUT', `/api/v1/instruments/${ID}`, 'new', { kind: 'scale' })).status);
  });

  it('only the authority reassigns; the id starts empty for the new owner, audited, and the old gateway is refused at once', async () => {
    expect((await api('POST', `/api/v1/instruments/${ID}/reassign`, 'new', { org: NEW.ent })).status).toBe(403);
    const res = await api('POST', `/api/v1/instruments/${ID}/reassign`, 'authority', { org: NEW.ent });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: ID, org: NEW.ent, registration: 'unregistered', gateway: null, profile: null, channels: [] });
    const entry = registry.audit.entries({ subject: `instrument:${ID}` }).at(-1);
    expect(entry).toMatchObject({
      action: 'instrument.reassign',
      actor: expect.stringContaining('u-authority'),
      before: { org: OLD.ent },
      after: { org: NEW.ent },
    });
    expect(registry.instrumentTombstones(ID)).toMatchObject([{ org: OLD.ent, reason: 'reassigned' }]);

    expect(await publishReadings(OLD.ent, OLD.gw, ID, [1.0])).toMatchObject([{ code: 'E_FOREIGN_INSTRUMENT' }]);
    const done = await api('PUT', `/api/v1/instruments/${ID}`, 'new', { kind: 'scale', name: 'our scale' });
    expect(done.status, done.body).toBe(200);
    expect(done.json()).toMatchObject({ org: NEW.ent, registration: 'registered' });
    expect(await publishReadings(NEW.ent, NEW.gw, ID, [5.0])).toEqual([]);
    const series = await api('GET', `/api/v1/instruments/${ID}/readings?from=${Date.now() - DAY}`, 'new');
    expect(series.json().series).toMatchObject([{ points: [{ value: 5.0 }] }]);
  });
});
