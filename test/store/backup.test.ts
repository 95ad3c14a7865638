import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { backupRegistry, checkRegistryFile, restoreRegistry } from '../../store/backup.js';
import { openRegistry } from '../../store/index.js';
import { waitFor } from '../support/wait.js';

/**
 * Backup while another process keeps writing (instruments, each with its audit entry in the
 * same transaction), restore into a fresh data folder, and the refusals of restore.
 */
const dirs: string[] = [];
const children: ChildProcess[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'metronet-backup-'));
  dirs.push(d);
  return d;
};

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const storeUrl = pathToFileURL(join(import.meta.dirname, '../../store/index.ts')).href;

/** A separate process creating instruments BK-1, BK-2, … as fast as it can; prints its count. */
function startWriter(file: string): { child: ChildProcess; written: () => number; stop: () => Promise<void> } {
  const code = `
    import { openRegistry } from ${JSON.stringify(storeUrl)};
    const r = openRegistry(${JSON.stringify(file)});
    r.upsertOrg({ id: 'org-bk', name: 'Backup test', kind: 'enterprise', district: null });
    let n = 0, stop = false;
    process.on('SIGTERM', () => { stop = true; });
    const step = () => {
      if (stop) { r.close(); process.stdout.write('closed\\n'); process.exit(0); }
      for (let i = 0; i < 5; i++) {
        n++;
        r.upsertInstrument({ id: 'BK-' + n, org: 'org-bk', registration: 'registered', kind: 'scale', name: 'scale ' + n, serial: 'S' + n, gateway: null, profile: null, site: null });
      }
      process.stdout.write(n + '\\n');
      setImmediate(step);
    };
    step();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let last = 0;
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (/^\d+$/.test(l)) last = Number(l);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, written: () => last, stop: async () => (child.kill('SIGTERM'), await exited) };
}

/** The writer is a node + tsx process: its start takes seconds on a busy machine. */
const WRITER_MS = 60_000;

const rows = (file: string, sql: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
};

describe('registry backup and restore', () => {
  it('backs up a consistent snapshot while another process writes, and restores it into a fresh data folder', async () => {
    const live = join(tmp(), 'registry.db');
    openRegistry(live).close(); // migrated before the writer starts
    const writer = startWriter(live);
    await waitFor(() => writer.written() >= 500, { message: 'the writer to create 500 instruments', timeout: WRITER_MS });

    const before = writer.written();
    const backupFile = join(tmp(), 'registry-backup.db');
    const result = await backupRegistry(live, backupFile);
    const after = writer.written();
    await waitFor(() => writer.written() > after, { message: 'the writer to keep writing after the backup', timeout: WRITER_MS });
    await writer.stop();

    // A snapshot: instruments BK-1 … BK-n with no gap, n between what was written before and
    // after the backup, and exactly one audit entry per instrument (same transaction), after the
    // writer's org.create.
    const ids = (rows(backupFile, "SELECT id FROM instruments WHERE org = 'org-bk'") as { id: string }[])
      .map((r) => Number(r.id.slice(3)))
      .sort((a, b) => a - b);
    const n = ids.length;
    expect(n).toBeGreaterThanOrEqual(before);
    expect(n).toBeLessThanOrEqual(after + 5);
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(rows(backupFile, "SELECT count(*) AS c FROM audit_log WHERE action = 'instrument.create'")).toEqual([{ c: n }]);
    expect(result.audit).toMatchObject({ ok: true, entries: n + 1 });
    expect(result.rows.instruments).toBe(n);
    expect(existsSync(`${backupFile}-wal`)).toBe(false);

    // Restore into a fresh data folder, with the audit key (kept apart from backups) put beside
    // it: the registry opens, rows match, the chain verifies.
    const fresh = join(tmp(), 'registry.db');
    copyFileSync(join(dirname(live), 'audit.key'), join(dirname(fresh), 'audit.key'));
    const restored = restoreRegistry(backupFile, fresh);
    expect(restored.keptAside).toBeUndefined();
    expect(restored.audit).toMatchObject({ ok: true, entries: n + 1 });
    const reg = openRegistry(fresh);
    try {
      expect(reg.listInstruments({ org: 'org-bk', limit: 100_000 }).items).toHaveLength(n);
      expect(reg.audit.verify()).toMatchObject({ ok: true, entries: n + 1 });
    } finally {
      reg.close();
    }
    const dump = 'SELECT id, org, kind, name, serial FROM instruments ORDER BY id';
    expect(rows(fresh, dump)).toEqual(rows(backupFile, dump));
    expect(rows(fresh, 'SELECT * FROM audit_log ORDER BY id')).toEqual(rows(backupFile, 'SELECT * FROM audit_log ORDER BY id'));
  }, 180_000);

  it('refuses a registry in use, keeps the replaced file aside, and refuses files that are not registries it knows', async () => {
    const dir = tmp();
    const target = join(dir, 'registry.db');
    const reg = openRegistry(target);
    reg.upsertOrg({ id: 'org-a', name: 'A', kind: 'enterprise', district: null });
    const backupFile = join(dir, 'b.db');
    await backupRegistry(target, backupFile);
    reg.upsertOrg({ id: 'org-b', name: 'B', kind: 'enterprise', district: null });

    expect(() => restoreRegistry(backupFile, target)).toThrow(/in use .*-wal exists/);
    reg.close();
    const r = restoreRegistry(backupFile, target, { now: Date.UTC(2026, 0, 2) });
    expect(r.keptAside).toBe(`${target}.before-restore-2026-01-02T00-00-00-000Z`);
    expect((rows(target, 'SELECT id FROM orgs ORDER BY id') as { id: string }[]).map((o) => o.id)).toEqual(['org-a']);
    expect((rows(r.keptAside!, 'SELECT id FROM orgs ORDER BY id') as { id: string }[]).map((o) => o.id)).toEqual(['org-a', 'org-b']);

    const notSqlite = join(dir, 'notes.txt');
    writeFileSync(notSqlite, 'not a database, just text that is long enough to have a header'.repeat(10));
    expect(() => restoreRegistry(notSqlite, target)).toThrow(/not an SQLite database/);

    const other = join(dir, 'other.db');
    const o = new Database(other);
    o.exec('CREATE TABLE t (x)');
    o.close();
    expect(() => checkRegistryFile(other)).toThrow(/not a metronet registry \(no schema_migrations table\)/);

    const newer = join(dir, 'newer.db');
    copyFileSync(backupFile, newer);
    const w = new Database(newer);
    w.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, ?, 0)').run('from the future');
    w.close();
    expect(() => restoreRegistry(newer, target)).toThrow(/migration 999 .*newer than this metronet knows/);

    const broken = join(dir, 'broken.db');
    copyFileSync(backupFile, broken);
    const t = new Database(broken);
    t.prepare("INSERT INTO orgs (id, name, kind) VALUES ('org-x', 'X', 'lab')").run();
    const inst = openRegistry(broken);
    inst.upsertInstrument({
      id: 'I-1',
      org: 'org-x',
      registration: 'registered',
      kind: 'scale',
      name: 'i',
      serial: null,
      gateway: null,
      profile: null,
      site: null,
    });
    inst.close();
    t.exec('DROP TRIGGER audit_log_no_update'); // a hand edit: the trigger refuses it otherwise
    t.prepare("UPDATE audit_log SET actor = 'someone else' WHERE id = 1").run();
    t.close();
    expect(() => restoreRegistry(broken, target)).toThrow(/audit chain broken at entry 1/);
    expect((rows(target, 'SELECT id FROM orgs ORDER BY id') as { id: string }[]).map((x) => x.id)).toEqual(['org-a']);
  }, 120_000);
});
