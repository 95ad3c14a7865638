import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import type { App } from '../../dashboard/app.js';
import { Lookups } from '../../ingest/lookups.js';
import { DAY, T, closeAll, dashboardOn, twoTenants, type Fixture } from './fixture.js';

/**
 * Issue 6 gaps: deleting organisations, gateways and instruments (admin only, audited, history
 * kept), completing an instrument with its last verification, instruments announced by a
 * gateway audited with the gateway as actor, and the instrument/reference admin CLI.
 */
let f: Fixture;
let app: App;
beforeAll(async () => {
  f = await twoTenants();
  ({ app } = await dashboardOn(f));
});
afterAll(() => closeAll(app, f));

const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object, role: 'admin' | 'enterprise' = 'admin') =>
  app.inject({ method, url, payload, headers: f.auth[role] });
const lastAudit = () => f.registry.audit.entries({ limit: 1000 }).at(-1)!;

describe('deleting records (admin)', () => {
  it('an organisation with instruments, users, gateways or standards is refused with E_CONFLICT naming them', async () => {
    const res = await call('DELETE', `/api/v1/orgs/${T.a.ent}`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'E_CONFLICT', details: { usage: { instruments: 1, users: 1, gateways: 1 } } });
    expect(res.json().error.message).toMatch(/1 instrument\(s\), 1 user\(s\), 1 gateway\(s\)/);
    const lab = await call('DELETE', `/api/v1/orgs/${T.a.lab}`);
    expect(lab.statusCode).toBe(409);
    expect(lab.json().error.message).toMatch(/served instrument|reference standard/);
    expect(f.registry.getOrg(T.a.ent)).toBeDefined();
  });

  it('an empty organisation is deleted with its MQTT logins, audited', async () => {
    f.registry.upsertOrg({ id: 'org-empty', name: 'Empty', kind: 'enterprise' });
    await f.registry.identity.setMqttCredential({ username: 'org-empty-alerts', kind: 'org', subject: 'org-empty' });
    expect((await call('DELETE', '/api/v1/orgs/org-empty')).statusCode).toBe(204);
    expect(f.registry.getOrg('org-empty')).toBeUndefined();
    expect(f.registry.identity.getMqttCredential('org-empty-alerts')).toBeUndefined();
    expect(lastAudit()).toMatchObject({
      action: 'org.delete',
      subject: 'org:org-empty',
      actor: 'user:root',
      before: { name: 'Empty', mqttLogins: ['org-empty-alerts'] },
      after: null,
    });
    expect((await call('DELETE', '/api/v1/orgs/org-empty')).statusCode).toBe(404);
  });

  it('a gateway is deleted with its login; its instruments stay', async () => {
    f.registry.upsertGateway({ id: 'gw-old', org: T.a.ent });
    await f.registry.identity.setMqttCredential({ username: 'gw-old', kind: 'gateway', subject: 'gw-old', org: T.a.ent });
    f.registry.upsertInstrument({ id: 'SC-OLD', org: T.a.ent, registration: 'registered', kind: 'scale', gateway: 'gw-old' });
    expect((await call('DELETE', '/api/v1/gateways/gw-old', undefined, 'enterprise')).statusCode).toBe(403);
    expect((await call('DELETE', '/api/v1/gateways/gw-old')).statusCode).toBe(204);
    expect(f.registry.getGateway('gw-old')).toBeUndefined();
    expect(f.registry.identity.getMqttCredential('gw-old')).toBeUndefined();
    expect(f.registry.getInstrument('SC-OLD')).toBeDefined();
    expect(lastAudit()).toMatchObject({ action: 'gateway.delete', subject: 'gateway:gw-old', before: { org: T.a.ent, mqttLogin: true } });
  });

  it('an instrument is deleted with its channels; readings, calibrations and the audit chain stay', async () => {
    const r = f.registry;
    r.upsertInstrument({ id: 'SC-GONE', org: T.a.ent, registration: 'registered', kind: 'scale' });
    r.ensureChannel('SC-GONE', 'mass', 'kg');
    await f.readings.write([{ instrument: 'SC-GONE', org: T.a.ent, channel: 'mass', ts: Date.now() - 1000, value: 20.001, unit: 'kg', status: 'ok' }]);
    r.analytics.insertCalibration({
      instrument: 'SC-GONE',
      type: 'verification',
      date: Date.now() - DAY,
      lab: T.a.lab,
      certificate: 'GONE-1',
      procedure: null,
      conditions: null,
      results: [],
      references: [],
      result: 'pass',
      decisionRule: 'simple',
      statement: null,
      authorisedBy: 'x',
      intervalDays: 365,
      nextDue: null,
    });
    expect((await call('DELETE', '/api/v1/instruments/SC-GONE', undefined, 'enterprise')).statusCode).toBe(403);
    expect((await call('DELETE', '/api/v1/instruments/SC-GONE')).statusCode).toBe(204);
    expect(r.getInstrument('SC-GONE')).toBeUndefined();
    expect(r.listChannels('SC-GONE')).toEqual([]);
    expect(await f.readings.count('SC-GONE')).toBe(1);
    expect(r.analytics.listCalibrations('SC-GONE')).toHaveLength(1);
    expect(lastAudit()).toMatchObject({
      action: 'instrument.delete',
      subject: 'instrument:SC-GONE',
      before: { kind: 'scale', channels: [{ channel: 'mass', unit: 'kg' }] },
    });
    expect(r.audit.verify().ok).toBe(true);
    expect((await call('DELETE', '/api/v1/instruments/SC-GONE')).statusCode).toBe(404);
  });
});

describe('onboarding', () => {
  it('an instrument a gateway announces is created unregistered and audited with the gateway as actor', () => {
    new Lookups(f.registry).instrument(T.a.ent, 'SC-NEW-1', T.a.gw, Date.now(), 'scale-tcp');
    expect(f.registry.getInstrument('SC-NEW-1')).toMatchObject({ registration: 'unregistered', org: T.a.ent, gateway: T.a.gw });
    expect(f.registry.audit.entries({ subject: 'instrument:SC-NEW-1' })).toMatchObject([
      { action: 'instrument.create', actor: `gateway:${T.a.gw}`, before: null, after: { registration: 'unregistered', gateway: T.a.gw } },
    ]);
    // Seen again: no second entry.
    new Lookups(f.registry).instrument(T.a.ent, 'SC-NEW-1', T.a.gw, Date.now(), 'scale-tcp');
    expect(f.registry.audit.entries({ subject: 'instrument:SC-NEW-1' })).toHaveLength(1);
  });

  // Admin only (data repair): the owner may not state a verification (test/records, analytics/authority.ts).
  it('completing it with its last verification records a verification; the due date follows', async () => {
    const date = Date.UTC(2026, 2, 1);
    const res = await call(
      'PUT',
      '/api/v1/instruments/SC-NEW-1',
      { kind: 'scale', serial: 'S-77', lab: T.a.lab, intervalDays: 365, lastVerification: { date, certificate: 'KĐ-2026-0077', lab: T.a.lab } },
      'admin',
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ registration: 'registered', serial: 'S-77' });
    const cals = (await call('GET', '/api/v1/instruments/SC-NEW-1/calibrations', undefined, 'enterprise')).json().items;
    expect(cals).toMatchObject([
      { type: 'verification', date, certificate: 'KĐ-2026-0077', lab: T.a.lab, intervalDays: 365, nextDue: date + 365 * DAY, results: [] },
    ]);
    const actions = f.registry.audit.entries({ subject: 'instrument:SC-NEW-1' }).map((e) => [e.action, e.actor]);
    expect(actions).toEqual([
      ['instrument.create', `gateway:${T.a.gw}`],
      ['instrument.update', 'user:root'],
      ['instrument.service', 'user:root'],
      ['calibration.create', 'user:root'],
    ]);
    // The same certificate twice is a conflict, and nothing of the request is saved.
    const again = await call(
      'PUT',
      '/api/v1/instruments/SC-NEW-1',
      { kind: 'scale', serial: 'CHANGED', lastVerification: { date, certificate: 'KĐ-2026-0077', lab: T.a.lab } },
      'admin',
    );
    expect(again.statusCode).toBe(409);
    expect(f.registry.getInstrument('SC-NEW-1')!.serial).toBe('S-77');
  });
});

describe('metronet admin instrument | reference', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args, '--data-dir', f.dir], { encoding: 'utf8' });

  // Nine command-line runs one after another, each a new Node process: the backstop allows for a busy machine.
  it('adds, completes, lists instruments and standards through the same engine operations as the API, audited with a CLI actor', { timeout: 240_000 }, () => {
    let r = cli([
      'admin',
      'instrument',
      'add',
      'SC-CLI-1',
      '--org',
      T.a.ent,
      '--kind',
      'scale',
      '--name',
      'cân CLI',
      '--lab',
      T.a.lab,
      '--interval-days',
      '180',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'SC-CLI-1', registration: 'registered', kind: 'scale' });
    r = cli([
      'admin',
      'instrument',
      'update',
      'SC-CLI-1',
      '--serial',
      'SN-9',
      '--verified-on',
      '2026-03-01',
      '--certificate',
      'CLI-CERT-1',
      '--verified-by',
      T.a.lab,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ serial: 'SN-9', kind: 'scale', name: 'cân CLI' });
    expect(f.registry.analytics.listCalibrations('SC-CLI-1')).toMatchObject([{ certificate: 'CLI-CERT-1', nextDue: Date.UTC(2026, 2, 1) + 180 * DAY }]);
    expect(cli(['admin', 'instrument', 'update', 'SC-CLI-1', '--certificate', 'X']).stderr).toMatch(/--verified-on, --certificate and --verified-by together/);
    expect(cli(['admin', 'instrument', 'add', 'SC-CLI-1', '--org', T.a.ent, '--kind', 'scale']).stderr).toMatch(/exists/);
    r = cli(['admin', 'instrument', 'list', '--org', T.a.ent]);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((i) => i.id)).toContain('SC-CLI-1');

    r = cli([
      'admin',
      'reference',
      'add',
      'REF-CLI',
      '--lab',
      T.a.lab,
      '--quantity',
      'mass',
      '--unit',
      'kg',
      '--nominal',
      '20',
      '--value',
      '20.0002',
      '-U',
      '0.001',
      '--due',
      '2027-01-01',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'REF-CLI', lab: T.a.lab, k: 2, due: Date.UTC(2027, 0, 1) });
    r = cli(['admin', 'reference', 'update', 'REF-CLI', '--value', '20.0003']);
    expect(r.status, r.stderr).toBe(0);
    expect(f.registry.analytics.getReference('REF-CLI')).toMatchObject({ value: 20.0003, unit: 'kg', due: Date.UTC(2027, 0, 1) });
    expect(
      cli(['admin', 'reference', 'add', 'REF-BAD', '--lab', T.a.lab, '--quantity', 'mass', '--unit', 'kg', '--nominal', '20', '--value', '20']).stderr,
    ).toMatch(/reference: .*U/);
    expect((JSON.parse(cli(['admin', 'reference', 'list', '--lab', T.a.lab]).stdout) as { id: string }[]).map((x) => x.id)).toContain('REF-CLI');

    const actors = new Set(
      f.registry.audit
        .entries({ limit: 1000 })
        .filter((e) => e.subject === 'instrument:SC-CLI-1' || e.subject === 'reference:REF-CLI')
        .map((e) => e.actor),
    );
    expect([...actors]).toHaveLength(1);
    expect([...actors][0]).toMatch(/^cli:/);
    expect(f.registry.audit.verify().ok).toBe(true);
  });
});
