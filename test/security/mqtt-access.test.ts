import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as broker from '../../broker/index.js';
import { canPublish, canSubscribe, principalOf } from '../../broker/acl.js';
import { openRegistry, type Registry } from '../../store/index.js';
import { MOSQUITTO, startMosquittoWithFiles, type MosquittoServer } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

/**
 * The MQTT access matrix (issue 6), from ONE table: for each kind of topic, publish and
 * subscribe (wildcards included), which of a gateway, a lab, an organisation and a service may.
 * Own-tenant topics succeed, the other tenant's are refused. The same table is checked three
 * ways: the ACL functions, the embedded broker over the wire, and a real Mosquitto loaded with
 * the files `broker export-mosquitto` writes — so both brokers allow and refuse exactly the same.
 */
type Who = 'gateway' | 'lab' | 'org' | 'service';
const WHO: Who[] = ['gateway', 'lab', 'org', 'service'];
const LOGIN: Record<Who, string> = { gateway: 'gw-a', lab: 'lab-a-mqtt', org: 'ent-a-mqtt', service: 'svc-ingest' };

const PUBLISH: Array<[string, Who[]]> = [
  ['metronet/v1/ent-a/gw-a/readings', ['gateway', 'service']],
  ['metronet/v1/ent-a/gw-a/checks', ['gateway', 'service']],
  ['metronet/v1/ent-a/gw-a/status', ['gateway', 'service']],
  ['metronet/v1/ent-a/gw-a/rejects', ['gateway', 'service']],
  ['metronet/v1/ent-a/gw-a2/readings', ['service']], // another gateway of the same organisation
  ['metronet/v1/ent-bbb/gw-bbb/readings', ['service']],
  ['metronet/v1/ent-bbb/gw-a/readings', ['service']], // its own id under another organisation
  ['metronet/v1/ent-a/alerts', ['service']],
  ['metronet/v1/labs/lab-a/alerts', ['service']],
  ['metronet/v1/labs/lab-bbb/alerts', ['service']],
];

/**
 * Subscriptions, each with a concrete topic inside the filter that a publisher then uses. What
 * counts is what the subscriber receives: the embedded broker refuses a filter not wholly
 * allowed (SUBACK 0x80); Mosquitto 2.0 grants the SUBACK and then delivers only the messages its
 * read ACL allows. The sample topic is chosen outside the allowed set whenever the filter is not
 * wholly allowed, so "receives it" means the same on both.
 */
const SUBSCRIBE: Array<[string, Who[], string]> = [
  ['metronet/v1/ent-a/gw-a/rejects', ['gateway', 'service'], 'metronet/v1/ent-a/gw-a/rejects'],
  ['metronet/v1/ent-bbb/gw-bbb/rejects', ['service'], 'metronet/v1/ent-bbb/gw-bbb/rejects'],
  ['metronet/v1/ent-a/gw-a/#', ['service'], 'metronet/v1/ent-a/gw-a/readings'],
  ['metronet/v1/ent-a/+/rejects', ['service'], 'metronet/v1/ent-a/gw-a2/rejects'],
  ['metronet/v1/labs/lab-a/alerts', ['lab', 'service'], 'metronet/v1/labs/lab-a/alerts'],
  ['metronet/v1/labs/lab-a/#', ['lab', 'service'], 'metronet/v1/labs/lab-a/alerts'],
  ['metronet/v1/labs/+/alerts', ['service'], 'metronet/v1/labs/lab-bbb/alerts'],
  ['metronet/v1/labs/lab-bbb/alerts', ['service'], 'metronet/v1/labs/lab-bbb/alerts'],
  ['metronet/v1/ent-a/alerts', ['org', 'service'], 'metronet/v1/ent-a/alerts'],
  ['metronet/v1/ent-bbb/alerts', ['service'], 'metronet/v1/ent-bbb/alerts'],
  ['metronet/v1/+/alerts', ['service'], 'metronet/v1/ent-bbb/alerts'],
  ['metronet/v1/+/+/readings', ['service'], 'metronet/v1/ent-bbb/gw-bbb/readings'],
  ['metronet/v1/#', ['service'], 'metronet/v1/ent-bbb/gw-bbb/status'],
];
/**
 * Checked by the ACL functions only: the embedded broker refuses a service's `#`; Mosquitto
 * grants it and delivers only metronet/v1/# (what a service reads anyway). No login can publish
 * outside metronet/v1 on either broker, so no message can tell the two apart.
 */
const SUBSCRIBE_UNOBSERVABLE: Array<[string, Who[]]> = [
  ['#', []],
  ['other/#', []],
];

const expected = (rows: Array<[string, Who[], ...unknown[]]>) => rows.flatMap(([topic, who]) => who.map((w) => `${w} ${topic}`)).sort();

let dir: string;
let registry: Registry;
const secrets = {} as Record<Who, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-mqtt-acl-'));
  registry = openRegistry(join(dir, 'registry.db'));
  registry.upsertOrg({ id: 'ent-a', name: 'A', kind: 'enterprise' });
  registry.upsertGateway({ id: 'gw-a', org: 'ent-a' });
  const kinds = {
    gateway: { kind: 'gateway', subject: 'gw-a', org: 'ent-a' },
    lab: { kind: 'lab', subject: 'lab-a' },
    org: { kind: 'org', subject: 'ent-a' },
    service: { kind: 'service', subject: 'ingest' },
  } as const;
  for (const w of WHO) secrets[w] = (await registry.identity.setMqttCredential({ username: LOGIN[w], ...kinds[w] })).secret;
});
afterAll(() => {
  registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A request the broker may answer (PUBACK, SUBACK) or refuse by closing the connection, which leaves it unsettled in mqtt.js. */
const settled = (c: mqtt.MqttClient, p: Promise<unknown>): Promise<unknown> =>
  Promise.race([p.catch(() => undefined), new Promise<void>((r) => c.once('close', () => r()))]);

/** What a broker actually allowed, over real connections: one fresh client per attempt. */
async function probe(url: string): Promise<{ published: string[]; subscribed: string[] }> {
  const connect = (w: Who, id: string) =>
    mqtt.connectAsync(url, { clientId: id, username: LOGIN[w], password: secrets[w], reconnectPeriod: 0, protocolVersion: 4 });
  const observer = await connect('service', 'observer');
  const seen = new Set<string>();
  observer.on('message', (_t, p) => seen.add(p.toString()));
  await observer.subscribeAsync('metronet/v1/#', { qos: 1 });
  let i = 0;
  await Promise.all(
    WHO.flatMap((w) =>
      PUBLISH.map(async ([topic]) => {
        const c = await connect(w, `pub-${i++}`);
        await settled(c, c.publishAsync(topic, `${w} ${topic}`, { qos: 1 })); // aedes closes the connection on a refused QoS 1 publish
        await c.endAsync(true);
      }),
    ),
  );
  // Subscribers first, then one message per sample topic, then who received their sample.
  const subs = await Promise.all(
    WHO.flatMap((w) =>
      SUBSCRIBE.map(async ([filter, , sample], k) => {
        const c = await connect(w, `sub-${i++}`);
        let got = false;
        c.on('message', (t, p) => (got ||= t === sample && p.toString() === `sample ${k}`));
        await settled(c, c.subscribeAsync(filter, { qos: 1 }));
        return { c, key: `${w} ${filter}`, got: () => got };
      }),
    ),
  );
  for (const [k, [, , sample]] of SUBSCRIBE.entries()) await observer.publishAsync(sample, `sample ${k}`, { qos: 1 });
  // What the table allows has arrived (a refusal that failed would show up alongside it).
  await waitFor(() => expected(PUBLISH).every((m) => seen.has(m)), 'the permitted publishes at the observer').catch(() => undefined); // compared below
  await waitFor(() => expected(SUBSCRIBE).every((key) => subs.find((s) => s.key === key)?.got()), 'the samples at the permitted subscribers').catch(
    () => undefined,
  ); // compared below
  await Promise.all(subs.map((s) => s.c.endAsync(true)));
  await observer.endAsync(true);
  return {
    published: [...seen].filter((s) => !s.startsWith('sample')).sort(),
    subscribed: subs
      .filter((s) => s.got())
      .map((s) => s.key)
      .sort(),
  };
}

describe('MQTT access matrix', () => {
  it('the ACL functions follow the table', () => {
    const allowed = (rows: Array<[string, Who[]]>, can: (p: ReturnType<typeof principalOf>, t: string) => boolean) =>
      rows.flatMap(([topic]) => WHO.filter((w) => can(principalOf(registry.identity.getMqttCredential(LOGIN[w])!), topic)).map((w) => `${w} ${topic}`)).sort();
    expect(allowed(PUBLISH, canPublish)).toEqual(expected(PUBLISH));
    expect(allowed([...SUBSCRIBE.map(([f, w]): [string, Who[]] => [f, w]), ...SUBSCRIBE_UNOBSERVABLE], canSubscribe)).toEqual(expected(SUBSCRIBE));
    // Shared subscriptions are judged by their filter.
    const svc = principalOf(registry.identity.getMqttCredential(LOGIN.service)!);
    const gw = principalOf(registry.identity.getMqttCredential(LOGIN.gateway)!);
    expect(canSubscribe(svc, '$share/metronet-ingest/metronet/v1/+/+/readings')).toBe(true);
    expect(canSubscribe(gw, '$share/x/metronet/v1/ent-a/gw-a/rejects')).toBe(true);
    expect(canSubscribe(gw, '$share/x/metronet/v1/+/+/rejects')).toBe(false);
  });

  it('the embedded broker allows exactly the table, refuses unknown logins, and counts refusals', async () => {
    const b = await broker.start({ host: '127.0.0.1', port: 0, auth: broker.registryAuth(registry) });
    try {
      const r = await probe(b.url);
      expect(r.published).toEqual(expected(PUBLISH));
      expect(r.subscribed).toEqual(expected(SUBSCRIBE));
      expect(b.stats.refusedPublishes).toBe(WHO.length * PUBLISH.length - expected(PUBLISH).length);
      expect(b.stats.refusedSubscribes).toBe(WHO.length * SUBSCRIBE.length - expected(SUBSCRIBE).length);
      await expect(mqtt.connectAsync(b.url, { username: 'gw-a', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow();
      await expect(mqtt.connectAsync(b.url, { reconnectPeriod: 0 })).rejects.toThrow();
      expect(b.stats.refusedConnects).toBe(2);
    } finally {
      await b.close();
    }
  });

  it.runIf(MOSQUITTO)('a real Mosquitto on the exported files allows and refuses exactly the same', async () => {
    let m: MosquittoServer | undefined;
    try {
      m = await startMosquittoWithFiles(broker.mosquittoFiles(registry));
      const r = await probe(m.url);
      expect(r.published).toEqual(expected(PUBLISH));
      expect(r.subscribed).toEqual(expected(SUBSCRIBE));
      await expect(mqtt.connectAsync(m.url, { username: 'gw-a', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow();
    } finally {
      await m?.close();
    }
  });
});
