import { currentActor } from '../core/actor.js';
import type { Db } from './sqlite.js';
import { sha256 } from './secrets.js';

/**
 * The append-only, hash-chained audit trail (issue 6). Each entry's hash is
 * sha256(prev_hash + "\n" + canonical JSON of {id, ts, actor, action, subject, before, after}),
 * the first entry chaining from 64 zeros. Editing any stored field changes that entry's hash;
 * deleting an entry leaves a gap in the ids and a prev_hash that no longer matches. The head
 * hash (`verify().head`) can be written down elsewhere to detect truncation of the newest rows.
 */
export interface AuditEntry {
  id: number;
  ts: number;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  hash: string;
}

export type AuditVerdict = { ok: true; entries: number; head: string } | { ok: false; entries: number; brokenAt: number; reason: string };

const GENESIS = '0'.repeat(64);

export class AuditLog {
  private readonly last;
  private readonly insert;
  private readonly list;
  private readonly all;

  constructor(private readonly db: Db) {
    this.last = db.prepare('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
    this.insert = db.prepare('INSERT INTO audit_log (id, ts, actor, action, subject, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.list = db.prepare('SELECT * FROM audit_log WHERE (@subject IS NULL OR subject = @subject) AND id > @after ORDER BY id LIMIT @limit');
    this.all = db.prepare('SELECT * FROM audit_log ORDER BY id');
  }

  /**
   * Appends one entry; the actor is whoever the current context names (core/actor.ts). Inside a
   * caller's transaction it runs there (after the caller's write, so the write lock is held and
   * no other process can fork the chain); otherwise in its own IMMEDIATE transaction.
   */
  append(action: string, subject: string, before: unknown, after: unknown, ts = Date.now()): void {
    const run = () => {
      const prev = this.last.get() as { id: number; hash: string } | undefined;
      const id = (prev?.id ?? 0) + 1;
      const actor = currentActor();
      const b = before === undefined ? null : canonical(before);
      const a = after === undefined ? null : canonical(after);
      const prevHash = prev?.hash ?? GENESIS;
      this.insert.run(id, ts, actor, action, subject, b, a, prevHash, entryHash(prevHash, { id, ts, actor, action, subject, before: b, after: a }));
    };
    if (this.db.inTransaction) run();
    else this.db.transaction(run).immediate();
  }

  entries(filter: { subject?: string; after?: number; limit?: number } = {}): AuditEntry[] {
    return (this.list.all({ subject: filter.subject ?? null, after: filter.after ?? 0, limit: filter.limit ?? 100 }) as Row[]).map(toEntry);
  }

  /** Walks the chain from the first entry; names the first entry that does not hold. */
  verify(): AuditVerdict {
    let prevHash = GENESIS;
    let expectId = 1;
    let n = 0;
    for (const r of this.all.iterate() as Iterable<Row>) {
      if (r.id !== expectId) return { ok: false, entries: n, brokenAt: expectId, reason: `entry ${expectId} is missing (next stored entry is ${r.id}): deleted` };
      if (r.prev_hash !== prevHash) return { ok: false, entries: n, brokenAt: r.id, reason: `entry ${r.id} does not chain from entry ${r.id - 1} (prev_hash differs): an earlier entry was changed or removed` };
      const h = entryHash(r.prev_hash, { id: r.id, ts: r.ts, actor: r.actor, action: r.action, subject: r.subject, before: r.before, after: r.after });
      if (h !== r.hash) return { ok: false, entries: n, brokenAt: r.id, reason: `entry ${r.id} (${r.action} ${r.subject}) was edited: its content no longer matches its hash` };
      prevHash = r.hash;
      expectId++;
      n++;
    }
    return { ok: true, entries: n, head: prevHash };
  }
}

interface Row {
  id: number;
  ts: number;
  actor: string;
  action: string;
  subject: string;
  before: string | null;
  after: string | null;
  prev_hash: string;
  hash: string;
}

function toEntry(r: Row): AuditEntry {
  return { id: r.id, ts: r.ts, actor: r.actor, action: r.action, subject: r.subject, before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after), hash: r.hash };
}

function entryHash(prevHash: string, e: { id: number; ts: number; actor: string; action: string; subject: string; before: string | null; after: string | null }): string {
  return sha256(`${prevHash}\n${canonical(e)}`);
}

/** JSON with object keys sorted at every level, so the same content always hashes the same. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : val,
  );
}
