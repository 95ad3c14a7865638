import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../core/index.js';
import { openRegistry, openSqlite, REGISTRY_MIGRATIONS, type Registry } from '../../store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'metronet-registry-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reading = (instrument: string, channel: string, ts: number, value: number, status: Reading['status'] = 'ok'): Reading => ({
  instrument,
  channel,
  ts,
  value,
  unit: 'kg',
  status,
});

describe('SQLite opening and migrations', () => {
  it('applies the migrations once; re-opening is a no-op', () => {
    const file = join(dir, 'migrate.db');
    openRegistry(file).close();
    const raw = new Database(file, { readonly: true });
    const first = raw.prepare('SELECT id, name, applied_at FROM schema_migrations ORDER BY id').all();
    expect(first).toHaveLength(REGISTRY_MIGRATIONS.length);
    raw.close();

    openRegistry(file).close();
    const again = new Database(file, { readonly: true });
    expect(again.prepare('SELECT id, name, applied_at FROM schema_migrations ORDER BY id').all()).toEqual(first);
    expect(again.pragma('journal_mode', { simple: true })).toBe('wal');
    again.close();
  });

  it('uses WAL, synchronous NORMAL by default (configurable), foreign keys on', () => {
    const db = openSqlite(join(dir, 'pragmas.db'), []);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    db.close();
    const full = openSqlite(join(dir, 'pragmas.db'), [], { synchronous: 'FULL' });
    expect(full.pragma('synchronous', { simple: true })).toBe(2);
    full.close();
  });

  it('refuses a database migrated by newer code, and one whose history diverged', () => {
    const file = join(dir, 'newer.db');
    openRegistry(file).close();
    const raw = new Database(file);
    raw.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, ?, 0)').run('from the future');
    raw.close();
    expect(() => openRegistry(file)).toThrow(
      expect.objectContaining({ code: 'E_STORE_UNAVAILABLE', message: expect.stringContaining('newer than this metronet knows') }),
    );

    const other = join(dir, 'diverged.db');
    const db = openSqlite(other, [{ id: 1, name: 'something else', sql: 'CREATE TABLE x (a)' }]);
    db.close();
    expect(() => openRegistry(other)).toThrow(expect.objectContaining({ code: 'E_STORE_UNAVAILABLE', message: expect.stringContaining('diverged') }));
  });

  it('applies only the new migrations of a longer list, each recorded', () => {
    const file = join(dir, 'grow.db');
    const m1 = { id: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER)' };
    const m2 = { id: 2, name: 'b', sql: 'CREATE TABLE b (x INTEGER)' };
    openSqlite(file, [m1]).close();
    const db = openSqlite(file, [m1, m2]);
    expect(db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all()).toEqual([1, 2]);
    db.close();
    expect(() => openSqlite(join(dir, 'bad.db'), [m2, m1])).toThrow(/increasing/);
  });
});

describe('registry', () => {
  let reg: Registry;
  beforeEach(() => {
    reg = openRegistry(join(dir, `registry-${n++}.db`));
  });
  afterEach(() => reg.close());

  it('upserts organisations and gateways, keeping facts the caller did not give', () => {
    reg.upsertOrg({ id: 'org-a', name: 'Công ty A', kind: 'enterprise', district: 'Phan Thiết' });
    reg.upsertOrg({ id: 'org-a', name: 'Công ty A (mới)', kind: 'enterprise' });
    reg.upsertOrg({ id: 'lab-1', name: 'Lab', kind: 'lab', district: null });
    expect(reg.getOrg('org-a')).toEqual({ id: 'org-a', name: 'Công ty A (mới)', kind: 'enterprise', district: 'Phan Thiết' });
    expect(reg.listOrgs().map((o) => o.id)).toEqual(['lab-1', 'org-a']);

    reg.upsertGateway({ id: 'gw-1', org: 'org-a', name: 'Chợ' });
    reg.setGatewayState('gw-1', 'online', 1000, '1.2.0');
    reg.upsertGateway({ id: 'gw-1', org: 'org-a', name: 'Chợ Phan Thiết' }); // a re-seed keeps state
    expect(reg.getGateway('gw-1')).toEqual({ id: 'gw-1', org: 'org-a', name: 'Chợ Phan Thiết', state: 'online', lastSeen: 1000, version: '1.2.0' });
    reg.setGatewayState('gw-1', 'offline', 500); // a last will with an older ts still counts; lastSeen only grows
    expect(reg.getGateway('gw-1')).toMatchObject({ state: 'offline', lastSeen: 1000, version: '1.2.0' });
    reg.upsertGateway({ id: 'gw-2', org: 'org-b' });
    expect(reg.listGateways('org-a').map((g) => g.id)).toEqual(['gw-1']);
    expect(reg.listGateways().map((g) => g.id)).toEqual(['gw-1', 'gw-2']);
    expect(reg.getGateway('gw-2')?.state).toBe('unknown');
  });

  it('upserts instruments keeping createdAt, lastSeen and channels', () => {
    const a = reg.upsertInstrument({ id: 'SC-1', org: 'org-a', registration: 'registered', kind: 'scale', name: 'Cân 1', createdAt: 100 });
    expect(a).toMatchObject({ id: 'SC-1', org: 'org-a', registration: 'registered', kind: 'scale', name: 'Cân 1', createdAt: 100, lastSeen: null });
    reg.ensureChannel('SC-1', 'mass', 'kg');
    reg.updateLatest([reading('SC-1', 'mass', 5000, 20)]);
    const b = reg.upsertInstrument({ id: 'SC-1', org: 'org-a', registration: 'registered', serial: 'S-9', createdAt: 999 });
    expect(b).toMatchObject({ name: 'Cân 1', serial: 'S-9', createdAt: 100, lastSeen: 5000 });
    expect(reg.listChannels('SC-1')).toHaveLength(1); // an upsert must not cascade-delete channels
    const c = reg.upsertInstrument({ id: 'SC-1', org: 'org-a', registration: 'registered', name: null });
    expect(c.name).toBeNull();
  });

  it('ensureInstrument creates an unregistered instrument for the org, and never moves one to another org', () => {
    const made = reg.ensureInstrument('org-a', 'SC-1', 'gw-1', 1234);
    expect(made).toMatchObject({ id: 'SC-1', org: 'org-a', registration: 'unregistered', gateway: 'gw-1', createdAt: 1234 });
    const foreign = reg.ensureInstrument('org-b', 'SC-1', 'gw-9', 2000);
    expect(foreign).toMatchObject({ org: 'org-a', gateway: 'gw-1', createdAt: 1234 });
    expect(reg.getInstrument('SC-1')?.org).toBe('org-a');
    // Within its org, a new gateway or profile is recorded.
    expect(reg.ensureInstrument('org-a', 'SC-1', 'gw-2', 3000, 'scale-x')).toMatchObject({ gateway: 'gw-2', profile: 'scale-x', createdAt: 1234 });
    expect(reg.ensureInstrument('org-a', 'SC-1', null, 3000)).toMatchObject({ gateway: 'gw-2', profile: 'scale-x' });
  });

  it('ensureChannel keeps the first unit', () => {
    reg.ensureInstrument('org-a', 'SC-1', null, 1);
    expect(reg.ensureChannel('SC-1', 'mass', 'kg').unit).toBe('kg');
    expect(reg.ensureChannel('SC-1', 'mass', 'g').unit).toBe('kg');
    expect(reg.getChannel('SC-1', 'mass')).toEqual({ instrument: 'SC-1', channel: 'mass', unit: 'kg', lastTs: null, lastValue: null, lastStatus: null });
    expect(reg.getChannel('SC-1', 'tare')).toBeUndefined();
  });

  it('updateLatest moves latest values and lastSeen forward only', () => {
    reg.ensureInstrument('org-a', 'SC-1', null, 1);
    reg.ensureChannel('SC-1', 'mass', 'kg');
    reg.ensureChannel('SC-1', 'tare', 'kg');
    reg.updateLatest([reading('SC-1', 'mass', 2000, 20.2), reading('SC-1', 'mass', 3000, 20.3, 'unstable'), reading('SC-1', 'mass', 1000, 20.1)]);
    expect(reg.getChannel('SC-1', 'mass')).toMatchObject({ lastTs: 3000, lastValue: 20.3, lastStatus: 'unstable' });
    reg.updateLatest([reading('SC-1', 'mass', 2500, 99), reading('SC-1', 'mass', 3000, 98), reading('SC-1', 'tare', 100, 0.5)]);
    expect(reg.getChannel('SC-1', 'mass')).toMatchObject({ lastTs: 3000, lastValue: 20.3 }); // older and equal ts leave it
    expect(reg.getChannel('SC-1', 'tare')).toMatchObject({ lastTs: 100, lastValue: 0.5 });
    expect(reg.getInstrument('SC-1')?.lastSeen).toBe(3000);
    reg.updateLatest([reading('SC-1', 'mass', 4000, 20.4), reading('SC-1', 'ghost', 9000, 1)]); // unknown channel: skipped
    expect(reg.getChannel('SC-1', 'mass')?.lastValue).toBe(20.4);
    expect(reg.getChannel('SC-1', 'ghost')).toBeUndefined();
    expect(reg.getInstrument('SC-1')?.lastSeen).toBe(9000);
  });

  it('lists instruments by org, kind, registration and q, with limit, offset and total', () => {
    reg.upsertInstrument({ id: 'SC-1', org: 'org-a', registration: 'registered', kind: 'scale', name: 'Cân chợ', site: 'Chợ Phan Thiết, sạp 12' });
    reg.upsertInstrument({ id: 'FD-1', org: 'org-a', registration: 'registered', kind: 'fuel_dispenser', serial: 'TK-100%' });
    reg.ensureInstrument('org-a', 'SC-2', 'gw-1', 1);
    reg.upsertInstrument({ id: 'SC-3', org: 'org-b', registration: 'registered', kind: 'scale' });
    expect(reg.listInstruments().total).toBe(4);
    expect(reg.listInstruments({ org: 'org-a' }).items.map((i) => i.id)).toEqual(['FD-1', 'SC-1', 'SC-2']);
    expect(reg.listInstruments({ kind: 'scale' }).items.map((i) => i.id)).toEqual(['SC-1', 'SC-3']);
    expect(reg.listInstruments({ registration: 'unregistered' }).items.map((i) => i.id)).toEqual(['SC-2']);
    expect(reg.listInstruments({ q: 'sạp' }).items.map((i) => i.id)).toEqual(['SC-1']);
    expect(reg.listInstruments({ q: '100%' }).items.map((i) => i.id)).toEqual(['FD-1']); // % is literal
    expect(reg.listInstruments({ q: '_' }).total).toBe(0); // _ is literal too
    expect(reg.listInstruments({ org: 'org-a', kind: 'scale', q: 'sc' }).items.map((i) => i.id)).toEqual(['SC-1']);
    const page = reg.listInstruments({ org: 'org-a', limit: 2, offset: 1 });
    expect(page).toMatchObject({ total: 3 });
    expect(page.items.map((i) => i.id)).toEqual(['SC-1', 'SC-2']);
  });

  it('lists the channels of thousands of instruments in one call', () => {
    const ids = Array.from({ length: 3000 }, (_, i) => `SC-${i}`);
    for (const id of ids) {
      reg.ensureInstrument('org-a', id, null, 1);
      reg.ensureChannel(id, 'mass', 'kg');
      if (id.endsWith('7')) reg.ensureChannel(id, 'tare', 'kg');
    }
    const map = reg.listChannelsOf([...ids, 'nope']);
    expect(map.size).toBe(3001);
    expect(map.get('SC-17')?.map((c) => c.channel)).toEqual(['mass', 'tare']);
    expect(map.get('SC-18')?.map((c) => c.channel)).toEqual(['mass']);
    expect(map.get('nope')).toEqual([]);
    expect(reg.listChannelsOf([]).size).toBe(0);
  });

  it('records rejects newest first, filters them, and keeps only the newest 10 000', () => {
    reg.recordRejects([
      {
        ts: 1,
        org: 'org-a',
        gateway: 'gw-1',
        instrument: 'SC-1',
        code: 'E_UNIT_MISMATCH',
        field: 'readings[0].unit',
        value: 'g',
        rule: 'unit',
        message: 'expected kg, got g',
      },
      { ts: 2, org: 'org-b', gateway: 'gw-2', code: 'E_MALFORMED_JSON', field: '(payload)', value: '{oops', message: 'not JSON' },
    ]);
    const all = reg.listRejects();
    expect(all.map((r) => r.code)).toEqual(['E_MALFORMED_JSON', 'E_UNIT_MISMATCH']);
    expect(all[1]).toEqual({
      ts: 1,
      org: 'org-a',
      gateway: 'gw-1',
      instrument: 'SC-1',
      code: 'E_UNIT_MISMATCH',
      field: 'readings[0].unit',
      value: 'g',
      rule: 'unit',
      message: 'expected kg, got g',
    });
    expect(reg.listRejects({ org: 'org-b' }).map((r) => r.code)).toEqual(['E_MALFORMED_JSON']);
    expect(reg.listRejects({ gateway: 'gw-1', org: 'org-a' })).toHaveLength(1);
    expect(reg.listRejects({ limit: 1 })).toHaveLength(1);

    const many = Array.from({ length: 10_050 }, (_, i) => ({ ts: 100 + i, org: 'org-a', code: 'E_SCHEMA' as const, message: `m${i}` }));
    reg.recordRejects(many.slice(0, 5000));
    reg.recordRejects(many.slice(5000));
    const kept = reg.listRejects({ limit: 20_000 });
    expect(kept).toHaveLength(10_000);
    expect(kept[0]?.message).toBe('m10049');
    expect(kept.at(-1)?.message).toBe('m50');
  });

  it('keeps a long or structured reject value short', () => {
    reg.recordRejects([{ ts: 1, code: 'E_SCHEMA', message: 'x', value: { deep: 'y'.repeat(1000) } }]);
    const [r] = reg.listRejects();
    expect(typeof r?.value).toBe('string');
    expect(String(r?.value).length).toBeLessThanOrEqual(201);
  });
});
