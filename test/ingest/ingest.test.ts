import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topics, type IngestConfig } from '../../core/index.js';
import * as broker from '../../broker/index.js';
import { openRegistry, openSqliteReadings, type ReadingsStore, type Registry, type StoredReading } from '../../store/index.js';
import * as ingest from '../../ingest/index.js';
import { activeResources, expectNoLeaks } from '../support/resources.js';
import { sleep, waitFor } from '../support/wait.js';

/**
 * Ingest against a real embedded broker, real SQLite files and a real MQTT publisher.
 *
 * MQTT acknowledgements are hop by hop: the publisher's PUBACK comes from the broker as soon as
 * it has the message, whatever ingest does. What ingest acknowledges is observed where it
 * happens, at the broker: aedes emits `ack` with the original message when a subscriber's
 * PUBACK arrives. `send()` resolves on ingest's PUBACK, i.e. once the message is stored.
 */
const NOW = 1_795_351_600_000;
const ORG = 'org-a';
const GW = 'gw-a1';
const TOPIC = topics.readings(ORG, GW);

type Held = { entered: Promise<void>; release: () => void };

interface Env {
  dir: string;
  mqtt: broker.BrokerHandle;
  pub: MqttClient;
  registry: Registry;
  store: ReadingsStore;
  cfg: IngestConfig;
  writes: StoredReading[][];
  /** Hold the next store write until released. */
  holdWrites(): Held;
  /** Fail the next n store writes. */
  failWrites(n: number): void;
  send(topic: string, payload: string | object): Promise<void>;
  /** Whether ingest has acknowledged a message with this payload (as seen by the broker). */
  ackCount(payload: string): number;
  start(over?: Partial<ingest.IngestOptions>): Promise<ingest.IngestHandle>;
}

let env: Env;
let handles: ingest.IngestHandle[] = [];
let n = 0;

beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'metronet-ingest-'));
  const mqtt = await broker.start({ host: '127.0.0.1', port: 0 });
  const pub = await connectAsync(mqtt.url, { clientId: `pub-${n}`, reconnectPeriod: 0 });
  const registry = openRegistry(join(dir, 'registry.db'));
  const real = openSqliteReadings(join(dir, 'readings.db'));
  const cfg: IngestConfig = { batchSize: 1000, flushMs: 50, maxFutureMs: 300_000, clientId: `ingest-${n++}` };
  const writes: StoredReading[][] = [];
  let held: { entered: () => void; gate: Promise<void> } | undefined;
  let failures = 0;
  const store: ReadingsStore = {
    async write(readings) {
      if (failures > 0) {
        failures--;
        throw new Error('disk unplugged (test)');
      }
      const h = held;
      held = undefined;
      if (h) {
        h.entered();
        await h.gate;
      }
      writes.push(readings);
      return real.write(readings);
    },
    query: (q) => real.query(q),
    count: (i) => real.count(i),
    close: () => real.close(),
  };
  const acks = new Map<string, number>();
  const waiters: { payload: string; resolve: () => void }[] = [];
  mqtt.aedes.on('ack', (packet, client) => {
    if (!client?.id.startsWith('ingest-') || !packet || !('payload' in packet)) return;
    const payload = packet.payload.toString();
    acks.set(payload, (acks.get(payload) ?? 0) + 1);
    const i = waiters.findIndex((w) => w.payload === payload);
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve();
  });
  env = {
    dir,
    mqtt,
    pub,
    registry,
    store,
    cfg,
    writes,
    holdWrites() {
      let release!: () => void;
      let entered!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const enteredP = new Promise<void>((r) => (entered = r));
      held = { entered, gate };
      return { entered: enteredP, release };
    },
    failWrites(k) {
      failures = k;
    },
    async send(topic, body) {
      const payload = typeof body === 'string' ? body : JSON.stringify(body);
      const acked = new Promise<void>((resolve) => waiters.push({ payload, resolve }));
      await pub.publishAsync(topic, payload, { qos: 1 });
      await acked;
    },
    ackCount: (payload) => acks.get(payload) ?? 0,
    async start(over = {}) {
      const h = await ingest.start({
        mqtt: { url: mqtt.url },
        ingest: cfg,
        registry,
        readings: store,
        now: () => NOW,
        retry: { minMs: 10, maxMs: 50 },
        ...over,
      });
      handles.push(h);
      return h;
    },
  };
});

afterEach(async () => {
  for (const h of handles) await h.close();
  handles = [];
  await env.pub.endAsync(true);
  await env.mqtt.close();
  env.registry.close();
  await env.store.close();
  rmSync(env.dir, { recursive: true, force: true });
});

let seq = 0;
const batch = (readings: object[], gateway = GW) => ({ v: 1, gateway, seq: seq++, readings });
const rd = (instrument: string, channel: string, value: number, unit = 'kg', dt = 0, status = 'ok') => ({
  instrument,
  channel,
  ts: NOW - 60_000 + dt,
  value,
  unit,
  status,
});

describe('ingest', () => {
  it('stores a valid batch and moves latest values forward', async () => {
    const h = await env.start();
    await env.send(
      TOPIC,
      batch([rd('SC-1', 'mass', 20.001, 'kg', 0), rd('SC-1', 'mass', 20.004, 'kg', 1000, 'unstable'), rd('FD-1', 'volume', 12.5, 'L', 500)]),
    );
    expect(await env.store.count()).toBe(3);
    const [mass] = await env.store.query({ instrument: 'SC-1', from: NOW - 120_000, to: NOW });
    expect(mass?.points.map((p) => p.value)).toEqual([20.001, 20.004]);
    expect(env.registry.getChannel('SC-1', 'mass')).toMatchObject({ unit: 'kg', lastTs: NOW - 59_000, lastValue: 20.004, lastStatus: 'unstable' });
    expect(env.registry.getInstrument('FD-1')?.lastSeen).toBe(NOW - 59_500);
    // An older reading arriving later is stored but does not move the latest value back.
    await env.send(TOPIC, batch([rd('SC-1', 'mass', 19.9, 'kg', -5000)]));
    expect(env.registry.getChannel('SC-1', 'mass')?.lastValue).toBe(20.004);
    expect(h.stats()).toMatchObject({ received: 2, readingsIn: 4, stored: 4, acked: 2, pending: 0 });
  });

  it('stores a batch sent twice once', async () => {
    const h = await env.start();
    const b = batch([rd('SC-1', 'mass', 1), rd('SC-1', 'mass', 2, 'kg', 1000)]);
    await env.send(TOPIC, b);
    await env.send(TOPIC, b);
    expect(env.ackCount(JSON.stringify(b))).toBe(2);
    expect(await env.store.count()).toBe(2);
    expect(h.stats()).toMatchObject({ received: 2, readingsIn: 4 });
  });

  it('rejects malformed JSON with its code and keeps running', async () => {
    const h = await env.start();
    await env.send(TOPIC, '{"v":1,"gateway":');
    await env.send(TOPIC, batch([rd('SC-1', 'mass', 1)]));
    expect(await env.store.count()).toBe(1);
    expect(h.stats().rejected.E_MALFORMED_JSON).toBe(1);
    expect(env.registry.listRejects()[0]).toMatchObject({
      code: 'E_MALFORMED_JSON',
      field: '(payload)',
      value: '{"v":1,"gateway":',
      org: ORG,
      gateway: GW,
      ts: NOW,
    });
  });

  it('rejects a wrong unit, an unknown unit and a future ts, storing the valid rest of the batch', async () => {
    const h = await env.start();
    await env.send(
      TOPIC,
      batch([
        rd('SC-1', 'mass', 20.0, 'kg'), // first sight: the channel is in kg
        rd('SC-1', 'mass', 20005, 'g', 1000), // E_UNIT_MISMATCH
        rd('SC-2', 'mass', 5, 'kgs'), // E_UNKNOWN_UNIT
        rd('SC-3', 'mass', 7, 'kg', 3_660_000), // one hour ahead of the server clock: E_TS_IN_FUTURE
        rd('SC-2', 'mass', 5.5, 'kg', 2000),
      ]),
    );
    expect(await env.store.count()).toBe(2);
    expect(await env.store.count('SC-2')).toBe(1);
    const { rejected } = h.stats();
    expect(rejected).toMatchObject({ E_UNIT_MISMATCH: 1, E_UNKNOWN_UNIT: 1, E_TS_IN_FUTURE: 1 });
    const byCode = Object.fromEntries(env.registry.listRejects().map((r) => [r.code, r]));
    expect(byCode.E_UNIT_MISMATCH).toMatchObject({ field: 'readings[1].unit', value: 'g', instrument: 'SC-1', org: ORG, gateway: GW });
    expect(byCode.E_UNIT_MISMATCH?.message).toMatch(/expected "kg".*got "g"/);
    expect(byCode.E_UNKNOWN_UNIT).toMatchObject({ field: 'readings[2].unit', value: 'kgs', instrument: 'SC-2' });
    expect(byCode.E_TS_IN_FUTURE).toMatchObject({ field: 'readings[3].ts', value: NOW + 3_600_000, instrument: 'SC-3' });
    expect(
      h
        .recentRejects()
        .map((r) => r.code)
        .sort(),
    ).toEqual(['E_TS_IN_FUTURE', 'E_UNIT_MISMATCH', 'E_UNKNOWN_UNIT']);
    // The unit stays fixed in later messages too.
    await env.send(TOPIC, batch([rd('SC-1', 'mass', 20010, 'g', 5000)]));
    expect(h.stats().rejected.E_UNIT_MISMATCH).toBe(2);
    expect(env.registry.getChannel('SC-1', 'mass')?.unit).toBe('kg');
  });

  it('rejects a batch whose gateway differs from the topic, and a topic that is not metronet', async () => {
    const h = await env.start();
    await env.send(TOPIC, batch([rd('SC-1', 'mass', 1)], 'gw-other'));
    await env.send('metronet/v1/bad org!/gw-a1/readings', batch([rd('SC-1', 'mass', 1)]));
    expect(await env.store.count()).toBe(0);
    expect(h.stats().rejected).toMatchObject({ E_GATEWAY_MISMATCH: 1, E_TOPIC_INVALID: 1 });
    expect(env.registry.listRejects({ gateway: GW })[0]).toMatchObject({ code: 'E_GATEWAY_MISMATCH', field: 'gateway', value: 'gw-other' });
  });

  it('makes an unknown instrument known as unregistered for the topic organisation', async () => {
    await env.start();
    await env.send(TOPIC, batch([rd('NEW-1', 'mass', 3)]));
    expect(env.registry.getInstrument('NEW-1')).toMatchObject({ org: ORG, registration: 'unregistered', gateway: GW, createdAt: NOW, lastSeen: NOW - 60_000 });
    expect(env.registry.listInstruments({ org: ORG, registration: 'unregistered' }).total).toBe(1);
    expect(env.registry.getGateway(GW)).toMatchObject({ org: ORG, state: 'unknown' });
    expect(await env.store.count('NEW-1')).toBe(1);
  });

  it("refuses another organisation's instrument (tenant isolation) and stores its own", async () => {
    env.registry.upsertInstrument({ id: 'SC-B', org: 'org-b', registration: 'registered', kind: 'scale' });
    const h = await env.start();
    await env.send(TOPIC, batch([rd('SC-B', 'mass', 1), rd('SC-A', 'mass', 2)]));
    expect(await env.store.count('SC-B')).toBe(0);
    expect(await env.store.count('SC-A')).toBe(1);
    expect(env.registry.getInstrument('SC-B')).toMatchObject({ org: 'org-b', registration: 'registered' });
    expect(env.registry.listChannels('SC-B')).toEqual([]);
    expect(h.stats().rejected.E_FOREIGN_INSTRUMENT).toBe(1);
    expect(env.registry.listRejects({ org: ORG })[0]).toMatchObject({
      code: 'E_FOREIGN_INSTRUMENT',
      field: 'readings[0].instrument',
      value: 'SC-B',
      instrument: 'SC-B',
    });
  });

  it('records gateway status: state, version, announced instruments; refuses a foreign gateway', async () => {
    env.registry.upsertInstrument({ id: 'SC-B', org: 'org-b', registration: 'registered' });
    env.registry.upsertGateway({ id: 'gw-b1', org: 'org-b' });
    const h = await env.start();
    const status = {
      v: 1,
      gateway: GW,
      state: 'online',
      ts: NOW - 1000,
      version: '0.1.0',
      instruments: [
        { instrument: 'SC-9', profile: 'scale-generic' },
        { instrument: 'SC-B', profile: 'x' },
      ],
    };
    await env.send(topics.status(ORG, GW), status);
    expect(env.registry.getGateway(GW)).toMatchObject({ org: ORG, state: 'online', lastSeen: NOW - 1000, version: '0.1.0' });
    expect(env.registry.getInstrument('SC-9')).toMatchObject({ org: ORG, registration: 'unregistered', gateway: GW, profile: 'scale-generic' });
    expect(env.registry.getInstrument('SC-B')?.org).toBe('org-b');
    expect(h.stats().rejected.E_FOREIGN_INSTRUMENT).toBe(1);

    await env.send(topics.status(ORG, GW), { v: 1, gateway: GW, state: 'offline', ts: NOW - 5000 });
    expect(env.registry.getGateway(GW)).toMatchObject({ state: 'offline', lastSeen: NOW - 1000 });

    await env.send(topics.status(ORG, 'gw-b1'), { v: 1, gateway: 'gw-b1', state: 'online', ts: NOW });
    expect(env.registry.getGateway('gw-b1')).toMatchObject({ org: 'org-b', state: 'unknown' });
    await env.send(topics.status(ORG, GW), { v: 1, gateway: GW, state: 'sleeping', ts: NOW });
    expect(h.stats().rejected).toMatchObject({ E_FORBIDDEN: 1, E_SCHEMA: 1 });
  });

  it('acknowledges a message only after its readings are stored', async () => {
    await env.start();
    const held = env.holdWrites();
    const b = JSON.stringify(batch([rd('SC-1', 'mass', 1), rd('SC-1', 'mass', 2, 'kg', 1000)]));
    await env.pub.publishAsync(TOPIC, b, { qos: 1 }); // the broker's PUBACK to the publisher
    await held.entered; // ingest has the message and is writing it
    await sleep(300); // "nothing happens for a while": time is the point, there is nothing to await
    expect(env.ackCount(b)).toBe(0); // no PUBACK from ingest while the write is held
    expect(await env.store.count()).toBe(0);
    const acked = new Promise<void>((resolve) => env.mqtt.aedes.once('ack', () => resolve()));
    held.release();
    await acked;
    expect(env.ackCount(b)).toBe(1);
    expect(await env.store.count()).toBe(2);
  });

  it('batches the messages that arrive during a write into the next write, and acks them all', async () => {
    const h = await env.start();
    const held = env.holdWrites();
    const first = env.send(TOPIC, batch([rd('SC-0', 'mass', 0)]));
    await held.entered;
    const rest = Array.from({ length: 30 }, (_, i) => env.send(TOPIC, batch([rd(`SC-${i + 1}`, 'mass', i), rd(`SC-${i + 1}`, 'mass', i, 'kg', 1000)])));
    await waitFor(() => h.stats().received === 31, 'the 30 messages received while the write is held');
    expect(h.stats()).toMatchObject({ received: 31, acked: 0, pending: 61 });
    held.release();
    await Promise.all([first, ...rest]);
    expect(await env.store.count()).toBe(61);
    expect(env.writes.length).toBeLessThanOrEqual(3); // 31 messages, not 31 writes
    expect(h.stats()).toMatchObject({ acked: 31, stored: 61, pending: 0 });
  });

  it('pauses intake when too many readings wait for a slow store', async () => {
    const h = await env.start({ ingest: { ...env.cfg, batchSize: 2 } }); // bound: 10 × 2 readings
    const held = env.holdWrites();
    const big = (i: number) => batch(Array.from({ length: 12 }, (_, k) => rd(`SC-${i}`, 'mass', k, 'kg', k * 1000)));
    const sent = [0, 1, 2].map((i) => env.send(TOPIC, big(i)));
    await held.entered;
    await waitFor(() => h.stats().paused > 0 && h.stats().received >= 2, 'intake paused after the second message');
    const stats = h.stats();
    held.release();
    // 12 readings are being written; the second message makes 24 > 20: intake pauses, and the
    // third message stays with the broker (not even received).
    expect(stats).toMatchObject({ received: 2, paused: 1, pending: 24 });
    await Promise.all(sent);
    expect(await env.store.count()).toBe(36);
  });

  it('retries a failed store write with backoff and acknowledges only once stored', async () => {
    const h = await env.start();
    env.failWrites(3);
    const b = batch([rd('SC-1', 'mass', 1)]);
    await env.send(TOPIC, b);
    expect(await env.store.count()).toBe(1);
    expect(h.stats()).toMatchObject({ storeErrors: 3, stored: 1, acked: 1 });
    expect(env.registry.getChannel('SC-1', 'mass')?.lastValue).toBe(1);
  });

  it('records a handler failure as E_INTERNAL and acknowledges it; retries a busy registry instead', async () => {
    let busy = 1;
    const registry = new Proxy(env.registry, {
      get(target, key) {
        if (key === 'ensureInstrument') {
          return (org: string, id: string, ...rest: [string | null, number]) => {
            if (id === 'BUG-1') throw new TypeError('cannot read properties of undefined (test)');
            if (id === 'BUSY-1' && busy-- > 0) throw new Database.SqliteError('database is locked', 'SQLITE_BUSY');
            return target.ensureInstrument(org, id, ...rest);
          };
        }
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const h = await env.start({ registry });
    await env.send(TOPIC, batch([rd('SC-1', 'mass', 1), rd('BUG-1', 'mass', 2)]));
    expect(await env.store.count()).toBe(0); // a half-judged message is not trusted
    expect(h.stats().rejected.E_INTERNAL).toBe(1);
    expect(env.registry.listRejects()[0]).toMatchObject({ code: 'E_INTERNAL', org: ORG, gateway: GW, value: expect.stringContaining('test') });
    await env.send(TOPIC, batch([rd('BUSY-1', 'mass', 3)]));
    expect(await env.store.count('BUSY-1')).toBe(1);
    expect(h.stats()).toMatchObject({ storeErrors: 1, received: 2 });
    expect(h.stats().rejected.E_INTERNAL).toBe(1);
  });

  it('gets the messages published while it was down (persistent session)', async () => {
    const first = await env.start();
    await first.close();
    const b1 = JSON.stringify(batch([rd('SC-1', 'mass', 1)]));
    const b2 = JSON.stringify(batch([rd('SC-1', 'mass', 2, 'kg', 1000)]));
    await env.pub.publishAsync(TOPIC, b1, { qos: 1 });
    await env.pub.publishAsync(TOPIC, b2, { qos: 1 });
    const acked = new Promise<void>((resolve) => {
      let k = 0;
      env.mqtt.aedes.on('ack', () => ++k === 2 && resolve());
    });
    await env.start();
    await acked;
    expect(await env.store.count()).toBe(2);
  });

  it('leaves a message it could not store unacknowledged at close, and the next session stores it', async () => {
    const first = await env.start({ closeTimeoutMs: 100 });
    const held = env.holdWrites(); // never released: the store hangs
    const b = JSON.stringify(batch([rd('SC-1', 'mass', 1)]));
    await env.pub.publishAsync(TOPIC, b, { qos: 1 });
    await held.entered; // ingest has it and is stuck writing it
    await first.close();
    expect(env.ackCount(b)).toBe(0);
    const acked = new Promise<void>((resolve) => env.mqtt.aedes.once('ack', () => resolve()));
    await env.start();
    await acked;
    expect(env.ackCount(b)).toBe(1);
    expect(await env.store.count()).toBe(1);
  });

  it('flushes and acknowledges what is pending at close, and leaves no handles', async () => {
    await sleep(50); // let set-up timers settle (nothing to await: they are the broker's and the publisher's own)
    const before = activeResources();
    const h = await env.start();
    const held = env.holdWrites();
    const b = JSON.stringify(batch([rd('SC-1', 'mass', 1)]));
    await env.pub.publishAsync(TOPIC, b, { qos: 1 });
    await held.entered;
    const closed = h.close();
    await sleep(50); // close() is under way (nothing observable to await); the write finishes while it waits
    held.release();
    await closed;
    expect(await env.store.count()).toBe(1);
    await waitFor(() => env.ackCount(b) === 1, 'the acknowledgement at the broker');
    // Nothing added since before start (the broker's side of the socket closes a moment later).
    await expectNoLeaks(before);
  });
});
