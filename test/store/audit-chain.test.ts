import { spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { withActor } from '../../core/index.js';
import { REGISTRY_MIGRATIONS, appendCheckpoint, canonical, openRegistry, openSqlite, readCheckpoints, type Registry } from '../../store/index.js';
import { restoreRegistry } from '../../store/backup.js';

/**
 * The keyed audit chain and its checkpoints ("Records a province can rely on", section 8):
 * someone who can edit the registry file but does not hold the audit key cannot edit an entry and
 * recompute the chain unnoticed; someone who holds the key cannot remove the newest entries
 * unnoticed once a signed checkpoint recorded them; chains written before the upgrade verify.
 * Real SQLite files, real key and checkpoint files, and the real `metronet audit verify`.
 */
const dirs: string[] = [];
const open: Registry[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'metronet-audit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const r of open.splice(0)) r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function registryIn(dir: string): Registry {
  const r = openRegistry(join(dir, 'registry.db'));
  open.push(r);
  return r;
}

/** Five audited changes by `user:alice`. */
function fiveChanges(r: Registry): void {
  withActor('user:alice', () => {
    for (let i = 1; i <= 5; i++) r.upsertOrg({ id: `org-${i}`, name: `Org ${i}`, kind: 'enterprise' });
  });
}

const cli = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'audit', 'verify', '--data-dir', dir, ...args], {
    encoding: 'utf8',
    cwd: join(import.meta.dirname, '../..'),
  });

interface RawRow {
  id: number;
  ts: number;
  actor: string;
  action: string;
  subject: string;
  before: string | null;
  after: string | null;
  prev_hash: string;
  hash: string;
  rule: string;
  key_id: string | null;
}

/**
 * What an attacker with the file but not the key does: change entry `from`, then recompute every
 * later hash (and prev_hash) with `hash` — the public sha256 rule, or an HMAC under a key of their own.
 */
function editAndRecompute(
  file: string,
  from: number,
  edit: (r: RawRow) => void,
  rule: 'sha256' | 'hmac-sha256',
  hash: (text: string) => string,
  startAt = from,
): void {
  const db = new Database(file);
  db.exec('DROP TRIGGER audit_log_no_update');
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY id').all() as RawRow[];
  const update = db.prepare('UPDATE audit_log SET actor = @actor, after = @after, prev_hash = @prev_hash, hash = @hash, rule = @rule WHERE id = @id');
  let prev = startAt > 1 ? rows[startAt - 2]!.hash : '0'.repeat(64);
  for (const r of rows.filter((x) => x.id >= startAt)) {
    if (r.id === from) edit(r);
    const content = { id: r.id, ts: r.ts, actor: r.actor, action: r.action, subject: r.subject, before: r.before, after: r.after };
    r.prev_hash = prev;
    r.hash = hash(`${prev}\n${canonical(content)}`);
    r.rule = rule;
    update.run(r);
    prev = r.hash;
  }
  db.close();
}
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

describe('the keyed chain', () => {
  it('keys new entries with a key file created 0600 beside the registry, outside the database', () => {
    const dir = tmp();
    const r = registryIn(dir);
    fiveChanges(r);
    const keyFile = join(dir, 'audit.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, 'registry.db')).includes(Buffer.from(key))).toBe(false);
    expect(r.audit.entries().map((e) => e.rule)).toEqual(Array(5).fill('hmac-sha256'));
    expect(r.audit.verify()).toMatchObject({ ok: true, entries: 5, keyed: 5, legacy: 0 });
  });

  it('a configured key is used as is and no file is written', () => {
    const dir = tmp();
    const key = randomBytes(32).toString('hex');
    const r = openRegistry(join(dir, 'registry.db'), { audit: { key } });
    open.push(r);
    fiveChanges(r);
    expect(existsSync(join(dir, 'audit.key'))).toBe(false);
    const row = new Database(join(dir, 'registry.db'), { readonly: true }).prepare('SELECT * FROM audit_log WHERE id = 1').get() as RawRow;
    const content = { id: 1, ts: row.ts, actor: row.actor, action: row.action, subject: row.subject, before: row.before, after: row.after };
    expect(row.hash).toBe(
      createHmac('sha256', Buffer.from(key, 'hex'))
        .update(`${row.prev_hash}\n${canonical(content)}`)
        .digest('hex'),
    );
    expect(r.audit.verify().ok).toBe(true);
  });

  it('an edit with every later hash recomputed by the sha256 rule fails: unkeyed entries after keyed ones', () => {
    const dir = tmp();
    fiveChanges(registryIn(dir));
    open.pop()!.close();
    editAndRecompute(join(dir, 'registry.db'), 3, (row) => (row.after = row.after!.replace('Org 3', 'Org X')), 'sha256', sha);
    const v = registryIn(dir).audit.verify();
    expect(v).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringMatching(/unkeyed after keyed entries/) });
    const res = cli(dir);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/BROKEN at entry 3/);
  });

  it('the whole chain rewritten by the sha256 rule fails: nothing keyed seals it', () => {
    const dir = tmp();
    fiveChanges(registryIn(dir));
    open.pop()!.close();
    editAndRecompute(join(dir, 'registry.db'), 2, (row) => (row.actor = 'user:mallory'), 'sha256', sha, 1);
    expect(registryIn(dir).audit.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/entries 1–5 are unkeyed and no keyed entry seals them/) });
  });

  it('an edit with every later HMAC recomputed under another key fails at the edited entry', () => {
    const dir = tmp();
    fiveChanges(registryIn(dir));
    open.pop()!.close();
    const guess = randomBytes(32);
    editAndRecompute(
      join(dir, 'registry.db'),
      2,
      (row) => (row.actor = 'user:mallory'),
      'hmac-sha256',
      (t) => createHmac('sha256', guess).update(t).digest('hex'),
    );
    expect(registryIn(dir).audit.verify()).toMatchObject({
      ok: false,
      brokenAt: 2,
      reason: expect.stringMatching(/entry 2 \(org.create org:org-2\) was edited: .*HMAC/),
    });
    expect(cli(dir).status).toBe(1);
  });

  it('without the key verify says so (exit 3) instead of passing, and changes are refused rather than left unaudited', () => {
    const dir = tmp();
    fiveChanges(registryIn(dir));
    open.pop()!.close();
    renameSync(join(dir, 'audit.key'), join(dir, 'audit.key.elsewhere'));
    const res = cli(dir);
    expect(res.status).toBe(3);
    expect(res.stderr).toMatch(/NOT VERIFIED: cannot verify: entries from 1 on are keyed with key [0-9a-f]{16} and key file .*audit\.key is missing/);
    const r = registryIn(dir);
    expect(r.audit.verify()).toMatchObject({ ok: false, keyMissing: true });
    expect(() => r.upsertOrg({ id: 'org-new', name: 'New', kind: 'lab' })).toThrow(/audit key missing/);
    expect(r.getOrg('org-new')).toBeUndefined();
    expect(existsSync(join(dir, 'audit.key'))).toBe(false); // no new key made behind the operator's back
  });

  it('an untouched chain passes `metronet audit verify` (exit 0)', () => {
    const dir = tmp();
    fiveChanges(registryIn(dir));
    const res = cli(dir);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/audit log intact: 5 entries \(5 keyed, 0 from before keying\)/);
    expect(res.stdout).toMatch(/no checkpoint file at .*audit-checkpoints\.jsonl/);
  });
});

describe('checkpoints', () => {
  it('truncating the newest entries, key in hand, fails against the last checkpoint; so does replacing them', () => {
    const dir = tmp();
    const r = registryIn(dir);
    fiveChanges(r);
    const file = join(dir, 'audit-checkpoints.jsonl');
    appendCheckpoint(file, r.audit.checkpoint());
    expect(r.audit.verify({ checkpoints: readCheckpoints(file) })).toMatchObject({ ok: true, checkpoints: 1 });
    expect(cli(dir).stdout).toMatch(/matches 1 signed checkpoint\(s\)/);
    r.close();
    open.pop();

    const db = new Database(join(dir, 'registry.db'));
    db.exec('DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id >= 4');
    db.close();
    const again = registryIn(dir);
    expect(again.audit.verify().ok).toBe(true); // the chain alone cannot tell
    expect(again.audit.verify({ checkpoints: readCheckpoints(file) })).toMatchObject({
      ok: false,
      brokenAt: 4,
      reason: expect.stringMatching(/truncated: the registry has 3 entries but the checkpoint of .* recorded 5: entries 4–5 were removed/),
    });
    const res = cli(dir);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/truncated/);

    // Two other entries written in their place, with the key: as many entries, another head.
    withActor('user:mallory', () => {
      again.upsertOrg({ id: 'org-y', name: 'Y', kind: 'lab' });
      again.upsertOrg({ id: 'org-z', name: 'Z', kind: 'lab' });
    });
    expect(again.audit.verify({ checkpoints: readCheckpoints(file) })).toMatchObject({
      ok: false,
      brokenAt: 5,
      reason: expect.stringMatching(/entry 5 no longer has the hash the checkpoint .* recorded/),
    });
  });

  it('a checkpoint edited in its file fails its signature; a line that is not one fails too', () => {
    const dir = tmp();
    const r = registryIn(dir);
    fiveChanges(r);
    const file = join(dir, 'cp.jsonl');
    const cp = r.audit.checkpoint();
    writeFileSync(file, `${JSON.stringify({ ...cp, ts: cp.ts - 1 })}\n`);
    expect(r.audit.verify({ checkpoints: readCheckpoints(file) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/checkpoint line 1 .* bad signature/),
    });
    writeFileSync(file, '{"v":1,"entries":5}\n');
    expect(r.audit.verify({ checkpoints: readCheckpoints(file) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/checkpoint line 1 is not a checkpoint/),
    });
    expect(cli(dir, '--checkpoints', file).status).toBe(1);
  });
});

describe('registries from before the keyed chain', () => {
  /** A registry at migration 6 whose audit entries were written by the sha256 rule, as before. */
  function legacyRegistry(dir: string, n: number): void {
    const db = openSqlite(
      join(dir, 'registry.db'),
      REGISTRY_MIGRATIONS.filter((m) => m.id <= 6),
    );
    const insert = db.prepare('INSERT INTO audit_log (id, ts, actor, action, subject, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    let prev = '0'.repeat(64);
    for (let id = 1; id <= n; id++) {
      const e = {
        id,
        ts: 1_700_000_000_000 + id,
        actor: 'user:old',
        action: 'instrument.create',
        subject: `instrument:I-${id}`,
        before: null,
        after: canonical({ id: `I-${id}` }),
      };
      const hash = sha(`${prev}\n${canonical(e)}`);
      insert.run(id, e.ts, e.actor, e.action, e.subject, e.before, e.after, prev, hash);
      prev = hash;
    }
    db.close();
  }

  it('the old entries keep verifying by their sha256 rule, sealed by a keyed entry at the upgrade', () => {
    const dir = tmp();
    legacyRegistry(dir, 4);
    const r = registryIn(dir);
    const entries = r.audit.entries();
    expect(entries.map((e) => e.rule)).toEqual(['sha256', 'sha256', 'sha256', 'sha256', 'hmac-sha256']);
    expect(entries[4]).toMatchObject({ action: 'audit.keyed', after: { legacyEntries: 4, legacyHead: entries[3]!.hash } });
    fiveChanges(r);
    expect(r.audit.verify()).toMatchObject({ ok: true, entries: 10, keyed: 6, legacy: 4 });
    expect(cli(dir).status).toBe(0);
  });

  it('an old entry edited and the chain recomputed by the old rule fails', () => {
    const dir = tmp();
    legacyRegistry(dir, 4);
    registryIn(dir);
    open.pop()!.close();
    editAndRecompute(join(dir, 'registry.db'), 2, (row) => (row.actor = 'user:mallory'), 'sha256', sha);
    // editAndRecompute rewrote the seal (entry 5) by the sha256 rule as well: that is the downgrade.
    expect(registryIn(dir).audit.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/unkeyed and no keyed entry seals them/) });
  });

  it('restoring a keyed backup needs the key beside the target: refused without it, restored with it', async () => {
    const dir = tmp();
    fiveChanges(registryIn(dir));
    open.pop()!.close();
    const fresh = tmp();
    expect(() => restoreRegistry(join(dir, 'registry.db'), join(fresh, 'registry.db'))).toThrow(
      /cannot be checked .* put the registry's audit key at .*audit\.key/,
    );
    const restored = restoreRegistry(join(dir, 'registry.db'), join(fresh, 'registry.db'), { audit: { keyFile: join(dir, 'audit.key') } });
    expect(restored.audit).toMatchObject({ ok: true, entries: 5 });
  });
});
