import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as broker from '../../../broker/index.js';
import { openRegistry, type Registry } from '../../../store/index.js';
import { connectPacket, mqttString, rawMqtt, varint } from '../../support/mqtt-wire.js';
import { freePort, listensOn } from '../../support/net.js';
import { MOSQUITTO } from '../../support/servers.js';
import { waitFor } from '../../support/wait.js';

/**
 * Attacks on the MQTT brokers (issue 16, items 1 and 3), over loopback TCP against the running
 * embedded broker (aedes, authenticating against a registry) and a real Mosquitto started with
 * the configuration metronet generates (`mosquittoConf`) and the exported logins.
 */
const LIMITS = {
  maxPacketBytes: 4096,
  connectTimeoutMs: 1500,
  maxConnectBytes: 2048,
  maxConnectionsPerLogin: 3,
  publishesPerSecond: 20,
  publishBurst: 40,
  authAttemptsPerLogin: 5,
  authAttemptsPerAddress: 50,
};
const ORG = 'ent-lim';
const GW = 'gw-lim';
const TOPIC = `metronet/v1/${ORG}/${GW}/readings`;

let dir: string;
let registry: Registry;
let secret: string;
let aedes: broker.BrokerHandle;
let mosq: { port: number; child: ChildProcess; log: () => string };
let checks = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-broker-limits-'));
  registry = openRegistry(join(dir, 'registry.db'));
  registry.upsertOrg({ id: ORG, name: 'Limits', kind: 'enterprise' });
  registry.upsertGateway({ id: GW, org: ORG });
  secret = (await registry.identity.setMqttCredential({ username: GW, kind: 'gateway', subject: GW, org: ORG })).secret;
  const ids = registry.identity;
  const check = ids.checkMqttSecret.bind(ids);
  ids.checkMqttSecret = async (u, s) => {
    checks++;
    return check(u, s);
  };
  aedes = await broker.start({ host: '127.0.0.1', port: 0, auth: broker.registryAuth(registry), ...LIMITS });
  mosq = await startGeneratedMosquitto();
});
afterAll(async () => {
  await aedes?.close();
  if (mosq && mosq.child.exitCode === null) {
    const exited = new Promise((r) => mosq.child.once('exit', r));
    mosq.child.kill('SIGTERM');
    await exited;
  }
  registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Mosquitto with the generated configuration and exported logins; only the run-as user, persistence and logging are the test's. */
async function startGeneratedMosquitto() {
  if (!MOSQUITTO) throw new Error('mosquitto not found: run scripts/install-test-deps.sh (Debian package mosquitto)');
  const files = broker.mosquittoFiles(registry);
  const passwordFile = join(dir, 'passwd');
  const aclFile = join(dir, 'acl');
  writeFileSync(passwordFile, files.passwd, { mode: 0o600 });
  writeFileSync(aclFile, files.acl, { mode: 0o600 });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    const generated = broker.mosquittoConf({ port, passwordFile, aclFile, ...LIMITS });
    writeFileSync(conf, [`user ${userInfo().username}`, 'persistence false', 'log_dest stderr', 'log_type error', generated].join('\n'));
    let stderr = '';
    const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    try {
      await waitFor(() => listensOn(child.pid, port), {
        message: 'mosquitto to listen',
        abortIf: () => child.exitCode !== null && `mosquitto exited: ${stderr}`,
      });
      return { port, child, log: () => stderr };
    } catch (err) {
      child.kill('SIGKILL');
      if (attempt < 2 && /address already in use/i.test(stderr)) continue;
      throw err;
    }
  }
}

const brokers = () => [
  { name: 'embedded (aedes)', port: aedes.port },
  { name: 'Mosquitto (generated conf)', port: mosq.port },
];

/** An MQTT client whose TCP connection leaves from a given loopback address. */
function client(port: number, o: { username?: string; password?: string; clientId?: string; from?: string }): Promise<MqttClient> {
  const c = new MqttClient(() => connect({ host: '127.0.0.1', port, localAddress: o.from ?? '127.0.0.1' }), {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    clientId: o.clientId ?? `c-${Math.random().toString(36).slice(2, 10)}`,
    username: o.username,
    password: o.password,
  });
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** A PUBLISH QoS 1 whose remaining length is `remaining` bytes (Mosquitto's max_packet_size counts remaining length + 1). */
function publishPacket(remaining: number): Buffer {
  const head = Buffer.concat([mqttString(TOPIC), Buffer.from([0, 1])]);
  return Buffer.concat([Buffer.from([0x32]), varint(remaining), head, Buffer.alloc(remaining - head.length, 0x41)]);
}

/** Signs in as the gateway on a raw socket and waits for CONNACK 0. */
async function rawSignedIn(port: number) {
  const r = await rawMqtt(port);
  r.s.write(connectPacket({ clientId: `raw-${Math.random().toString(36).slice(2, 8)}`, username: GW, password: secret }));
  await waitFor(() => r.state.received.length >= 4 && r.state.received[3] === 0, 'CONNACK accepted');
  r.state.received = Buffer.alloc(0);
  return r;
}

const PUBACK = 0x40;

describe('maximum packet size, the same on both brokers', () => {
  it('a PUBLISH just under the limit is acknowledged; one byte over is refused and the connection closed, on both brokers', async () => {
    for (const b of brokers()) {
      const ok = await rawSignedIn(b.port);
      ok.s.write(publishPacket(LIMITS.maxPacketBytes - 1));
      await waitFor(() => ok.state.received[0] === PUBACK, `${b.name}: PUBACK for a packet at the limit`);
      ok.s.destroy();

      const over = await rawSignedIn(b.port);
      over.s.write(publishPacket(LIMITS.maxPacketBytes));
      await waitFor(() => over.state.closed, `${b.name}: connection closed for a packet one byte over the limit`);
      expect(over.state.received.includes(PUBACK), `${b.name}: no PUBACK`).toBe(false);
    }
    expect(aedes.stats.refusedPackets).toBeGreaterThan(0);
  });

  it('a fixed header announcing 100 MB is refused before its payload is read', async () => {
    for (const b of brokers()) {
      const r = await rawSignedIn(b.port);
      const header = Buffer.concat([Buffer.from([0x32]), varint(100 * 1024 * 1024), mqttString(TOPIC), Buffer.from([0, 2])]);
      r.s.write(Buffer.concat([header, Buffer.alloc(1024, 0x42)]));
      await waitFor(() => r.state.closed, `${b.name}: connection closed after the header`);
      expect(r.state.received.includes(PUBACK)).toBe(false);
    }
  });

  it('an authenticated client publishing far over the limit through mqtt.js gets no PUBACK and is disconnected', async () => {
    const c = await client(aedes.port, { username: GW, password: secret });
    let acked = false;
    c.publish(TOPIC, Buffer.alloc(8 * LIMITS.maxPacketBytes, 0x43), { qos: 1 }, (err) => {
      if (!err) acked = true;
    });
    await waitFor(() => !c.connected, 'the client disconnected');
    expect(acked).toBe(false);
    c.end(true);
  });
});

describe('connections that have not signed in', () => {
  it('a socket that sends nothing is closed after the sign-in time limit', async () => {
    const r = await rawMqtt(aedes.port);
    await waitFor(() => r.state.closed, { message: 'the idle socket closed', timeout: LIMITS.connectTimeoutMs * 8 });
    expect(aedes.stats.refusedUnauthenticated).toBeGreaterThan(0);
  });

  it('a slow-loris CONNECT (a byte at a time) is closed after the sign-in time limit', async () => {
    const r = await rawMqtt(aedes.port);
    const packet = connectPacket({ clientId: 'slow', username: GW, password: secret });
    let i = 0;
    const drip = setInterval(() => {
      if (i < packet.length - 1 && !r.state.closed) r.s.write(packet.subarray(i, ++i));
    }, 200);
    try {
      await waitFor(() => r.state.closed, { message: 'the slow socket closed', timeout: LIMITS.connectTimeoutMs * 8 });
    } finally {
      clearInterval(drip);
    }
  });

  it('a CONNECT announcing more than the unauthenticated byte limit is refused after its header', async () => {
    const r = await rawMqtt(aedes.port);
    r.s.write(Buffer.concat([Buffer.from([0x10]), varint(LIMITS.maxConnectBytes * 4), mqttString('MQTT'), Buffer.from([4, 2, 0, 60])]));
    await waitFor(() => r.state.closed, 'the socket closed after the CONNECT header');
  });
});

describe('per login', () => {
  it('connections per login are capped; the extra one is refused and counted', async () => {
    const open: MqttClient[] = [];
    for (let i = 0; i < LIMITS.maxConnectionsPerLogin; i++) open.push(await client(aedes.port, { username: GW, password: secret }));
    await expect(client(aedes.port, { username: GW, password: secret })).rejects.toThrow();
    expect(aedes.stats.refusedConnectionsPerLogin).toBeGreaterThan(0);
    await Promise.all(open.map((c) => c.endAsync()));
    // Once they are gone the login may connect again.
    await waitFor(
      async () => (await client(aedes.port, { username: GW, password: secret })).endAsync().then(() => true),
      'a connection once the others closed',
    );
  });

  it('a gateway publishing faster than its rate is disconnected, and the refusal counted', async () => {
    const c = await client(aedes.port, { username: GW, password: secret });
    let sent = 0;
    while (c.connected && sent < LIMITS.publishBurst * 10) {
      c.publish(TOPIC, '{}', { qos: 0 });
      sent++;
    }
    await waitFor(() => !c.connected, 'the flooding gateway disconnected');
    expect(aedes.stats.refusedPublishRate).toBeGreaterThan(0);
    c.end(true);
  });
});

describe('failed MQTT sign-ins', () => {
  it('are throttled per (login, address): beyond the budget no password is checked; the gateway still signs in from its own address', async () => {
    const before = checks;
    const tries = await Promise.allSettled(Array.from({ length: 30 }, () => client(aedes.port, { username: GW, password: 'wrong', from: '127.0.0.2' })));
    expect(tries.every((t) => t.status === 'rejected')).toBe(true);
    expect(checks - before).toBeLessThanOrEqual(LIMITS.authAttemptsPerLogin);
    expect(aedes.stats.throttledConnects).toBeGreaterThan(0);
    // Still refused from the attacker's address, even with the right password, while the delay runs.
    await expect(client(aedes.port, { username: GW, password: secret, from: '127.0.0.2' })).rejects.toThrow();
    const gw = await client(aedes.port, { username: GW, password: secret, from: '127.0.0.3' });
    await gw.endAsync();
    const metrics = await aedes.metrics.metrics();
    expect(metrics).toMatch(/metronet_mqtt_refusals_total\{kind="throttled"\} [1-9]/);
  });
});
