import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as broker from '../../broker/index.js';
import { openRegistry, type Registry } from '../../store/index.js';
import { connectPacket, mqttString, rawMqtt, varint } from '../support/mqtt-wire.js';
import { waitFor } from '../support/wait.js';
import { count, fuzzParams, report, runs, timeout } from './support.js';

/**
 * The embedded broker's limits under generated input (issue 16): packet sizes around and far
 * above maxPacketBytes, malformed remaining-length encodings and garbage, and floods of sockets
 * that never sign in (idle, slow-loris, garbage). Throughout, a legitimate gateway keeps
 * publishing at QoS 1 and every message is acknowledged. Loopback only; counts and times bounded
 * (FUZZ_RUNS scales the counts).
 */
const LIMITS = { maxPacketBytes: 2048, maxConnectBytes: 1024, connectTimeoutMs: 1000 };
const ORG = 'ent-fz';
const GW = 'gw-fz';
const TOPIC = `metronet/v1/${ORG}/${GW}/readings`;

let dir: string;
let registry: Registry;
let secret: string;
let b: broker.BrokerHandle;
let legit: MqttClient;
let legitAcked = 0;
let legitTimer: NodeJS.Timeout | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-fuzz-mqtt-limits-'));
  registry = openRegistry(join(dir, 'registry.db'));
  registry.upsertOrg({ id: ORG, name: 'Fuzz', kind: 'enterprise' });
  registry.upsertGateway({ id: GW, org: ORG });
  secret = (await registry.identity.setMqttCredential({ username: GW, kind: 'gateway', subject: GW, org: ORG })).secret;
  b = await broker.start({ host: '127.0.0.1', port: 0, auth: broker.registryAuth(registry), ...LIMITS, publishesPerSecond: 10_000, publishBurst: 100_000 });
  // The legitimate gateway: one QoS 1 message every 50 ms for the whole file.
  legit = await mqtt.connectAsync(b.url, { clientId: 'legit', username: GW, password: secret, reconnectPeriod: 0 });
  legitTimer = setInterval(() => {
    legit.publishAsync(TOPIC, '{"v":1}', { qos: 1 }).then(
      () => legitAcked++,
      () => undefined,
    );
  }, 50);
});
afterAll(async () => {
  clearInterval(legitTimer);
  await legit?.endAsync();
  await b?.close();
  registry?.close();
  rmSync(dir, { recursive: true, force: true });
  report();
});

/** The legitimate gateway is still connected and its next messages are acknowledged. */
async function legitServed(what: string) {
  const before = legitAcked;
  await waitFor(() => legit.connected && legitAcked >= before + 2, `the legitimate gateway served after ${what}`);
}

/** The gateway's CONNECT. */
const gatewayConnect = (clientId: string) => connectPacket({ clientId, username: GW, password: secret });
const raw = () => rawMqtt(b.port);

async function signedIn(n: number) {
  const r = await raw();
  r.s.write(gatewayConnect(`fz-${n}`));
  await waitFor(() => r.state.received.length >= 4 || r.state.closed, 'CONNACK');
  expect(r.state.received[3], 'CONNACK accepted').toBe(0);
  r.state.received = Buffer.alloc(0);
  return r;
}

let n = 0;

describe('packet sizes', () => {
  it(
    'a PUBLISH is acknowledged exactly when remaining length + 1 ≤ maxPacketBytes; a larger one closes the connection after its header',
    async () => {
      const near = fc.integer({ min: LIMITS.maxPacketBytes - 64, max: LIMITS.maxPacketBytes + 64 });
      const far = fc.integer({ min: LIMITS.maxPacketBytes + 65, max: 268_435_455 });
      await fc.assert(
        fc.asyncProperty(fc.oneof(near, far), async (remaining) => {
          count('mqtt packet sizes');
          const r = await signedIn(n++);
          const head = Buffer.concat([mqttString(TOPIC), Buffer.from([0, 1])]);
          // The whole packet when it is near the limit; only its first bytes when it is far above.
          const body = Buffer.alloc(Math.min(remaining, LIMITS.maxPacketBytes + 128) - head.length, 0x41);
          r.s.write(Buffer.concat([Buffer.from([0x32]), varint(remaining), head, body]));
          if (remaining + 1 <= LIMITS.maxPacketBytes) {
            await waitFor(() => r.state.received[0] === 0x40, `PUBACK for remaining length ${remaining}`);
          } else {
            await waitFor(() => r.state.closed, `connection closed for remaining length ${remaining}`);
            expect(r.state.received.includes(0x40)).toBe(false);
          }
          r.s.destroy();
        }),
        fuzzParams(40, [[LIMITS.maxPacketBytes - 1], [LIMITS.maxPacketBytes], [268_435_455]]),
      );
      await legitServed('packet sizes');
    },
    timeout(60_000),
  );

  it(
    'malformed remaining lengths and garbage after sign-in never crash the broker; a fifth length byte always closes the connection',
    async () => {
      const malformed = fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 4, maxLength: 8 }).map((cont) => Buffer.from([0x30, ...cont, 0x01]));
      const garbage = fc.uint8Array({ minLength: 1, maxLength: 512 }).map((a) => Buffer.from(a));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            malformed.map((p) => ({ p, mustClose: true })),
            garbage.map((p) => ({ p, mustClose: false })),
          ),
          async ({ p, mustClose }) => {
            count('mqtt malformed and garbage packets');
            const r = await signedIn(n++);
            r.s.write(p);
            if (mustClose) await waitFor(() => r.state.closed, 'connection closed for a malformed remaining length');
            r.s.destroy();
          },
        ),
        fuzzParams(40),
      );
      await legitServed('malformed packets');
    },
    timeout(60_000),
  );

  it('anything but CONNECT as the first packet closes the connection without an answer', async () => {
    for (const first of [0x20, 0x30, 0x82, 0xc0, 0xe0, 0x00, 0xf0]) {
      count('mqtt first packets');
      const r = await raw();
      r.s.write(Buffer.from([first, 0]));
      await waitFor(() => r.state.closed, `socket closed after first byte 0x${first.toString(16)}`);
      expect(r.state.received.length).toBe(0);
    }
  });
});

describe('connection floods', () => {
  it(
    'many sockets that never sign in (idle, slow-loris, oversized or garbage CONNECT) are all closed in time, while the gateway keeps publishing',
    async () => {
      const kinds = ['idle', 'slow', 'big', 'garbage'] as const;
      const flood = runs(200);
      count('mqtt flood sockets', flood);
      const refusedBefore = b.stats.refusedUnauthenticated;
      const sockets = await Promise.all(
        Array.from({ length: flood }, async (_, i) => {
          const r = await raw();
          const kind = kinds[i % kinds.length]!;
          let drip: NodeJS.Timeout | undefined;
          if (kind === 'slow') {
            const packet = gatewayConnect(`slow-${i}`);
            let at = 0;
            drip = setInterval(() => {
              if (r.state.closed || at >= packet.length - 1) return clearInterval(drip);
              r.s.write(packet.subarray(at, ++at));
            }, 100);
          } else if (kind === 'big') {
            r.s.write(Buffer.concat([Buffer.from([0x10]), varint(LIMITS.maxConnectBytes * 100), mqttString('MQTT'), Buffer.from([4, 2, 0, 60])]));
          } else if (kind === 'garbage') {
            r.s.write(Buffer.from([0x10, 0x7f, ...Array.from({ length: 40 }, (_, k) => (k * 37 + i) & 0xff)]));
          }
          return { ...r, drip };
        }),
      );
      await legitServed('the flood opened');
      await waitFor(() => sockets.every((s) => s.state.closed), {
        message: 'every flood socket closed',
        timeout: LIMITS.connectTimeoutMs * 10 + 10_000,
      });
      for (const s of sockets) clearInterval(s.drip);
      expect(b.stats.refusedUnauthenticated - refusedBefore).toBeGreaterThanOrEqual(flood / 2);
      await legitServed('the flood');
      expect(legit.connected).toBe(true);
    },
    timeout(60_000),
  );
});
