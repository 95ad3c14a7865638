import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MetronetError, isInstance, isMetronetError } from '../core/index.js';

/**
 * Opening and migrating the SQLite databases (registry, embedded readings store).
 *
 * Journal and durability: WAL with `synchronous=NORMAL`. In WAL mode NORMAL fsyncs only at
 * checkpoints, so a commit survives a crash of the process (the WAL is in the OS page cache)
 * but the last transactions may be lost on power loss or an OS crash
 * (https://www.sqlite.org/pragma.html#pragma_synchronous, https://www.sqlite.org/wal.html).
 * Ingest acknowledges a batch to the gateway after the commit; what that acknowledgement needs
 * is durability against a crash of metronet, which NORMAL gives at a fraction of FULL's cost
 * (one fsync per commit). Deployments on hardware without a UPS can choose FULL.
 */
export type Db = Database.Database;

export const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;
export type Synchronous = (typeof SYNCHRONOUS)[number];

export interface SqliteOptions {
  /** Default NORMAL: durable against process crash; FULL adds durability against power loss. */
  synchronous?: Synchronous;
  /** How long a writer waits for another connection's lock before SQLITE_BUSY. Default 5000. */
  busyTimeoutMs?: number;
}

/** One schema step. Ids only grow; a released migration is never edited, a new one is added. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
  /** Runs after `sql` in the same transaction: a step SQL cannot do (registry migration 7 seals the audit chain with a key kept outside the database). */
  after?: (db: Db) => void;
  /**
   * The step rebuilds a table (SQLite cannot alter a CHECK constraint): foreign keys are switched
   * off around its transaction, as SQLite's documented procedure says, so that dropping the old
   * table does not cascade; `PRAGMA foreign_key_check` must come back empty before it commits.
   */
  rebuildsTables?: boolean;
}

export function openSqlite(file: string, migrations: readonly Migration[], opts: SqliteOptions = {}): Db {
  const synchronous = opts.synchronous ?? 'NORMAL';
  if (!SYNCHRONOUS.includes(synchronous)) {
    throw new MetronetError('E_CONFIG_INVALID', `synchronous must be one of ${SYNCHRONOUS.join(', ')}; got "${String(synchronous)}"`);
  }
  const busy = opts.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busy) || busy < 0) throw new MetronetError('E_CONFIG_INVALID', `busyTimeoutMs must be a non-negative integer; got ${busy}`);
  if (file !== ':memory:' && !file.startsWith('file:')) mkdirSync(dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new MetronetError('E_STORE_UNAVAILABLE', `cannot open SQLite database ${file}: ${(err as Error).message}`);
  }
  try {
    db.pragma('journal_mode = WAL'); // an in-memory database answers "memory"; nothing to do there
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma(`busy_timeout = ${busy}`);
    db.pragma('foreign_keys = ON');
    migrate(db, migrations, file);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own IMMEDIATE
 * transaction (so two processes opening the same file at once cannot both apply one). Refuses a
 * database migrated by newer code, or one whose recorded history differs from this code's: both
 * mean the schema is not the one these statements were written for. Returns the ids applied.
 */
export function migrate(db: Db, migrations: readonly Migration[], label = 'database'): number[] {
  migrations.forEach((m, i) => {
    const prev = migrations[i - 1];
    if (!Number.isInteger(m.id) || m.id < 1 || (prev && m.id <= prev.id)) {
      throw new MetronetError('E_INTERNAL', `migration ids must be increasing positive integers; ${m.id} (${m.name}) follows ${prev?.id ?? 'nothing'}`);
    }
  });
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
  const recorded = db.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all() as { id: number; name: string }[];
  const known = new Map(migrations.map((m) => [m.id, m]));
  const newest = migrations.at(-1)?.id ?? 0;
  for (const row of recorded) {
    if (row.id > newest) {
      throw new MetronetError(
        'E_STORE_UNAVAILABLE',
        `${label} has schema migration ${row.id} (${row.name}), newer than this metronet knows (up to ${newest}); upgrade metronet or use another file`,
      );
    }
    if (known.get(row.id)?.name !== row.name) {
      throw new MetronetError(
        'E_STORE_UNAVAILABLE',
        `${label} records migration ${row.id} as "${row.name}" but this metronet knows it as "${known.get(row.id)?.name ?? '(none)'}"; the schemas have diverged`,
      );
    }
  }
  const done = new Set(recorded.map((r) => r.id));
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE id = ?');
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.id)) continue;
    const fk = m.rebuildsTables ? (db.pragma('foreign_keys', { simple: true }) as number) : 0;
    if (fk) db.pragma('foreign_keys = OFF'); // a no-op inside a transaction: set before it
    try {
      db.transaction(() => {
        if (isApplied.get(m.id)) return; // another process won the race
        db.exec(m.sql);
        m.after?.(db);
        if (m.rebuildsTables) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length) throw new MetronetError('E_INTERNAL', `migration ${m.id} (${m.name}) leaves ${broken.length} broken foreign keys`);
        }
        record.run(m.id, m.name, Date.now());
        applied.push(m.id);
      }).immediate();
    } finally {
      if (fk) db.pragma('foreign_keys = ON');
    }
  }
  return applied;
}

/** SQLite result codes that say "the store cannot work right now", not "this input is wrong". */
const TRANSIENT = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|NOMEM|PROTOCOL|READONLY)/;

/**
 * Whether an error means the store is (perhaps briefly) unavailable, so the work should be
 * retried rather than the input judged bad: a locked or full disk, I/O errors, E_STORE_UNAVAILABLE.
 */
export function isTransientStoreError(err: unknown): boolean {
  if (isMetronetError(err)) return err.code === 'E_STORE_UNAVAILABLE';
  const code = (err as { code?: unknown } | null)?.code;
  return isInstance(err, Database.SqliteError) && typeof code === 'string' && TRANSIENT.test(code);
}
