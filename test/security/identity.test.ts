import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import * as broker from '../../broker/index.js';
import type { App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import * as dashboard from '../../dashboard/index.js';
import { withActor } from '../../core/index.js';
import { openRegistry } from '../../store/index.js';
import { DAY, closeAll, dashboardOn, twoTenants, USERS, T, type Fixture } from './fixture.js';

/** Sessions, login rate limit, token expiry and revocation, gateway credential rotation, the audit chain, TLS, secrets in logs (issue 6). */
let f: Fixture;
let app: App;
let clock = Date.now();
const logLines: string[] = [];

beforeAll(async () => {
  f = await twoTenants();
  const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }));
  ({ app } = await dashboardOn(f, { now: () => clock, logger }));
});
afterAll(() => closeAll(app, f));

const login = (username: string, password: string, ip = '127.0.0.10') =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: ip });

describe('sessions and login', () => {
  it('a right password sets an HttpOnly SameSite=Strict session cookie that authenticates; logout ends it', async () => {
    const res = await login(USERS.enterprise.id, `password-of-${USERS.enterprise.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user: { id: USERS.enterprise.id, role: 'enterprise', org: T.a.ent } });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^metronet_session=[^;]+;/);
    expect(cookie.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Strict']);
    const session = cookie.split(';')[0]!;
    const me = await app.inject({ url: '/api/v1/auth/me', headers: { cookie: session } });
    expect(me.json().user.id).toBe(USERS.enterprise.id);
    const list = await app.inject({ url: '/api/v1/instruments', headers: { cookie: session } });
    expect(list.json().items.map((i: { id: string }) => i.id)).toEqual([T.a.inst]);
    expect((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: session } })).statusCode).toBe(204);
    expect((await app.inject({ url: '/api/v1/auth/me', headers: { cookie: session } })).statusCode).toBe(401);
  });

  it('limits failed logins per user name and address (429 with Retry-After) without locking the user out elsewhere; the delay passes', async () => {
    const user = USERS.lab.id;
    for (let i = 0; i < 5; i++) expect((await login(user, 'wrong-password', '127.1.0.1')).statusCode).toBe(401);
    const limited = await login(user, `password-of-${user}`, '127.1.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('E_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Issue 16: another address is not delayed by these failures.
    expect((await login(user, `password-of-${user}`, '127.1.0.99')).statusCode).toBe(200);
    clock += Number(limited.headers['retry-after']) * 1000;
    expect((await login(user, `password-of-${user}`, '127.1.0.1')).statusCode).toBe(200);
  });

  it('limits failed logins per address across user names', async () => {
    for (let i = 0; i < 20; i++) await login(`nobody-${i}`, 'x', '127.2.0.1');
    expect((await login(USERS.authority.id, `password-of-${USERS.authority.id}`, '127.2.0.1')).statusCode).toBe(429);
    expect((await login(USERS.authority.id, `password-of-${USERS.authority.id}`, '127.2.0.2')).statusCode).toBe(200);
  });

  it('never writes a password or token to the log', async () => {
    await login(USERS.admin.id, 'a-secret-wrong-password', '127.3.0.1');
    const text = logLines.join('');
    expect(text).toContain('sign-in refused');
    expect(text).not.toContain('a-secret-wrong-password');
    expect(text).not.toContain('password-of-');
    expect(text).not.toMatch(/mtn_[A-Za-z0-9_-]{20}/);
  });
});

describe('API tokens', () => {
  it('are shown once, stored hashed, and stop working when they expire', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: f.auth.enterprise, payload: { name: 'erp', ttlDays: 1 } });
    expect(res.statusCode).toBe(201);
    const { id, secret } = res.json() as { id: string; secret: string };
    expect(secret).toMatch(/^mtn_/);
    const db = new Database(join(f.dir, 'registry.db'), { readonly: true });
    const row = db.prepare('SELECT hash FROM tokens WHERE id = ?').get(id) as { hash: string };
    db.close();
    expect(row.hash).not.toContain(secret);
    expect((await app.inject({ url: '/api/v1/tokens', headers: f.auth.enterprise })).body).not.toContain(secret);
    const auth = { authorization: `Bearer ${secret}` };
    expect((await app.inject({ url: '/api/v1/instruments', headers: auth })).statusCode).toBe(200);
    // Expiry is judged by the registry's clock (real time): issue one that expired already.
    const expired = f.registry.identity.issueToken({ kind: 'api', user: USERS.enterprise.id, ttlMs: DAY }, Date.now() - 2 * DAY).secret;
    expect((await app.inject({ url: '/api/v1/instruments', headers: { authorization: `Bearer ${expired}` } })).statusCode).toBe(401);
  });

  it('stop working when revoked; another user cannot revoke them', async () => {
    const { token, secret } = f.registry.identity.issueToken({ kind: 'api', user: USERS.enterprise.id, ttlMs: DAY });
    // Another user's token answers as a missing one (issue 16, item 8).
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${token.id}`, headers: f.auth.lab })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${token.id}`, headers: f.auth.enterprise })).statusCode).toBe(204);
    expect((await app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(401);
  });
});

describe('gateway onboarding and credential rotation', () => {
  it('creating a gateway returns its MQTT secret once; rotation makes the old one fail', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/gateways',
      headers: f.auth.enterprise,
      payload: { id: 'gw-new', org: T.a.ent, name: 'kho lạnh' },
    });
    expect(created.statusCode).toBe(201);
    const first = created.json().mqtt as { username: string; password: string; publishUnder: string };
    expect(first.publishUnder).toBe('metronet/v1/ent-a/gw-new/+');
    expect((await app.inject({ url: '/api/v1/gateways/gw-new', headers: f.auth.enterprise })).body).not.toContain(first.password);
    const b = await broker.start({ host: '127.0.0.1', port: 0, auth: broker.registryAuth(f.registry) });
    try {
      const c1 = await mqtt.connectAsync(b.url, { username: 'gw-new', password: first.password, reconnectPeriod: 0 });
      await c1.endAsync();
      const rotated = await app.inject({ method: 'POST', url: '/api/v1/gateways/gw-new/rotate', headers: f.auth.enterprise });
      const second = rotated.json().mqtt.password as string;
      expect(second).not.toBe(first.password);
      await expect(mqtt.connectAsync(b.url, { username: 'gw-new', password: first.password, reconnectPeriod: 0 })).rejects.toThrow();
      const c2 = await mqtt.connectAsync(b.url, { username: 'gw-new', password: second, reconnectPeriod: 0 });
      await c2.endAsync();
    } finally {
      await b.close();
    }
  });

  it('an announced instrument shows as unregistered until its organisation completes it', async () => {
    f.registry.ensureInstrument(T.a.ent, 'NEW-SC-9', 'gw-new', Date.now(), 'weighing-indicator-tcp');
    const list = await app.inject({ url: '/api/v1/instruments?registration=unregistered', headers: f.auth.enterprise });
    expect(list.json().items.map((i: { id: string }) => i.id)).toEqual(['NEW-SC-9']);
    const done = await app.inject({
      method: 'PUT',
      url: '/api/v1/instruments/NEW-SC-9',
      headers: f.auth.enterprise,
      // Registration fields only: an interval is not the owner's to state (test/records).
      payload: { kind: 'scale', serial: 'WI-1', lab: T.a.lab },
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ registration: 'registered', kind: 'scale', serial: 'WI-1', gateway: 'gw-new' });
    // Now the serving lab sees it.
    expect((await app.inject({ url: '/api/v1/instruments/NEW-SC-9', headers: f.auth.lab })).statusCode).toBe(200);
  });
});

describe('audit trail', () => {
  it('records who changed what, before and after', async () => {
    await app.inject({ method: 'PUT', url: `/api/v1/instruments/${T.a.inst}`, headers: f.auth.enterprise, payload: { kind: 'scale', name: 'cân sạp 1' } });
    const entries = (await app.inject({ url: `/api/v1/audit?subject=instrument:${T.a.inst}&limit=1000`, headers: f.auth.authority })).json().items as Array<{
      actor: string;
      action: string;
      before: { name?: string } | null;
      after: { name?: string };
    }>;
    const last = entries.filter((e) => e.action === 'instrument.update').at(-1)!;
    expect(last).toMatchObject({ actor: `user:${USERS.enterprise.id}`, before: { name: 'scale a' }, after: { name: 'cân sạp 1' } });
    const ack = await app.inject({ method: 'POST', url: `/api/v1/alerts/${f.alerts.a}/ack`, headers: f.auth.lab });
    expect(ack.statusCode).toBe(200);
    const acks = (await app.inject({ url: `/api/v1/audit?subject=alert:${f.alerts.a}`, headers: f.auth.authority })).json().items;
    expect(acks).toMatchObject([
      { actor: `user:${USERS.lab.id}`, action: 'alert.ack', before: { state: 'open' }, after: { state: 'acknowledged', ackedBy: USERS.lab.id } },
    ]);
  });

  it('`metronet audit verify` passes on a clean log and names the first broken entry after a hand edit', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args, '--data-dir', f.dir], { encoding: 'utf8' });
    const ok = cli(['audit', 'verify']);
    expect(ok.stdout).toMatch(/audit log intact: \d+ entries/);
    expect(ok.status).toBe(0);
    // An edit by hand: the triggers refuse it, so the editor drops them first.
    const db = new Database(join(f.dir, 'registry.db'));
    const at = (db.prepare("SELECT id FROM audit_log WHERE action = 'reference.create' ORDER BY id LIMIT 1").get() as { id: number }).id;
    expect(() => db.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE id = ?").run(at)).toThrow(/append-only/);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET after = replace(after, '20', '21') WHERE id = ?").run(at);
    db.close();
    const broken = cli(['audit', 'verify']);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`BROKEN at entry ${at}: entry ${at} \\(reference.create .*\\) was edited`));
    expect(f.registry.audit.verify()).toMatchObject({ ok: false, brokenAt: at });
  });

  it('`metronet admin gateway add` prints the secret once; `broker export-mosquitto` writes its hash and ACL', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args, '--data-dir', f.dir], { encoding: 'utf8' });
    const added = cli(['admin', 'gateway', 'add', 'gw-cli', '--org', T.a.ent]);
    expect(added.status).toBe(0);
    const password = /"password": "([^"]+)"/.exec(added.stdout)![1]!;
    const out = join(f.dir, 'mosq');
    expect(cli(['broker', 'export-mosquitto', '--out', out]).status).toBe(0);
    const passwd = readFileSync(join(out, 'passwd'), 'utf8');
    expect(passwd).toMatch(/^gw-cli:\$7\$10000\$[^$]+\$[^$]+$/m);
    expect(passwd).not.toContain(password);
    expect(readFileSync(join(out, 'acl'), 'utf8')).toContain(
      'user gw-cli\ntopic write metronet/v1/ent-a/gw-cli/+\ntopic read metronet/v1/ent-a/gw-cli/rejects\n',
    );
  });

  it('detects a deleted entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metronet-audit-'));
    try {
      const r = openRegistry(join(dir, 'registry.db'));
      withActor('user:test', () => {
        for (let i = 1; i <= 4; i++) r.audit.append('reference.update', `reference:R-${i}`, null, { value: i });
      });
      expect(r.audit.verify()).toMatchObject({ ok: true, entries: 4 });
      r.close();
      const db = new Database(join(dir, 'registry.db'));
      db.exec('DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 2');
      db.close();
      const again = openRegistry(join(dir, 'registry.db'));
      expect(again.audit.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/entry 2 is missing/) });
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TLS by certificate paths', () => {
  it('serves MQTT over TLS (mqtts://) and the dashboard over HTTPS with a Secure session cookie', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metronet-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const b = await broker.start({ host: '127.0.0.1', port: 0, tls: { cert, key }, auth: broker.registryAuth(f.registry) });
    const web = await dashboard.start({
      host: '127.0.0.1',
      port: 0,
      tls: { cert, key },
      registry: f.registry,
      readings: f.readings,
      analytics: new Engine({ registry: f.registry }),
    });
    try {
      expect(b.url).toMatch(/^mqtts:\/\//);
      const { secret } = await f.registry.identity.setMqttCredential({ username: 'gw-tls', kind: 'gateway', subject: 'gw-tls', org: T.a.ent });
      const ca = readFileSync(cert);
      const c = await mqtt.connectAsync(b.url, { username: 'gw-tls', password: secret, ca, reconnectPeriod: 0 });
      await c.publishAsync('metronet/v1/ent-a/gw-tls/status', '{}', { qos: 1 });
      await c.endAsync();
      // Without trusting the certificate the client refuses the broker.
      await expect(mqtt.connectAsync(b.url, { username: 'gw-tls', password: secret, reconnectPeriod: 0, connectTimeout: 2000 })).rejects.toThrow();

      expect(web.url).toMatch(/^https:\/\//);
      const { request } = await import('node:https');
      const res = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        const body = JSON.stringify({ username: USERS.admin.id, password: `password-of-${USERS.admin.id}` });
        const r = request(new URL('api/v1/auth/login', web.url), { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (m) => {
          m.resume();
          m.on('end', () => resolve({ status: m.statusCode ?? 0, cookie: String(m.headers['set-cookie']) }));
        });
        r.on('error', reject);
        r.end(body);
      });
      expect(res.status).toBe(200);
      // Under HTTPS the cookie takes the __Host- prefix (issue 16, item 6): Secure, Path=/, no Domain.
      expect(res.cookie).toMatch(/^__Host-metronet_session=[^;]+;.*; Secure(;|$)/);
    } finally {
      await web.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
