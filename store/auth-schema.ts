import type { Migration } from './sqlite.js';

/**
 * Identity, credentials and the audit trail (issue 6), appended to the registry migrations.
 *
 * - `users.password` is an scrypt PHC-style string (store/secrets.ts), never the password.
 * - `tokens` holds API tokens and web sessions alike, by SHA-256 of the secret: the secret is
 *   256 random bits, so a fast hash is enough (no dictionary to attack) and lookup is one index
 *   probe. Revocation sets `revoked_at`; expiry is checked on every use.
 * - `mqtt_credentials` holds every MQTT login (gateways, labs, organisations, services) as a
 *   Mosquitto `$7$` PBKDF2-SHA512 string, so `broker export-mosquitto` copies it unchanged.
 * - `audit_log` is append-only (triggers refuse UPDATE and DELETE) and hash-chained: each row's
 *   hash covers the previous row's hash, so an edit made behind the triggers' back breaks the chain.
 */
export const AUTH_MIGRATION: Migration = {
  id: 4,
  name: 'identity: users, tokens, MQTT credentials, audit log',
  sql: `
    CREATE TABLE users (
      id TEXT PRIMARY KEY,
      name TEXT,
      role TEXT NOT NULL CHECK (role IN ('admin', 'authority', 'lab', 'enterprise')),
      org TEXT,
      password TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE tokens (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('api', 'session')),
      user TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name TEXT,
      hash TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      last_used INTEGER,
      revoked_at INTEGER
    ) STRICT;
    CREATE INDEX tokens_user ON tokens (user, id);

    CREATE TABLE mqtt_credentials (
      username TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('gateway', 'lab', 'org', 'service')),
      subject TEXT NOT NULL,
      org TEXT,
      hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      rotated_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY,
      ts INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      subject TEXT NOT NULL,
      before TEXT,
      after TEXT,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    ) STRICT;
    CREATE INDEX audit_log_subject ON audit_log (subject, id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  `,
};

/**
 * Registry migration 7: the keyed audit chain ("Records a province can rely on", section 8).
 * Entries written from now on are keyed — `hash = HMAC-SHA256(audit key, prev_hash + "\n" +
 * canonical JSON)` with a key kept outside the database (store/audit-key.ts) — and say so in
 * `rule`; `key_id` names the key. Entries already written keep `rule = 'sha256'` and verify as
 * before; store/audit.ts requires them to form a prefix sealed by a keyed entry after them.
 */
export const AUDIT_KEY_MIGRATION: Migration = {
  id: 7,
  name: 'keyed audit chain',
  sql: `
    ALTER TABLE audit_log ADD COLUMN rule TEXT NOT NULL DEFAULT 'sha256' CHECK (rule IN ('sha256', 'hmac-sha256'));
    ALTER TABLE audit_log ADD COLUMN key_id TEXT;
  `,
};
