import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MetronetError, isMetronetError } from '../core/index.js';
import { REGISTRY_MIGRATIONS } from './registry-schema.js';
import { openRegistry } from './registry.js';
import { AuditLog, type AuditVerdict } from './audit.js';
import { AuditKey, type AuditKeyOptions } from './audit-key.js';

/**
 * Backup and restore of the registry (`metronet admin backup | restore`, docs/operations.md).
 *
 * Backup uses SQLite's online backup API (better-sqlite3 `db.backup()`,
 * https://www.sqlite.org/backup.html) on a connection of its own, so it runs while ingest,
 * analytics and the dashboard keep writing. All pages are copied in one step: that step reads
 * one snapshot (in WAL mode a reader sees the last commit before it began and never blocks the
 * writers, https://www.sqlite.org/wal.html), so the copy is consistent, includes what is still
 * only in the WAL, and is not restarted page-range by page-range under a steady write load. The
 * copy is a single self-contained file (rollback journal, no -wal beside it).
 *
 * Restore checks the file first — an SQLite database whose `schema_migrations` is a prefix of
 * this metronet's (never newer), passing `quick_check`, whose audit chain verifies — then moves
 * the current registry aside (`registry.db.before-restore-{time}`) and puts the copy in its
 * place. It refuses while the registry is open elsewhere (its `-wal` file exists: SQLite
 * removes it when the last connection closes), unless forced after a crash.
 *
 * The audit key is not in the registry and not in a backup (store/audit-key.ts): the chain of a
 * backup is checked with the key of the registry it came from, a restore with the key of the
 * registry it replaces (`audit.key` beside it, or `opts.audit`). Without it a restore is refused.
 */

export interface RegistryFileInfo {
  /** Highest registry migration recorded in the file. */
  migration: number;
  /** Rows per table (user tables only). */
  rows: Record<string, number>;
  audit: AuditVerdict;
}

export interface BackupResult extends RegistryFileInfo {
  file: string;
  bytes: number;
  ms: number;
}

/** Copies the registry at `source` to `dest` (which must not exist) while it may be in use. */
export async function backupRegistry(source: string, dest: string, opts: { audit?: AuditKeyOptions } = {}): Promise<BackupResult> {
  const from = resolve(source);
  const to = resolve(dest);
  if (!existsSync(from)) throw new MetronetError('E_NOT_FOUND', `no registry at ${from}`);
  if (existsSync(to)) throw new MetronetError('E_CONFLICT', `${to} exists; a backup never overwrites a file`);
  if (!existsSync(dirname(to))) throw new MetronetError('E_BAD_REQUEST', `folder ${dirname(to)} does not exist`);
  const t0 = Date.now();
  const db = new Database(from, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    inspect(db, from); // a registry, not some other database
    // Returning the largest step makes the next step copy every remaining page at once.
    await db.backup(to, { progress: () => 0x7fffffff });
  } catch (err) {
    rmSync(to, { force: true });
    throw isMetronetError(err) ? err : new MetronetError('E_STORE_UNAVAILABLE', `backup of ${from} failed: ${(err as Error).message}`);
  } finally {
    db.close();
  }
  singleFile(to); // the copy inherits journal_mode=WAL in its header
  const info = checkRegistryFile(to, { audit: opts.audit ?? { keyFile: join(dirname(from), 'audit.key') } });
  return { file: to, bytes: statSync(to).size, ms: Date.now() - t0, ...info };
}

/**
 * Whether `file` is a registry this metronet can open: SQLite, intact, migrations known and not
 * newer, audit chain unbroken. Opens it read-only; throws E_BAD_REQUEST naming what is wrong.
 */
export function checkRegistryFile(file: string, opts: { audit?: AuditKeyOptions } = {}): RegistryFileInfo {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('schema_version'); // reads the header: fails on a file that is not SQLite
  } catch (err) {
    throw new MetronetError('E_BAD_REQUEST', `${file} is not an SQLite database: ${(err as Error).message}`);
  }
  try {
    const migration = inspect(db, file);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new MetronetError('E_BAD_REQUEST', `${file} fails SQLite quick_check: ${String(check)}`);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]
    ).map((t) => t.name);
    const rows = Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM "${t.replace(/"/g, '""')}"`).get() as { n: number }).n]));
    return { migration, rows, audit: verifyAudit(file, AuditKey.forRegistry(file, opts.audit)) };
  } finally {
    db.close();
  }
}

/** Reads `schema_migrations` and compares it with this code's list; returns the newest id. */
function inspect(db: Database.Database, file: string): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!has) throw new MetronetError('E_BAD_REQUEST', `${file} is not a metronet registry (no schema_migrations table)`);
  const recorded = db.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all() as { id: number; name: string }[];
  const known = new Map(REGISTRY_MIGRATIONS.map((m) => [m.id, m.name]));
  const newest = REGISTRY_MIGRATIONS.at(-1)?.id ?? 0;
  for (const r of recorded) {
    if (r.id > newest)
      throw new MetronetError(
        'E_BAD_REQUEST',
        `${file} has registry migration ${r.id} (${r.name}), newer than this metronet knows (up to ${newest}): restore it with the newer version`,
      );
    if (known.get(r.id) !== r.name)
      throw new MetronetError(
        'E_BAD_REQUEST',
        `${file} records migration ${r.id} as "${r.name}", not a metronet registry migration ("${known.get(r.id) ?? '(none)'}")`,
      );
  }
  if (recorded.length === 0 || recorded[0]!.id !== 1) throw new MetronetError('E_BAD_REQUEST', `${file} is not a metronet registry (migration 1 missing)`);
  return recorded.at(-1)!.id;
}

/** The audit chain of a file, read on a read-only connection (the table exists from migration 4 on). */
function verifyAudit(file: string, key: AuditKey): AuditVerdict {
  const ro = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hasAudit = ro.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get();
    return hasAudit ? new AuditLog(ro, key).verify() : { ok: true, entries: 0, head: '' };
  } finally {
    ro.close();
  }
}

/** Rewrites the journal mode in the file header: a file with no -wal beside it reads anywhere. */
function singleFile(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

export interface RestoreOptions {
  /** Restore even though the registry's -wal file exists (a crashed process left it). */
  force?: boolean;
  /** The audit key; default `audit.key` beside the target. */
  audit?: AuditKeyOptions;
  now?: number;
}

export interface RestoreResult extends RegistryFileInfo {
  restored: string;
  /** Where the registry that was replaced now is; undefined when there was none. */
  keptAside?: string;
}

/** Replaces the registry at `target` with the backup `from`, keeping the old file aside. */
export function restoreRegistry(from: string, target: string, opts: RestoreOptions = {}): RestoreResult {
  const src = resolve(from);
  const dst = resolve(target);
  if (!existsSync(src)) throw new MetronetError('E_NOT_FOUND', `no backup at ${src}`);
  const auditKey = opts.audit ?? { keyFile: join(dirname(dst), 'audit.key') };
  const info = checkRegistryFile(src, { audit: auditKey });
  if (!info.audit.ok && info.audit.keyMissing) {
    throw new MetronetError(
      'E_BAD_REQUEST',
      `${src}: the audit chain cannot be checked (${info.audit.reason}): put the registry's audit key at ${auditKey.keyFile ?? 'audit.keyFile'} (or set audit.key) and restore again; not restored`,
    );
  }
  if (!info.audit.ok) {
    throw new MetronetError('E_BAD_REQUEST', `${src}: audit chain broken at entry ${info.audit.brokenAt} (${info.audit.reason}); not restored`);
  }
  if (existsSync(`${dst}-wal`) && !opts.force) {
    throw new MetronetError(
      'E_CONFLICT',
      `${dst} is in use (${basename(dst)}-wal exists): stop ingest, analytics, the dashboard and the broker first; if none runs (a crash left the file), use --force`,
    );
  }
  const stamp = new Date(opts.now ?? Date.now()).toISOString().replace(/[:.]/g, '-');
  const staging = join(dirname(dst), `.${basename(dst)}.restoring-${stamp}`);
  rmSync(staging, { force: true });
  // Copy through SQLite rather than the file system: the staging file is then a fresh,
  // consistent database even if the backup was taken by other means.
  const source = new Database(src, { readonly: true, fileMustExist: true });
  try {
    source.prepare('VACUUM INTO ?').run(staging);
  } finally {
    source.close();
  }
  // Opening it as a registry applies this metronet's newer migrations (an older backup) and
  // proves it opens; the audit chain is checked again on the result.
  const reg = openRegistry(staging, { audit: auditKey });
  let audit: AuditVerdict;
  try {
    audit = reg.audit.verify();
  } finally {
    reg.close();
  }
  singleFile(staging);
  if (!audit.ok) {
    rmSync(staging, { force: true });
    throw new MetronetError(
      'E_BAD_REQUEST',
      `after migration the audit chain of ${src} does not verify (entry ${audit.brokenAt}: ${audit.reason}); not restored`,
    );
  }
  let keptAside: string | undefined;
  if (existsSync(dst)) {
    keptAside = `${dst}.before-restore-${stamp}`;
    renameSync(dst, keptAside);
    for (const ext of ['-wal', '-shm']) if (existsSync(`${dst}${ext}`)) renameSync(`${dst}${ext}`, `${keptAside}${ext}`);
  }
  renameSync(staging, dst);
  for (const ext of ['-wal', '-shm']) rmSync(`${staging}${ext}`, { force: true });
  return { restored: dst, keptAside, ...checkRegistryFile(dst, { audit: auditKey }) };
}
