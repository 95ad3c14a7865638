import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import * as broker from '../../broker/index.js';
import * as analytics from '../../analytics/index.js';
import { futureDateIssue, standardFitness } from '../../analytics/entry-rules.js';
import { loadConfig, MetronetConfig, topics, type ToleranceSpec } from '../../core/index.js';
import { openSqliteReadings, type ReadingsStore, type ReferenceStandard, type Registry } from '../../store/index.js';
import { waitFor } from '../support/wait.js';
import { DAY, T0, TEST_ANCHOR, bearer, seededRegistry } from '../analytics/support.js';

/**
 * What may be entered (issue 15, section 2), driven through the REST API and the checks topic as
 * the role that would try each rule: a lab records checks, an enterprise tries a lab's standard,
 * a gateway publishes a multi-load check twice. Rules: analytics/entry-rules.ts.
 */
let app: App;
let base: string;
let registry: Registry;
let readings: ReadingsStore;
let cleanup: () => void;
const clock = T0 + 200 * DAY;
let lab: Record<string, string>;
let owner: Record<string, string>;
const R76_III: ToleranceSpec = { model: 'oiml-r76', accuracyClass: 'III', e: 0.01 };

const post = async (auth: Record<string, string>, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}/api/v1/instruments/SC-1/checks`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) };
};
const get = async (path: string): Promise<any> => (await fetch(`${base}/api/v1/${path}`, { headers: lab })).json();
const std = (over: Partial<ReferenceStandard> & { id: string }): ReferenceStandard => ({
  lab: 'lab1',
  quantity: 'mass',
  unit: 'kg',
  nominal: 20,
  value: 20,
  U: 0.0016,
  k: 2,
  calibratedOn: T0 - 30 * DAY,
  due: T0 + 500 * DAY,
  parent: null,
  ...over,
});

beforeAll(async () => {
  const s = seededRegistry();
  registry = s.registry;
  cleanup = s.cleanup;
  const a = registry.analytics;
  a.upsertReference(std({ id: 'REF-10', nominal: 10, value: 10.00005, U: 0.0008 }), T0);
  a.upsertReference(std({ id: 'REF-TM-20L', quantity: 'volume', unit: 'L', value: 20.002, U: 0.004 }), T0);
  // U = 10 g (k = 2) on a class III scale at 20 kg: in-service MPE 20 g, verification MPE 10 g, both > 3 × U fails.
  a.upsertReference(std({ id: 'REF-M3-20KG', class: 'M3', U: 0.01 }), T0);
  a.upsertReference(std({ id: 'REF-CHO', lab: 'cho', U: 0.001 }), T0);
  for (const id of ['REF-10', 'REF-TM-20L', 'REF-M3-20KG', 'REF-CHO']) registry.records.setAnchor(id, TEST_ANCHOR, T0);
  readings = openSqliteReadings(`${s.dir}/readings.db`);
  lab = await bearer(registry, { id: 'lab1-user', role: 'lab', org: 'lab1' });
  owner = await bearer(registry, { id: 'cho-user', role: 'enterprise', org: 'cho' });
  app = await buildApp({ registry, readings, now: () => clock, analytics: new Engine({ registry, now: () => clock }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await readings?.close();
  cleanup?.();
});

describe('what may be entered in a check (REST, as a lab and as an enterprise)', () => {
  it('refuses a check dated beyond the clock tolerance, in Vietnamese, and takes one within it', async () => {
    const r = await post(lab, { checks: [{ channel: 'gross', ts: clock + 10 * 60_000, reference: 'REF-20', indicated: 20.001 }] }, { 'accept-language': 'vi' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('E_RECORD_IN_FUTURE');
    expect(r.body.error.message).toMatch(/tương lai.*tối đa 5 phút/);
    expect(r.body.error.details[0]).toMatchObject({ field: 'checks[0].ts', rule: 'not-in-future', code: 'E_RECORD_IN_FUTURE' });
    const en = await post(lab, { checks: [{ channel: 'gross', ts: clock + 10 * 60_000, reference: 'REF-20', indicated: 20.001 }] });
    expect(en.body.error.message).toMatch(/in the future/);
    const within = await post(lab, { checks: [{ channel: 'gross', ts: clock + 4 * 60_000, reference: 'REF-20', indicated: 20.001 }] });
    expect(within.body).toMatchObject({ stored: 1 });
    // The same rule, one function, for calibrations and verifications (their route calls it).
    expect(futureDateIssue(clock + 90 * DAY, clock, { maxFutureMinutes: 5 }, 'date')).toMatchObject({ code: 'E_RECORD_IN_FUTURE', field: 'date' });
    expect(futureDateIssue(clock + 5 * 60_000, clock, { maxFutureMinutes: 5 })).toBeNull();
  });

  it('refuses a volume standard on a mass channel', async () => {
    const r = await post(lab, { checks: [{ channel: 'gross', ts: clock - DAY, reference: 'REF-TM-20L', indicated: 20.001 }] }, { 'accept-language': 'vi' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'E_STANDARD_QUANTITY' });
    expect(r.body.error.details[0]).toMatchObject({ field: 'checks[0].reference', rule: 'same-dimension' });
    expect(r.body.error.message).toMatch(/cùng đại lượng/);
  });

  it('flags an expired standard and one with U > MPE/3 on the check; the drift view counts them', async () => {
    const r = await post(lab, {
      checks: [
        { channel: 'gross', ts: clock - 3 * DAY, reference: 'REF-OLD', indicated: 20.002 },
        { channel: 'gross', ts: clock - 3 * DAY, reference: 'REF-M3-20KG', indicated: 20.003 },
      ],
    });
    expect(r.body.stored).toBe(2);
    const [expired, coarse] = r.body.checks;
    expect(expired).toMatchObject({ reference: 'REF-OLD', traceable: false });
    expect(expired.fitness).toMatch(/expired on/);
    expect(coarse).toMatchObject({ reference: 'REF-M3-20KG', traceable: true });
    expect(coarse.fitness).toMatch(/more than 1\/3 of the in-service MPE 0\.02/);
    const drift = await get('instruments/SC-1/drift');
    expect(drift.channels[0].unfit).toBeGreaterThanOrEqual(2);
  });

  it('refuses for verification an expired standard and one with U > MPE/3 (standardFitness, as the verification path calls it)', () => {
    const a = registry.analytics;
    const old = standardFitness(a.getReference('REF-OLD')!, { unit: 'kg' }, R76_III, 20, clock);
    expect(old.map((i) => i.code)).toEqual(['E_STANDARD_EXPIRED']);
    expect(old[0]!.messageVi).toMatch(/hết hạn/);
    // Verification MPE at 20 kg (2 000 e) is 1 e = 10 g: U may be at most 3.33 g (OIML R76-1:2006 3.7.1).
    const coarse = standardFitness(a.getReference('REF-M3-20KG')!, { unit: 'kg' }, R76_III, 20, clock);
    expect(coarse).toEqual([expect.objectContaining({ code: 'E_STANDARD_UNCERTAINTY', rule: 'standard-u-le-third-mpe', field: 'reference' })]);
    expect(coarse[0]!.message).toMatch(/R76-1:2006 3\.7\.1/);
    expect(standardFitness(a.getReference('REF-20')!, { unit: 'kg' }, R76_III, 20, clock)).toEqual([]);
    expect(standardFitness(a.getReference('REF-TM-20L')!, { unit: 'kg' }, R76_III, 20, clock, { field: 'references[0]' })[0]).toMatchObject({
      code: 'E_STANDARD_QUANTITY',
      field: 'references[0]',
    });
  });

  it("refuses an enterprise naming a lab's standard without revealing its value, uncertainty or expiry", async () => {
    const r = await post(owner, { checks: [{ channel: 'gross', ts: clock - 2 * DAY, reference: 'REF-20', indicated: 20.004 }] }, { 'accept-language': 'vi' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('E_STANDARD_NOT_ALLOWED');
    expect(r.body.error.details[0]).toMatchObject({ field: 'checks[0].reference', rule: 'own-standard' });
    for (const secret of ['20.0001', '0.0016', new Date(T0 + 500 * DAY).toISOString().slice(0, 10), 'REF-F1']) expect(r.text).not.toContain(secret);
    // Its own working standard is fine.
    const own = await post(owner, { checks: [{ channel: 'gross', ts: clock - 2 * DAY, reference: 'REF-CHO', indicated: 20.004 }] });
    expect(own.body).toMatchObject({ stored: 1 });
  });

  it("takes the author from the signed-in principal, never from the body's by", async () => {
    const r = await post(lab, { checks: [{ channel: 'gross', ts: clock - 4 * DAY, reference: 'REF-20', indicated: 20.001 }], by: 'Chi cục TĐC' });
    expect(r.body.checks[0].by).toBe('lab1-user');
  });

  it('stores two checks at one instant at two loads; a repeat under one idempotency key is answered as a duplicate', async () => {
    const ts = clock - 5 * DAY;
    const body = {
      checks: [
        { channel: 'gross', ts, reference: 'REF-20', indicated: 20.002 },
        { channel: 'gross', ts, reference: 'REF-10', indicated: 10.001 },
      ],
    };
    const first = await post(lab, body, { 'idempotency-key': 'multi-load-1' });
    expect(first.body).toMatchObject({ stored: 2, duplicate: false, duplicates: 0, rejects: [] });
    const again = await post(lab, body, { 'idempotency-key': 'multi-load-1' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ stored: 2, duplicate: true });
    expect(again.body.checks.map((c: { id: number }) => c.id)).toEqual(first.body.checks.map((c: { id: number }) => c.id));
    const list = await get(`instruments/SC-1/checks?channel=gross&from=${ts}&to=${ts + 1}`);
    expect(list.items.map((c: { referenceValue: number }) => c.referenceValue).sort()).toEqual([10.00005, 20.0001]);
    // The same key for other checks loses nothing silently: refused.
    const other = await post(lab, { checks: [{ channel: 'gross', ts, reference: 'REF-20', indicated: 20.009 }] }, { 'idempotency-key': 'multi-load-1' });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'E_IDEMPOTENCY_MISMATCH', details: { field: 'idempotencyKey' } });
    // Without a key, the same check again is recognised by its identity.
    const plain = await post(lab, { checks: [body.checks[0]] });
    expect(plain.body).toMatchObject({ stored: 0, duplicates: 1, duplicate: false });
  });

  it('records a check without a registered standard as not traceable', async () => {
    const r = await post(owner, { checks: [{ channel: 'gross', ts: clock - 6 * DAY, referenceValue: 20, indicated: 20.004 }] });
    expect(r.body.checks[0]).toMatchObject({ traceable: false, reference: null });
    expect(r.body.checks[0].traceReason).toMatch(/no registered standard/);
  });
});

describe('what may be entered in a check (MQTT, as a gateway)', () => {
  it('stores a multi-load check once under its idempotency key and refuses a future one with a reason', async () => {
    const mq = await broker.start({ host: '127.0.0.1', port: 0 });
    const config = loadConfig(MetronetConfig, { overrides: { 'analytics.clientId': 'analytics-records-test' } });
    const svc = await analytics.start({ mqtt: { url: mq.url }, analytics: config.analytics, registry, now: () => clock });
    const gw = await mqtt.connectAsync(mq.url, { clientId: 'gw-1' });
    try {
      const ts = clock - 7 * DAY;
      const message = JSON.stringify({
        v: 1,
        gateway: 'gw-1',
        idempotencyKey: 'gw-1-batch-77',
        checks: [
          { instrument: 'SC-2', channel: 'gross', ts, reference: 'REF-20', indicated: 20.001 },
          { instrument: 'SC-2', channel: 'gross', ts, reference: 'REF-10', indicated: 10.0005 },
          { instrument: 'SC-2', channel: 'gross', ts: clock + 3_600_000, reference: 'REF-20', indicated: 20.001 },
        ],
      });
      await gw.publishAsync(topics.checks('cho', 'gw-1'), message, { qos: 1 });
      await waitFor(() => registry.analytics.listChecks({ instrument: 'SC-2' }).length === 2, 'the two loads to be stored');
      await gw.publishAsync(topics.checks('cho', 'gw-1'), message, { qos: 1 });
      await waitFor(() => svc.stats().checksReceived >= 2, 'the repeat to be handled');
      expect(registry.analytics.listChecks({ instrument: 'SC-2' }).map((c) => [c.referenceValue, c.by])).toEqual([
        [20.0001, 'gw-1'],
        [10.00005, 'gw-1'],
      ]);
      const future = registry.listRejects({ gateway: 'gw-1' }).filter((r) => r.code === 'E_RECORD_IN_FUTURE');
      expect(future[0]).toMatchObject({ field: 'checks[2].ts', rule: 'not-in-future', instrument: 'SC-2' });
    } finally {
      await gw.endAsync();
      await svc.close();
      await mq.close();
    }
  });
});
