import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canPublish, canSubscribe, principalOf, registryAuth, rulesFor } from '../../../broker/acl.js';
import type { Principal } from '../../../broker/index.js';
import { mosquittoFiles } from '../../../broker/mosquitto.js';
import { ID_MAX_LENGTH, RESERVED_IDS, TOPIC_ID_PATTERN, TOPIC_WORDS, compile, idRuleBroken, isMetronetError, isTopicId, topics } from '../../../core/index.js';
import type { App } from '../../../dashboard/app.js';
import { GatewayConfig } from '../../../core/config.js';
import { openRegistry, type Registry } from '../../../store/index.js';
import { closeAll, dashboardOn, twoTenants, type Fixture } from '../fixture.js';

/**
 * Ids and topics (issue 16, item 4). Who may see what, from ARCHITECTURE.md ("MQTT contract",
 * "Access") and broker/acl.ts, written here level by level and independently of the ACL code:
 *
 * | login              | may publish                          | may read                                      |
 * | gateway g of org o | metronet/v1/o/g/{one level}          | metronet/v1/o/g/rejects                       |
 * | lab l              | nothing                              | metronet/v1/labs/l, below it, and the audit checkpoint |
 * | organisation o     | nothing                              | metronet/v1/o/alerts and the audit checkpoint |
 *
 * So no gateway publishes or reads any alert topic or any topic of another organisation or
 * gateway; no lab reads another lab's alerts or any organisation's topic; no organisation reads
 * another's alerts, a lab's alerts or a gateway's topics. Services read and write all of
 * metronet/v1 (only analytics writes the checkpoint).
 */

const ROOT = ['metronet', 'v1'];
const CHECKPOINT = [...ROOT, 'audit', 'checkpoint'];
const eq = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const startsWith = (a: readonly string[], prefix: readonly string[]) => prefix.every((x, i) => a[i] === x);

function mayPublish(p: Principal, t: readonly string[]): boolean {
  return p.kind === 'gateway' && t.length === 5 && startsWith(t, [...ROOT, p.org as string, p.id]);
}

function mayRead(p: Principal, t: readonly string[]): boolean {
  if (p.kind === 'gateway') return eq(t, [...ROOT, p.org as string, p.id, 'rejects']);
  if (eq(t, CHECKPOINT)) return true;
  if (p.kind === 'lab') return t.length >= 4 && startsWith(t, [...ROOT, 'labs', p.id]);
  if (p.kind === 'org') return eq(t, [...ROOT, p.id, 'alerts']) || (t.length === 5 && startsWith(t, [...ROOT, p.id, 'aqi']));
  return false;
}

/** Alert topics by their shape alone, whatever ids the registry holds. */
const isAlertTopic = (t: readonly string[]) => (t.length === 4 && t[3] === 'alerts') || (t.length === 5 && t[2] === 'labs' && t[4] === 'alerts');

/** The MQTT matching rule [MQTT-4.7.1] written plainly: what Mosquitto does with an ACL line. */
function mqttMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
const mosquittoAllows = (allow: string[], deny: string[], topic: string) =>
  !deny.some((d) => mqttMatches(d, topic)) && allow.some((a) => mqttMatches(a, topic));

/* ------------------------------------------------------------------ ids a registry accepts */

const ALNUM = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const REST = [...ALNUM, '.', '_', '-'];
const plainId = fc.tuple(fc.constantFrom(...ALNUM), fc.array(fc.constantFrom(...REST), { maxLength: 12 })).map(([a, r]) => a + r.join(''));
/** Close to reserved words: a word with a prefix or suffix, in any case; version-like; dots and dashes; the longest id. */
const nearReserved = fc.oneof(
  fc.tuple(fc.mixedCase(fc.constantFrom(...RESERVED_IDS)), fc.constantFrom('-', '.', '_', '0', 'x', '-1', '..', '.-')).map(([w, s]) => w + s),
  fc.tuple(fc.constantFrom('a', '0', 'x-', 'v', 'v1.'), fc.mixedCase(fc.constantFrom(...RESERVED_IDS))).map(([p, w]) => p + w),
  fc.constantFrom('v', 'v1a', 'v1.0', 'v-1', 'V1-', 'vv1', 'share', 'SYS', 'queue', 'u', 'c', 'metronet-ingest', 'a..b', 'a.', '0-', '9_._'),
  fc
    .tuple(fc.constantFrom(...ALNUM), fc.array(fc.constantFrom(...REST), { minLength: ID_MAX_LENGTH - 1, maxLength: ID_MAX_LENGTH - 1 }))
    .map(([a, r]) => a + r.join('')),
);
/** Ids the registry's grammar accepts. */
const acceptedId = fc.oneof(plainId, nearReserved).filter(isTopicId);

interface World {
  enterprises: string[];
  labs: string[];
  gateways: Array<{ id: string; org: string }>;
  instruments: string[];
}

const world: fc.Arbitrary<World> = fc.uniqueArray(acceptedId, { minLength: 3, maxLength: 7 }).chain((orgIds) =>
  fc.record({
    enterprises: fc.constant(orgIds.slice(0, Math.ceil(orgIds.length / 2))),
    labs: fc.constant(orgIds.slice(Math.ceil(orgIds.length / 2))),
    // A gateway may share its id with an organisation or a lab (separate tables).
    gateways: fc.uniqueArray(
      fc.record({ id: fc.oneof(acceptedId, fc.constantFrom(...orgIds)), org: fc.constantFrom(...orgIds.slice(0, Math.ceil(orgIds.length / 2))) }),
      { minLength: 1, maxLength: 5, selector: (g) => g.id },
    ),
    instruments: fc.uniqueArray(fc.oneof(acceptedId, fc.constantFrom(...orgIds)), { maxLength: 4 }),
  }),
);

function loginsOf(w: World): Principal[] {
  return [
    ...w.gateways.map((g): Principal => ({ kind: 'gateway', id: g.id, org: g.org })),
    ...w.labs.map((l): Principal => ({ kind: 'lab', id: l })),
    ...[...w.enterprises, ...w.labs].map((o): Principal => ({ kind: 'org', id: o })),
  ];
}

/**
 * Concrete topics: every topic of the contract over the world's ids and the topic words that
 * could stand in an id's place, and a few random level sequences.
 */
function topicsOf(w: World, extra: string[][]): string[][] {
  const orgLevel = [...new Set([...w.enterprises, ...w.labs, 'labs', 'audit', 'alerts'])];
  const gatewayLevel = [...new Set([...w.gateways.map((g) => g.id), ...w.labs, 'alerts', 'checkpoint', 'rejects'])];
  const out: string[][] = [CHECKPOINT];
  for (const a of new Set([...orgLevel, ...gatewayLevel, ...w.instruments]))
    out.push(topics.orgAlerts(a).split('/'), topics.labAlerts(a).split('/'), [...ROOT, a]);
  for (const a of orgLevel)
    for (const b of gatewayLevel) {
      // The gateway's own level and one below it: `…/{gateway}/#` would match both.
      out.push([...ROOT, a, b], [...ROOT, a, b, 'readings', 'x']);
      for (const k of ['readings', 'checks', 'status', 'rejects', 'alerts']) out.push([...ROOT, a, b, k]);
    }
  for (const e of extra) out.push([...ROOT, ...e]);
  return out;
}

/** Filters derived from a topic: one level made `+`, or the rest made `#` (from the organisation level on). */
function filtersOf(t: string[]): string[] {
  const out: string[] = [];
  for (let i = 2; i < t.length; i++) out.push([...t.slice(0, i), '+', ...t.slice(i + 1)].join('/'), [...t.slice(0, i), '#'].join('/'));
  return out;
}

const RUNS = Number(process.env.TOPIC_ACL_RUNS ?? 60);

describe('no accepted id widens an MQTT rule (property)', () => {
  it(`publish and read stay within the table above; both brokers' rules agree (${RUNS} registries)`, () => {
    fc.assert(
      fc.property(world, fc.array(fc.array(fc.oneof(acceptedId, fc.constantFrom(...TOPIC_WORDS)), { maxLength: 5 }), { maxLength: 10 }), (w, extra) => {
        const all = topicsOf(w, extra);
        const strings = all.map((t) => t.join('/'));
        // Plain checks, one expect per run (an expect per topic would cost more than the ACL).
        const wrong: string[] = [];
        const check = (ok: boolean, what: string) => ok || wrong.push(what);
        for (const p of loginsOf(w)) {
          const who = `${p.kind}:${p.org ? `${p.org}/` : ''}${p.id}`;
          const rules = rulesFor(p);
          for (let i = 0; i < all.length; i++) {
            const t = all[i] as string[];
            const s = strings[i] as string;
            const pub = canPublish(p, s);
            const sub = canSubscribe(p, s);
            check(pub === mayPublish(p, t), `${who} publish ${s}: ${pub}`);
            check(sub === mayRead(p, t), `${who} read ${s}: ${sub}`);
            // Spelled out: no alert topic for a gateway, no other organisation's or lab's alerts for anyone.
            if (p.kind === 'gateway' && isAlertTopic(t)) check(!pub && !sub, `${who} on alert topic ${s}`);
            if (p.kind !== 'gateway' && isAlertTopic(t) && sub)
              check(t[2] === 'labs' ? p.kind === 'lab' && t[3] === p.id : p.kind === 'org' && t[2] === p.id, `${who} reads alerts ${s}`);
            if (p.kind === 'gateway' && (pub || sub)) check(t[2] === p.org && t[3] === p.id, `${who} outside its own levels: ${s}`);
            // The Mosquitto ACL lines (rulesFor) allow exactly the same.
            check(mosquittoAllows(rules.publish, rules.deny, s) === pub, `mosquitto ${who} write ${s}`);
            check(mosquittoAllows(rules.subscribe, rules.deny, s) === sub, `mosquitto ${who} read ${s}`);
          }
          // A filter is granted only when every topic it can match may be read.
          for (const t of all.slice(0, 120)) {
            for (const f of filtersOf(t)) {
              if (!canSubscribe(p, f)) continue;
              for (let i = 0; i < all.length; i++)
                if (mqttMatches(f, strings[i] as string)) check(mayRead(p, all[i] as string[]), `${who} ${f} ⊇ ${strings[i]}`);
            }
          }
        }
        expect(wrong.slice(0, 10)).toEqual([]);
        // Liveness: the table is not empty for anyone.
        for (const g of w.gateways) {
          expect(canPublish({ kind: 'gateway', id: g.id, org: g.org }, topics.readings(g.org, g.id))).toBe(true);
          expect(canSubscribe({ kind: 'gateway', id: g.id, org: g.org }, topics.rejects(g.org, g.id))).toBe(true);
        }
        for (const l of w.labs) expect(canSubscribe({ kind: 'lab', id: l }, topics.labAlerts(l))).toBe(true);
        for (const o of w.enterprises) expect(canSubscribe({ kind: 'org', id: o }, topics.orgAlerts(o))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('any string as an id, accepted or not (data from before the grammar), never reaches beyond the table', () => {
    const anyId = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.mixedCase(fc.constantFrom(...RESERVED_IDS)),
      fc.constantFrom('+', '#', '', 'a/b', 'a/+', '#/x', '$SYS', '%u', '%c', 'x y', 'x\ntopic readwrite #', '.', '..', 'undefined', 'labs', 'alerts'),
      acceptedId,
    );
    const principal: fc.Arbitrary<Principal> = fc.oneof(
      fc.record({ kind: fc.constant('gateway' as const), id: anyId, org: fc.option(anyId, { nil: undefined }) }),
      fc.record({ kind: fc.constantFrom('lab' as const, 'org' as const), id: anyId }),
    );
    const level = fc.oneof(anyId, fc.constantFrom(...TOPIC_WORDS));
    const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((ls) => [...ROOT, ...ls]);
    fc.assert(
      fc.property(principal, fc.array(topic, { minLength: 1, maxLength: 20 }), (p, ts) => {
        const valid = p.kind === 'gateway' ? isTopicId(p.org) && isTopicId(p.id) : isTopicId(p.id);
        for (const t of ts) {
          const s = t.join('/');
          const pub = canPublish(p, s);
          const sub = canSubscribe(p, s);
          if (!valid) expect(pub || sub, `${JSON.stringify(p)} has no rule, yet ${s}`).toBe(false);
          if (pub) expect(isAlertTopic(t) || !mayPublish(p, t), s).toBe(false);
          if (sub && p.kind === 'gateway') expect(eq(t, [...ROOT, p.org as string, p.id, 'rejects'])).toBe(true);
          if (sub && p.kind === 'lab') expect(eq(t, CHECKPOINT) || startsWith(t, [...ROOT, 'labs', p.id])).toBe(true);
          if (sub && p.kind === 'org') expect(eq(t, CHECKPOINT) || mayRead(p, t)).toBe(true);
        }
        // A login that breaks the grammar has no line in the Mosquitto ACL either.
        if (!valid) expect(rulesFor(p)).toEqual({ publish: [], subscribe: [], deny: [] });
      }),
      { numRuns: 500 },
    );
  });
});

describe('the id grammar (core/ids.ts)', () => {
  it('refuses every reserved word in any case, and v + digits', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.mixedCase(fc.constantFrom(...RESERVED_IDS)),
          fc.nat().map((n) => `v${n}`),
          fc.nat().map((n) => `V0${n}`),
        ),
        (word) => {
          expect(idRuleBroken(word), word).toBe('reserved');
          expect(new RegExp(TOPIC_ID_PATTERN).test(word), word).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
    for (const word of TOPIC_WORDS) expect(RESERVED_IDS).toContain(word);
    for (const t of [topics.readings('o', 'g'), topics.orgAlerts('o'), topics.labAlerts('l'), topics.auditCheckpoint])
      for (const level of t.split('/')) if (!['o', 'g', 'l'].includes(level)) expect(isTopicId(level), level).toBe(false);
  });

  it('refuses wildcards, separators, $, %, white space, dots alone, empty and over-long ids', () => {
    for (const bad of ['+', '#', 'a/b', '$SYS', '$share', 'a+', 'b#', '%u', 'a b', 'a\n', '.', '..', '', '-a', 'x'.repeat(ID_MAX_LENGTH + 1), 'tiếng-việt'])
      expect(isTopicId(bad), JSON.stringify(bad)).toBe(false);
    expect(isTopicId('x'.repeat(ID_MAX_LENGTH))).toBe(true);
  });

  it('the JSON-schema pattern (configuration files) accepts exactly what isTopicId accepts', () => {
    const re = new RegExp(TOPIC_ID_PATTERN, 'u');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), plainId, nearReserved, fc.mixedCase(fc.constantFrom(...RESERVED_IDS))), (s) => {
        expect(re.test(s), JSON.stringify(s)).toBe(isTopicId(s));
      }),
      { numRuns: 1000 },
    );
    const gateway = compile(GatewayConfig, { config: true });
    const cfg = (id: string) => ({ id, org: 'ent-a', mqtt: { url: 'mqtt://127.0.0.1:1883' }, devices: [] });
    expect(gateway(cfg('Status'))).toBe(false);
    expect(gateway.issues(cfg('Status')).map((i) => [i.field, i.rule])).toContainEqual(['id', 'pattern']);
  });
});

/* ------------------------------------------------------------------ the attack, and every place that creates an id */

let dir: string;
let registry: Registry;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-topic-acl-'));
  registry = openRegistry(join(dir, 'registry.db'));
  registry.upsertOrg({ id: 'lab-a', name: 'Lab A', kind: 'lab' });
  registry.upsertOrg({ id: 'ent-a', name: 'A', kind: 'enterprise' });
});
afterAll(() => {
  registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(fn: () => unknown): Promise<{ code: string; details: { field?: string; value?: unknown; rule?: string }; vi: string }> {
  try {
    await fn();
  } catch (e) {
    if (!isMetronetError(e)) throw e;
    return { code: e.code, details: e.details as { field?: string; rule?: string }, vi: e.messageIn('vi') };
  }
  throw new Error('the registry accepted an id equal to a topic word');
}

describe('ids equal to topic words (issue 16, item 4: the attack)', () => {
  it('the registry refuses an organisation `labs` and a gateway `alerts` (both accepted before the grammar)', async () => {
    const org = await refusal(() => registry.upsertOrg({ id: 'labs', name: 'Not a lab', kind: 'enterprise' }));
    expect(org).toMatchObject({ code: 'E_ID_INVALID', details: { field: 'id', value: 'labs', rule: 'reserved' } });
    expect(org.vi).toMatch(/"labs" là từ dành riêng/);
    expect(await refusal(() => registry.upsertGateway({ id: 'alerts', org: 'ent-a', name: null }))).toMatchObject({
      details: { field: 'id', rule: 'reserved' },
    });
    expect(registry.getOrg('labs')).toBeUndefined();
    expect(registry.getGateway('alerts')).toBeUndefined();
  });

  it('a login with such ids (data from before the grammar) can publish no alert and read no lab topic', () => {
    // Before the fix every one of these was allowed: `metronet/v1/labs/lab-a/#` for the gateway
    // lab-a of organisation labs, `metronet/v1/ent-a/alerts/#` (which matches its parent) for the gateway alerts.
    const inLabs = { kind: 'gateway', id: 'lab-a', org: 'labs' } as const;
    expect(canPublish(inLabs, 'metronet/v1/labs/lab-a/alerts')).toBe(false);
    expect(canSubscribe({ kind: 'lab', id: 'lab-a' }, 'metronet/v1/labs/lab-a/#')).toBe(true);
    const named = { kind: 'gateway', id: 'alerts', org: 'ent-a' } as const;
    expect(canPublish(named, 'metronet/v1/ent-a/alerts')).toBe(false);
    // Wildcards inside an id never reach a rule either.
    expect(canPublish({ kind: 'gateway', id: '+', org: 'ent-a' }, 'metronet/v1/ent-a/gw-other/readings')).toBe(false);
    expect(canSubscribe({ kind: 'org', id: '+' }, 'metronet/v1/ent-bbb/alerts')).toBe(false);
    expect(canPublish({ kind: 'gateway', id: 'gw-a' }, 'metronet/v1/undefined/gw-a/readings')).toBe(false);
  });

  it('every way of creating an id in the registry uses the grammar', async () => {
    const cases: Array<[string, () => unknown, string]> = [
      ['org', () => registry.upsertOrg({ id: 'ALERTS', name: 'x', kind: 'lab' }), 'id'],
      ['gateway in a reserved org', () => registry.upsertGateway({ id: 'gw-x', org: 'Labs', name: null }), 'org'],
      ['instrument', () => registry.upsertInstrument({ id: 'readings', org: 'ent-a', registration: 'registered', kind: 'scale' }), 'id'],
      ['instrument from MQTT', () => registry.ensureInstrument('ent-a', 'Status', null, Date.now()), 'instrument'],
      ['lab login', () => registry.identity.setMqttCredential({ username: 'lab-x', kind: 'lab', subject: 'v2' }), 'subject'],
      ['org login', () => registry.identity.setMqttCredential({ username: 'org-x', kind: 'org', subject: 'metronet' }), 'subject'],
      ['gateway login', () => registry.identity.setMqttCredential({ username: 'gw-y', kind: 'gateway', subject: 'gw-y', org: 'audit' }), 'org'],
      ['login name', () => registry.identity.setMqttCredential({ username: 'x\ntopic readwrite #', kind: 'service', subject: 'x' }), 'username'],
    ];
    for (const [what, fn, field] of cases) {
      const r = await refusal(fn);
      expect(r.code, what).toBe('E_ID_INVALID');
      expect(r.details.field, what).toBe(field);
      expect(r.vi, what).toMatch(/dành riêng|không phải là mã hợp lệ/);
    }
    // Ingest asks first: an unknown reserved id is refused as a reject, never created.
    expect(registry.instrumentAdmission('checks', 'gw-a', Date.now(), { perGateway: 10, perGatewayPerHour: 10, messageHasRoom: true })).toEqual({
      refused: 'invalidId',
    });
  });

  it('a registry holding such ids opens, names them in a warning, and exports no ACL line for them', async () => {
    await registry.identity.setMqttCredential({ username: 'gw-legacy', kind: 'gateway', subject: 'gw-legacy', org: 'ent-a' });
    const db = new Database(join(dir, 'registry.db'));
    db.prepare("UPDATE mqtt_credentials SET subject = 'lab-a', org = 'labs' WHERE username = 'gw-legacy'").run();
    db.close();
    const legacy = principalOf(registry.identity.getMqttCredential('gw-legacy')!);
    expect(legacy).toEqual({ kind: 'gateway', id: 'lab-a', org: 'labs' });
    expect(canPublish(legacy, 'metronet/v1/labs/lab-a/alerts')).toBe(false);
    expect(canPublish(legacy, 'metronet/v1/labs/lab-a/readings')).toBe(false);
    const warnings: unknown[] = [];
    const log = { warn: (o: unknown) => warnings.push(o) } as unknown as Parameters<typeof registryAuth>[1];
    registryAuth(registry, log);
    expect(JSON.stringify(warnings)).toContain('gw-legacy');
    const acl = mosquittoFiles(registry).acl;
    const block = acl.slice(acl.indexOf('user gw-legacy'), acl.indexOf('\n\n', acl.indexOf('user gw-legacy')));
    expect(block).toBe('user gw-legacy');
  });
});

describe('the API answers a reserved id with its code, field, value, rule and a Vietnamese message', () => {
  let f: Fixture;
  let app: App;
  beforeAll(async () => {
    f = await twoTenants();
    ({ app } = await dashboardOn(f));
  });
  afterAll(() => closeAll(app, f));

  it('POST /orgs, /gateways, /mqtt-credentials and /instruments', async () => {
    const post = (url: string, payload: object) =>
      app.inject({ method: 'POST', url: `/api/v1/${url}`, payload, headers: { ...f.auth.admin, 'accept-language': 'vi' } });
    const cases: Array<[string, object, string, string]> = [
      ['orgs', { id: 'Labs', name: 'x', kind: 'enterprise' }, 'id', 'Labs'],
      ['gateways', { id: 'status', org: 'ent-a' }, 'id', 'status'],
      ['mqtt-credentials', { username: 'alerts-login', kind: 'org', subject: 'alerts' }, 'subject', 'alerts'],
      ['instruments', { id: 'checkpoint', org: 'ent-a', kind: 'scale' }, 'id', 'checkpoint'],
    ];
    for (const [url, payload, field, value] of cases) {
      const res = await post(url, payload);
      expect(res.statusCode, `${url} ${res.body}`).toBe(400);
      const body = res.json() as { error: { code: string; message: string; details: unknown } };
      expect(body.error.code, url).toBe('E_ID_INVALID');
      expect(body.error.details, url).toEqual({ field, value, rule: 'reserved' });
      expect(body.error.message, url).toContain('là từ dành riêng');
    }
  });
});
