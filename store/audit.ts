import type Database from 'better-sqlite3';
import type { AuditCheckpoint } from '../core/audit.js';
import { currentActor } from '../core/actor.js';
import { MetronetError } from '../core/index.js';
import { AuditKey, type Key } from './audit-key.js';
import type { Db } from './sqlite.js';
import { sameDigest, sha256 } from './secrets.js';

/**
 * The append-only, keyed, hash-chained audit trail (issue 6; keyed and anchored in "Records a
 * province can rely on", section 8).
 *
 * Each entry covers the previous entry's hash and the canonical JSON (keys sorted) of
 * {id, ts, actor, action, subject, before, after}, by one of two rules, stored in `rule`:
 * - `hmac-sha256` (every entry written since registry migration 7):
 *   `hash = HMAC-SHA256(audit key, prev_hash + "\n" + canonical JSON)`, `key_id` naming the key.
 *   The key lives outside the database (store/audit-key.ts), so whoever edits the file cannot
 *   recompute the hashes after an edit.
 * - `sha256` (entries written before it): `hash = sha256(prev_hash + "\n" + canonical JSON)`.
 *   Anyone can recompute these, so they are accepted only as a prefix sealed by a keyed entry:
 *   migration 7 appends `audit.keyed` in its own transaction, and a legacy entry after a keyed
 *   one, or a chain of legacy entries that nothing keyed follows, fails.
 * The first entry chains from 64 zeros.
 *
 * Removing the newest entries leaves a valid, shorter chain; signed head checkpoints kept outside
 * the registry (`checkpoint()`, core/audit.ts) catch that: `verify({ checkpoints })` fails when the
 * registry holds fewer entries than a checkpoint recorded or the entry at its head differs.
 *
 * Callers record a change with ONE call — `audit.append(action, subject, before, after)` — inside
 * the transaction that makes it; the actor comes from the context (core/actor.ts). `before` and
 * `after` are facts, never secrets: fields named `password` or `secret` are replaced by
 * "[redacted]" as a last line of defence, but callers pick what they record.
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
  rule: AuditRule;
}

export type AuditRule = 'sha256' | 'hmac-sha256';

export type AuditVerdict =
  | { ok: true; entries: number; head: string; keyed?: number; legacy?: number; checkpoints?: number }
  | {
      ok: false;
      entries: number;
      brokenAt: number;
      reason: string;
      /** Nothing was found wrong, but keyed entries could not be checked: the key is missing or another. */
      keyMissing?: boolean;
    };

/** A checkpoint read back from a file: the parsed value, or why its line is not one. */
export type CheckpointLine = { line: number; checkpoint: AuditCheckpoint } | { line: number; error: string };

export const GENESIS = '0'.repeat(64);
const REDACTED = /^(password|secret)$/i;

export class AuditLog {
  private readonly last;
  private readonly count;
  private readonly hashAt;
  private readonly list;
  private readonly all;
  private insertStmt?: Database.Statement;
  /** Migration 7 applied: entries carry `rule` and `key_id`. A registry file from before it reads as all-legacy. */
  private readonly keyedSchema: boolean;

  constructor(
    private readonly db: Db,
    private readonly key: AuditKey = AuditKey.none(),
  ) {
    this.keyedSchema = (db.prepare('SELECT name FROM pragma_table_info(?)').all('audit_log') as { name: string }[]).some((c) => c.name === 'rule');
    this.last = db.prepare(
      `SELECT id, hash, ${this.keyedSchema ? 'rule, key_id' : "'sha256' AS rule, NULL AS key_id"} FROM audit_log ORDER BY id DESC LIMIT 1`,
    );
    this.count = db.prepare('SELECT count(*) AS n FROM audit_log');
    this.hashAt = db.prepare('SELECT hash FROM audit_log WHERE id = ?');
    this.list = db.prepare('SELECT * FROM audit_log WHERE (@subject IS NULL OR subject = @subject) AND id > @after ORDER BY id LIMIT @limit');
    this.all = db.prepare('SELECT * FROM audit_log ORDER BY id');
  }

  /**
   * Appends one entry; the actor is whoever the current context names (core/actor.ts). Inside a
   * caller's transaction it runs there (after the caller's write, so the write lock is held and
   * no other process can fork the chain); otherwise in its own IMMEDIATE transaction. Throws
   * E_STORE_UNAVAILABLE when the audit key is missing or is not the chain's: a change that
   * cannot be audited is not made.
   */
  append(action: string, subject: string, before: unknown, after: unknown, ts = Date.now()): void {
    const run = () => {
      const prev = this.last.get() as Head | undefined;
      const key = this.writingKey(prev);
      const id = (prev?.id ?? 0) + 1;
      const prevHash = prev?.hash ?? GENESIS;
      const content = { id, ts, actor: currentActor(), action, subject, before: stored(before), after: stored(after) };
      this.insertStmt ??= this.db.prepare(
        'INSERT INTO audit_log (id, ts, actor, action, subject, before, after, prev_hash, hash, rule, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      this.insertStmt.run(
        id,
        ts,
        content.actor,
        action,
        subject,
        content.before,
        content.after,
        prevHash,
        keyedHash(key, prevHash, content),
        'hmac-sha256',
        key.id,
      );
    };
    if (this.db.inTransaction) run();
    else this.db.transaction(run).immediate();
  }

  /**
   * Seals the entries written before migration 7, from inside that migration's transaction (only
   * there: sealing whatever unkeyed chain a file holds later would seal a rewritten one): appends
   * a keyed `audit.keyed` entry naming how many came before and their head.
   */
  sealLegacy(): void {
    const prev = this.last.get() as Head | undefined;
    if (prev) this.append('audit.keyed', 'audit', null, { legacyEntries: prev.id, legacyHead: prev.hash, rule: 'hmac-sha256' });
  }

  entries(filter: { subject?: string; after?: number; limit?: number } = {}): AuditEntry[] {
    return (this.list.all({ subject: filter.subject ?? null, after: filter.after ?? 0, limit: filter.limit ?? 100 }) as Row[]).map(toEntry);
  }

  /** A signed checkpoint of the current head (creating the key on first use, as append does). */
  checkpoint(ts = Date.now()): AuditCheckpoint {
    const { head, entries } = this.db.transaction(() => ({ head: this.last.get() as Head | undefined, entries: (this.count.get() as { n: number }).n }))();
    const key = this.writingKey(head);
    const body = { v: 1 as const, entries, headId: head?.id ?? 0, head: head?.hash ?? GENESIS, ts, keyId: key.id };
    return { ...body, signature: key.mac(canonical(body)) };
  }

  /**
   * Walks the chain from the first entry, then checks it against the checkpoints given; names the
   * first thing that does not hold. Keyed entries that cannot be checked (no key, or another key)
   * give `ok: false, keyMissing: true` unless something else is found broken first.
   */
  verify(opts: { checkpoints?: CheckpointLine[] } = {}): AuditVerdict {
    const key = this.key.get();
    let prevHash = GENESIS;
    let n = 0;
    let keyed = 0;
    let unverifiable: { id: number; keyId: string | null } | undefined;
    for (const r of this.all.iterate() as Iterable<Row>) {
      const id = n + 1;
      if (r.id !== id) return broken(n, id, `entry ${id} is missing (next stored entry is ${r.id}): deleted`);
      if (r.prev_hash !== prevHash)
        return broken(n, r.id, `entry ${r.id} does not chain from entry ${r.id - 1} (prev_hash differs): an earlier entry was changed or removed`);
      const content = { id: r.id, ts: r.ts, actor: r.actor, action: r.action, subject: r.subject, before: r.before, after: r.after };
      if ((r.rule ?? 'sha256') === 'sha256') {
        if (keyed > 0) return broken(n, r.id, `entry ${r.id} (${r.action} ${r.subject}) is unkeyed after keyed entries: the chain was rewritten from here`);
        if (legacyHash(r.prev_hash, content) !== r.hash)
          return broken(n, r.id, `entry ${r.id} (${r.action} ${r.subject}) was edited: its content no longer matches its hash`);
      } else {
        keyed++;
        if (!key || r.key_id !== key.id) unverifiable ??= { id: r.id, keyId: r.key_id ?? null };
        else if (!sameDigest(keyedHash(key, r.prev_hash, content), r.hash))
          return broken(n, r.id, `entry ${r.id} (${r.action} ${r.subject}) was edited: its content no longer matches its keyed hash (HMAC)`);
      }
      prevHash = r.hash;
      n++;
    }
    if (this.keyedSchema && n > 0 && keyed === 0) {
      return broken(
        n,
        1,
        `entries 1–${n} are unkeyed and no keyed entry seals them: the registry was not opened with its audit key since the upgrade, or the chain was rewritten`,
      );
    }
    const cps = this.checkCheckpoints(opts.checkpoints ?? [], n, key);
    if (cps.broken) return cps.broken;
    if (unverifiable || cps.unverifiable) {
      const at = unverifiable ?? { id: 0, keyId: cps.unverifiable ?? null };
      const held = key ? `${this.key.describe()} holds key ${key.id}` : `${this.key.describe()} is missing`;
      return {
        ok: false,
        keyMissing: true,
        entries: n,
        brokenAt: at.id,
        reason: `cannot verify: ${unverifiable ? `entries from ${at.id} on are` : 'a checkpoint is'} keyed with key ${at.keyId ?? '(none)'} and ${held}`,
      };
    }
    return { ok: true, entries: n, head: prevHash, keyed, legacy: n - keyed, checkpoints: cps.checked };
  }

  /** Truncation and rewrites against signed heads: each checkpoint's head must still be in the chain. */
  private checkCheckpoints(lines: CheckpointLine[], entries: number, key: Key | undefined): { broken?: AuditVerdict; unverifiable?: string; checked: number } {
    let unverifiable: string | undefined;
    for (const l of lines) {
      if ('error' in l) return { broken: broken(entries, 0, `checkpoint line ${l.line} is not a checkpoint: ${l.error}`), checked: 0 };
      const { signature, ...body } = l.checkpoint;
      const when = new Date(body.ts).toISOString();
      if (key && body.keyId === key.id) {
        if (!sameDigest(key.mac(canonical(body)), signature))
          return { broken: broken(entries, body.headId, `checkpoint line ${l.line} (${when}) has a bad signature: forged or edited`), checked: 0 };
      } else unverifiable ??= body.keyId;
      if (body.headId > entries) {
        return {
          broken: broken(
            entries,
            entries + 1,
            `truncated: the registry has ${entries} entries but the checkpoint of ${when} (line ${l.line}) recorded ${body.headId}: entries ${entries + 1}–${body.headId} were removed`,
          ),
          checked: 0,
        };
      }
      const at = body.headId === 0 ? GENESIS : (this.hashAt.get(body.headId) as { hash: string } | undefined)?.hash;
      if (at !== body.head) {
        return {
          broken: broken(
            entries,
            body.headId,
            `entry ${body.headId} no longer has the hash the checkpoint of ${when} (line ${l.line}) recorded: the chain up to it was rewritten`,
          ),
          checked: 0,
        };
      }
    }
    return { unverifiable, checked: lines.length };
  }

  /** The key new entries are written with; refuses a missing or different key once the chain is keyed. */
  private writingKey(prev: Head | undefined): Key {
    const chainKey = prev?.rule === 'hmac-sha256' ? prev.key_id : null;
    const key = this.key.get();
    if (key && chainKey && chainKey !== key.id) {
      throw new MetronetError(
        'E_STORE_UNAVAILABLE',
        `audit key mismatch: the chain is keyed with key ${chainKey} but ${this.key.describe()} holds key ${key.id}; nothing changed`,
      );
    }
    if (key) return key;
    if (chainKey) {
      throw new MetronetError(
        'E_STORE_UNAVAILABLE',
        `audit key missing: ${this.key.describe()} does not exist and the chain is keyed with key ${chainKey}; restore it (or set audit.keyFile / audit.key); nothing changed`,
      );
    }
    return this.key.getOrCreate();
  }
}

interface Head {
  id: number;
  hash: string;
  rule: AuditRule;
  key_id: string | null;
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
  rule?: AuditRule;
  key_id?: string | null;
}

type Content = { id: number; ts: number; actor: string; action: string; subject: string; before: string | null; after: string | null };

function broken(entries: number, brokenAt: number, reason: string): AuditVerdict {
  return { ok: false, entries, brokenAt, reason };
}

function toEntry(r: Row): AuditEntry {
  return {
    id: r.id,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    hash: r.hash,
    rule: r.rule ?? 'sha256',
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
  };
}

function legacyHash(prevHash: string, e: Content): string {
  return sha256(`${prevHash}\n${canonical(e)}`);
}

function keyedHash(key: Key, prevHash: string, e: Content): string {
  return key.mac(`${prevHash}\n${canonical(e)}`);
}

/** A before/after value as stored: canonical JSON with secrets' fields redacted; undefined is null. */
function stored(v: unknown): string | null {
  return v === undefined ? null : canonical(v, (k, val) => (REDACTED.test(k) && val !== null && val !== undefined ? '[redacted]' : val));
}

/** JSON with object keys sorted at every level, so the same content always hashes the same. */
export function canonical(v: unknown, map: (key: string, val: unknown) => unknown = (_k, val) => val): string {
  return JSON.stringify(v, (k, raw: unknown) => {
    const val = map(k, raw);
    return val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val;
  });
}
