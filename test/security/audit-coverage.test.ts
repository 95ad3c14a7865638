import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as analytics from '../../analytics/index.js';
import * as broker from '../../broker/index.js';
import type { AuditCheckpoint } from '../../core/audit.js';
import { MetronetConfig, loadConfig, topics, withActor } from '../../core/index.js';
import { openRegistry, readCheckpoints, type Registry } from '../../store/index.js';
import { MOSQUITTO, startMosquittoWithFiles } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

/**
 * Section 8 of "Records a province can rely on": every change to gateways, webhooks, tokens,
 * users, organisations and MQTT logins leaves an audit entry naming its actor, from the store
 * and from `metronet admin`; no secret reaches an audit row; the analytics service publishes the
 * signed head retained on metronet/v1/audit/checkpoint, where no gateway (nor another service)
 * may publish — on the embedded broker and on Mosquitto with the exported ACL.
 */
let dir: string;
let registry: Registry;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-audit-cover-'));
  registry = openRegistry(join(dir, 'registry.db'));
});
afterAll(() => {
  registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every audit row as stored, all columns, as one text: what a grep of the table sees. */
const auditText = () => JSON.stringify(new Database(join(dir, 'registry.db'), { readonly: true }).prepare('SELECT * FROM audit_log ORDER BY id').all());
const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');
const since = (id: number) => registry.audit.entries({ after: id, limit: 1000 });
const head = () => registry.audit.entries({ limit: 100_000 }).at(-1)?.id ?? 0;

describe('what is audited, and by whom', () => {
  const secrets: string[] = [];

  it('organisations, gateways (secret rotation included), MQTT logins, users, tokens and webhooks, with the actor of the context', async () => {
    const start = head();
    await withActor('user:alice', async () => {
      registry.upsertOrg({ id: 'ent-x', name: 'Enterprise X', kind: 'enterprise' });
      registry.upsertOrg({ id: 'ent-x', name: 'Enterprise X Ltd', kind: 'enterprise' });
      registry.upsertOrg({ id: 'ent-x', name: 'Enterprise X Ltd', kind: 'enterprise' }); // no change, no entry
      registry.upsertGateway({ id: 'gw-x', org: 'ent-x', name: 'gate' });
      registry.upsertGateway({ id: 'gw-x', org: 'ent-x', name: 'gate 2' });
      registry.setGatewayState('gw-x', 'online', Date.now()); // what it reports: not audited
      secrets.push((await registry.identity.setMqttCredential({ username: 'gw-x', kind: 'gateway', subject: 'gw-x', org: 'ent-x' })).secret);
      secrets.push((await registry.identity.setMqttCredential({ username: 'gw-x', kind: 'gateway', subject: 'gw-x', org: 'ent-x' })).secret);
      secrets.push(
        (await registry.identity.setMqttCredential({ username: 'lab-x-mqtt', kind: 'lab', subject: 'lab-x', secret: 'lab-login-secret-123' })).secret,
      );
      registry.identity.deleteMqttCredential('lab-x-mqtt');
      await registry.identity.createUser({ id: 'bob', role: 'enterprise', org: 'ent-x', password: 'bob-password-123' });
      secrets.push('bob-password-123');
      const { token, secret } = registry.identity.issueToken({ kind: 'api', user: 'bob', name: 'ci', ttlMs: 86_400_000 });
      secrets.push(secret, sha256(secret));
      registry.identity.updateUser('bob', { role: 'authority', org: null });
      await registry.identity.setPassword('bob', 'bob-new-password-456');
      secrets.push('bob-new-password-456');
      registry.identity.revokeToken(token.id); // already revoked by the new password: no second entry
      const w = registry.analytics.addWebhook('ent-x', 'https://hook-user:hook-pass@hooks.example/in?token=tok-in-url-789', 'whsec-webhook-secret-000');
      secrets.push('whsec-webhook-secret-000', 'hook-pass', 'tok-in-url-789');
      registry.analytics.deleteWebhook(w.id);
      registry.identity.deleteUser('bob');
      registry.deleteGateway('gw-x');
      registry.deleteOrg('ent-x');
    });
    const entries = since(start);
    expect(entries.map((e) => `${e.action} ${e.subject}`)).toEqual([
      'org.create org:ent-x',
      'org.update org:ent-x',
      'gateway.create gateway:gw-x',
      'gateway.update gateway:gw-x',
      'mqtt.create gateway:gw-x',
      'mqtt.rotate gateway:gw-x',
      'mqtt.create mqtt:lab-x-mqtt',
      'mqtt.delete mqtt:lab-x-mqtt',
      'user.create user:bob',
      expect.stringMatching(/^token\.issue token:[0-9a-f]{12}$/),
      'user.update user:bob',
      'user.password user:bob',
      expect.stringMatching(/^webhook\.create webhook:\d+$/),
      expect.stringMatching(/^webhook\.delete webhook:\d+$/),
      'user.delete user:bob',
      'gateway.delete gateway:gw-x',
      'org.delete org:ent-x',
    ]);
    expect(new Set(entries.map((e) => e.actor))).toEqual(new Set(['user:alice']));
    expect(entries.find((e) => e.action === 'org.update')).toMatchObject({ before: { name: 'Enterprise X' }, after: { name: 'Enterprise X Ltd' } });
    expect(entries.find((e) => e.action === 'user.update')).toMatchObject({
      before: { role: 'enterprise', org: 'ent-x' },
      after: { role: 'authority', org: null },
    });
    expect(entries.find((e) => e.action === 'user.password')).toMatchObject({ after: { passwordChanged: true, tokensRevoked: 1 } });
    expect(entries.find((e) => e.action === 'mqtt.rotate')).toMatchObject({
      before: { username: 'gw-x', kind: 'gateway' },
      after: { username: 'gw-x', kind: 'gateway' },
    });
    expect(entries.find((e) => e.action === 'webhook.create')).toMatchObject({
      after: { org: 'ent-x', url: 'https://redacted:redacted@hooks.example/in?token=redacted' },
    });
    expect(registry.audit.verify()).toMatchObject({ ok: true });
  });

  it('no password, token, MQTT or webhook secret, nor any of their hashes, is in an audit row', () => {
    const text = auditText();
    for (const s of secrets) expect(text).not.toContain(s);
    // The stored hashes of what still exists, too.
    const db = new Database(join(dir, 'registry.db'), { readonly: true });
    const hashes = [
      ...(
        db
          .prepare(
            'SELECT password AS h FROM users UNION ALL SELECT hash FROM tokens UNION ALL SELECT hash FROM mqtt_credentials UNION ALL SELECT secret FROM webhooks',
          )
          .all() as { h: string }[]
      ).map((r) => r.h),
    ];
    db.close();
    for (const h of hashes) expect(text).not.toContain(h);
    expect(text).not.toMatch(/\$7\$|scrypt\$/);
  });

  // Three command-line runs, each a new Node process: the backstop allows for a busy machine.
  it('`metronet admin mqtt add|remove` and `admin token create` are audited with the operating-system user, secrets left out', {
    timeout: 180_000,
  }, async () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'admin', ...args, '--data-dir', dir], {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '../..'),
      });
    await withActor('user:alice', () => registry.identity.createUser({ id: 'carol', role: 'authority', password: 'carol-password-1' }));
    const start = head() + 1;
    const added = cli('mqtt', 'add', 'lab-y-mqtt', '--kind', 'lab', '--subject', 'lab-y');
    expect(added.status, added.stderr).toBe(0);
    const password = /"password": "([^"]+)"/.exec(added.stdout)![1]!;
    expect(cli('mqtt', 'remove', 'lab-y-mqtt').status).toBe(0);
    const token = cli('token', 'create', 'carol', '--name', 'report');
    expect(token.status, token.stderr).toBe(0);
    const secret = /"secret": "([^"]+)"/.exec(token.stdout)![1]!;
    const entries = since(start - 1).filter((e) => e.actor.startsWith('cli:'));
    expect(entries.map((e) => [e.action, e.subject, e.actor])).toEqual([
      ['mqtt.create', 'mqtt:lab-y-mqtt', `cli:${userInfo().username}`],
      ['mqtt.delete', 'mqtt:lab-y-mqtt', `cli:${userInfo().username}`],
      ['token.issue', expect.stringMatching(/^token:/), `cli:${userInfo().username}`],
    ]);
    const text = auditText();
    for (const s of [password, secret, sha256(secret)]) expect(text).not.toContain(s);
    expect(registry.audit.verify().ok).toBe(true);
  });
});

describe('the checkpoint topic', () => {
  const logins: Record<string, string> = {};
  beforeAll(async () => {
    registry.upsertOrg({ id: 'ent-a', name: 'A', kind: 'enterprise' });
    registry.upsertGateway({ id: 'gw-a', org: 'ent-a' });
    const make = async (username: string, c: { kind: 'gateway' | 'lab' | 'org' | 'service'; subject: string; org?: string }) =>
      (logins[username] = (await registry.identity.setMqttCredential({ username, ...c })).secret);
    await make('gw-a', { kind: 'gateway', subject: 'gw-a', org: 'ent-a' });
    await make('lab-a-mqtt', { kind: 'lab', subject: 'lab-a' });
    await make('ent-a-mqtt', { kind: 'org', subject: 'ent-a' });
    await make('svc-analytics', { kind: 'service', subject: 'analytics' });
    await make('svc-ingest', { kind: 'service', subject: 'ingest' });
  });

  const connect = (url: string, username: string) => mqtt.connectAsync(url, { username, password: logins[username], reconnectPeriod: 0, protocolVersion: 4 });
  /** A request the broker may refuse by closing the connection (aedes on a refused QoS 1 publish). */
  const settled = (c: mqtt.MqttClient, p: Promise<unknown>) => Promise.race([p.catch(() => undefined), new Promise<void>((r) => c.once('close', () => r()))]);

  it('analytics writes and publishes (retained) a signed head, again at shutdown; labs and organisations read it; gateways and other services cannot publish there', async () => {
    const b = await broker.start({ host: '127.0.0.1', port: 0, auth: broker.registryAuth(registry) });
    const file = join(dir, 'checkpoints', 'audit-checkpoints.jsonl');
    const seen: AuditCheckpoint[] = [];
    const lab = await connect(b.url, 'lab-a-mqtt');
    try {
      lab.on('message', (t, p) => t === topics.auditCheckpoint && seen.push(JSON.parse(p.toString()) as AuditCheckpoint));
      expect((await lab.subscribeAsync(topics.auditCheckpoint, { qos: 1 }))[0]!.qos).toBe(1);
      const config = loadConfig(MetronetConfig, {});
      const svc = await analytics.start({
        mqtt: { url: b.url, username: 'svc-analytics', password: logins['svc-analytics'] },
        analytics: config.analytics,
        registry,
        subscribe: false,
        auditCheckpoints: { file, everyMs: 60_000 },
      });
      const first = await waitFor(() => seen.at(-1), 'the first checkpoint on the topic');
      expect(first).toMatchObject({ v: 1, headId: head(), entries: head() });
      expect(registry.audit.verify({ checkpoints: [{ line: 1, checkpoint: first }] })).toMatchObject({ ok: true, checkpoints: 1 });
      expect(readCheckpoints(file)).toEqual([{ line: 1, checkpoint: first }]);

      // Neither a gateway nor the ingest service may publish there.
      const refused = b.stats.refusedPublishes;
      for (const who of ['gw-a', 'svc-ingest']) {
        const c = await connect(b.url, who);
        await settled(c, c.publishAsync(topics.auditCheckpoint, JSON.stringify({ ...first, headId: 1 }), { qos: 1, retain: true }));
        await c.endAsync(true);
      }
      expect(b.stats.refusedPublishes).toBe(refused + 2);

      // A change, then shutdown: the last checkpoint records it, in the file and on the topic.
      registry.upsertOrg({ id: 'ent-late', name: 'Late', kind: 'lab' });
      await svc.close();
      const lines = readCheckpoints(file)!;
      expect(lines).toHaveLength(2);
      const last = (lines[1] as { checkpoint: AuditCheckpoint }).checkpoint;
      expect(last).toMatchObject({ headId: head() });
      await waitFor(() => seen.at(-1)?.headId === head(), 'the shutdown checkpoint on the topic');
      expect(seen.every((cp) => cp.headId >= first.headId)).toBe(true); // nothing forged arrived

      // Retained: an organisation connecting afterwards gets the last one at once.
      const org = await connect(b.url, 'ent-a-mqtt');
      const got = new Promise<AuditCheckpoint>((r) => org.on('message', (_t, p) => r(JSON.parse(p.toString()) as AuditCheckpoint)));
      await org.subscribeAsync(topics.auditCheckpoint, { qos: 1 });
      expect(await got).toEqual(last);
      await org.endAsync(true);
    } finally {
      await lab.endAsync(true);
      await b.close();
    }
  });

  it('the exported Mosquitto ACL denies the topic to every login but the analytics service', () => {
    const acl = broker.mosquittoFiles(registry).acl;
    const block = (user: string) => acl.split('\n\n').find((b) => b.startsWith(`user ${user}\n`)) ?? '';
    expect(block('gw-a')).toContain(`topic deny ${topics.auditCheckpoint}`);
    expect(block('svc-ingest')).toContain(`topic deny ${topics.auditCheckpoint}`);
    expect(block('svc-analytics')).not.toContain('deny');
    expect(block('lab-a-mqtt')).toContain(`topic read ${topics.auditCheckpoint}`);
  });

  it.runIf(MOSQUITTO)("a real Mosquitto on the exported files delivers the analytics checkpoint and drops a gateway's", async () => {
    const m = await startMosquittoWithFiles(broker.mosquittoFiles(registry));
    const lab = await connect(m.url, 'lab-a-mqtt');
    try {
      const got: string[] = [];
      lab.on('message', (_t, p) => got.push(p.toString()));
      await lab.subscribeAsync(topics.auditCheckpoint, { qos: 1 });
      const gw = await connect(m.url, 'gw-a');
      await settled(gw, gw.publishAsync(topics.auditCheckpoint, 'forged by a gateway', { qos: 1 }));
      await gw.endAsync(true);
      const svc = await connect(m.url, 'svc-analytics');
      await svc.publishAsync(topics.auditCheckpoint, 'from analytics', { qos: 1 });
      await svc.endAsync(true);
      await waitFor(() => got.includes('from analytics'), 'the analytics checkpoint at the lab');
      expect(got).toEqual(['from analytics']);
    } finally {
      await lab.endAsync(true);
      await m.close();
    }
  });
});

describe('the audit key file', () => {
  it('is not world-readable and is not the registry', () => {
    const key = readFileSync(join(dir, 'audit.key'), 'utf8');
    expect(key.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(auditText()).not.toContain(key.trim());
  });
});
