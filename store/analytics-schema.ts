import type { Migration } from './sqlite.js';

/**
 * Registry migration 2: what analytics keeps (issue 5). Appended to REGISTRY_MIGRATIONS.
 *
 * - `reference_standards.parent` builds the traceability chain (no foreign key: a parent may be
 *   held by another lab or a national institute and entered later).
 * - `checks` keep one row per (instrument, channel, ts), like readings: a redelivered MQTT
 *   message stores nothing twice. `traceable` is decided on arrival (the chain at that time);
 *   `review` is set by impact analysis (reverse traceability) and excludes the row from decisions.
 * - `calibrations` carry what an ISO/IEC 17025:2017 (7.8.2, 7.8.4, 7.8.6) certificate needs:
 *   unique number, procedure, conditions, results per point with units before and after
 *   adjustment, expanded uncertainty, conformity statement with its decision rule, authoriser.
 * - `alerts`: at most one live (open or acknowledged) alert per (subject, channel, kind), held by
 *   a partial unique index; `clear_streak` counts evaluations without the condition (hysteresis).
 */
export const ANALYTICS_MIGRATION: Migration = {
  id: 2,
  name: 'analytics: reference standards, checks, calibrations, drift state, alerts, webhooks',
  sql: `
    CREATE TABLE reference_standards (
      id TEXT PRIMARY KEY,
      lab TEXT NOT NULL,
      quantity TEXT NOT NULL,
      unit TEXT NOT NULL,
      nominal REAL NOT NULL,
      value REAL NOT NULL,
      u REAL NOT NULL CHECK (u >= 0),
      k REAL NOT NULL DEFAULT 2,
      class TEXT,
      certificate TEXT,
      calibrated_on INTEGER,
      due INTEGER,
      parent TEXT,
      out_of_tolerance INTEGER NOT NULL DEFAULT 0,
      impact_done_for INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX reference_standards_lab ON reference_standards (lab, id);
    CREATE INDEX reference_standards_parent ON reference_standards (parent);

    CREATE TABLE instrument_metrology (
      instrument TEXT PRIMARY KEY REFERENCES instruments (id) ON DELETE CASCADE,
      lab TEXT,
      interval_days INTEGER
    ) STRICT;
    CREATE INDEX instrument_metrology_lab ON instrument_metrology (lab, instrument);

    CREATE TABLE channel_metrology (
      instrument TEXT NOT NULL,
      channel TEXT NOT NULL,
      tolerance TEXT,
      repeatability REAL,
      analyser INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (instrument, channel)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE org_settings (
      org TEXT PRIMARY KEY,
      recall_lead_days INTEGER
    ) STRICT;

    CREATE TABLE checks (
      id INTEGER PRIMARY KEY,
      instrument TEXT NOT NULL,
      channel TEXT NOT NULL,
      ts INTEGER NOT NULL,
      reference TEXT,
      reference_value REAL NOT NULL,
      reference_u REAL,
      indicated REAL NOT NULL,
      error REAL NOT NULL,
      source TEXT NOT NULL,
      by TEXT,
      traceable INTEGER NOT NULL,
      trace_reason TEXT,
      review TEXT,
      received_at INTEGER NOT NULL,
      UNIQUE (instrument, channel, ts)
    ) STRICT;
    CREATE INDEX checks_reference ON checks (reference, ts);

    CREATE TABLE calibrations (
      id INTEGER PRIMARY KEY,
      instrument TEXT NOT NULL,
      type TEXT NOT NULL CHECK (type IN ('calibration', 'verification')),
      date INTEGER NOT NULL,
      lab TEXT NOT NULL,
      certificate TEXT NOT NULL UNIQUE,
      procedure TEXT,
      conditions TEXT,
      results TEXT NOT NULL,
      references_used TEXT NOT NULL,
      result TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'adjusted')),
      decision_rule TEXT NOT NULL,
      statement TEXT,
      authorised_by TEXT NOT NULL,
      interval_days INTEGER,
      next_due INTEGER,
      review TEXT,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX calibrations_instrument ON calibrations (instrument, date);

    CREATE TABLE drift_state (
      instrument TEXT NOT NULL,
      channel TEXT NOT NULL,
      state TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (instrument, channel)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE alerts (
      id INTEGER PRIMARY KEY,
      subject TEXT NOT NULL,
      channel TEXT NOT NULL DEFAULT '',
      kind TEXT NOT NULL,
      severity TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'cleared')),
      instrument TEXT,
      reference TEXT,
      org TEXT,
      lab TEXT,
      message TEXT NOT NULL,
      details TEXT NOT NULL,
      opened_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      acked_at INTEGER,
      acked_by TEXT,
      cleared_at INTEGER,
      clear_streak INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE UNIQUE INDEX alerts_one_live ON alerts (subject, channel, kind) WHERE state <> 'cleared';
    CREATE INDEX alerts_org ON alerts (org, id);
    CREATE INDEX alerts_lab ON alerts (lab, id);
    CREATE INDEX alerts_state ON alerts (state, id);

    CREATE TABLE webhooks (
      id INTEGER PRIMARY KEY,
      org TEXT NOT NULL,
      url TEXT NOT NULL,
      secret TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX webhooks_org ON webhooks (org);

    CREATE TABLE webhook_deliveries (
      id INTEGER PRIMARY KEY,
      webhook INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
      alert INTEGER NOT NULL,
      event TEXT NOT NULL,
      payload TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL,
      last_error TEXT,
      last_status INTEGER,
      delivered_at INTEGER,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
    CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook, id);
  `,
};

/**
 * Registry migration 9: multi-load checks and idempotent submissions (issue 15, section 2).
 *
 * - A check's identity was (instrument, channel, ts): a lab's second load at the same instant was
 *   counted a duplicate and lost. It is now (instrument, channel, ts, reference, reference value,
 *   client check id): several loads at one instant are distinct checks, and a redelivered MQTT
 *   message (same values) still stores nothing twice. SQLite cannot drop a table constraint, so
 *   the table is rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter) from its own
 *   current definition, keeping every column (also those added by earlier migrations), index and
 *   trigger; the copy keeps ids.
 * - `checks.client_id`: the client-supplied check id; `checks.fitness`: why the standard was not
 *   fit for the check (expired, U > MPE/3 — analytics/entry-rules.ts), or null.
 * - `check_submissions`: one row per idempotency key and submitter (`scope`: the user or gateway),
 *   with a digest of what was submitted and the answer given, so a repeat is answered the same.
 */
export const CHECKS_IDENTITY_MIGRATION: Migration = {
  id: 9,
  name: 'multi-load check identity, standard fitness flag, idempotent check submissions',
  sql: `
    CREATE TABLE check_submissions (
      scope TEXT NOT NULL,
      key TEXT NOT NULL,
      digest TEXT NOT NULL,
      result TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (scope, key)
    ) STRICT, WITHOUT ROWID;
  `,
  after: (db) => {
    const table = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'checks'").get() as { sql: string };
    const others = (
      db.prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'checks' AND type IN ('index', 'trigger') AND sql IS NOT NULL").all() as { sql: string }[]
    ).map((r) => r.sql);
    const columns = (db.prepare('PRAGMA table_info(checks)').all() as { name: string }[]).map((c) => `"${c.name}"`).join(', ');
    const withoutUnique = table.sql.replace(/,\s*UNIQUE\s*\(\s*instrument\s*,\s*channel\s*,\s*ts\s*\)/i, '');
    if (withoutUnique === table.sql) throw new Error('migration 9: the checks table has no UNIQUE (instrument, channel, ts) to replace');
    const create = withoutUnique.replace(/^CREATE TABLE\s+"?checks"?/i, 'CREATE TABLE checks_rebuilt');
    // Ids of checks may be referenced (alerts' details, corrections): foreign keys are checked at commit, when the new table carries the name.
    db.pragma('defer_foreign_keys = ON');
    db.exec(create);
    db.exec(`INSERT INTO checks_rebuilt (${columns}) SELECT ${columns} FROM checks`);
    db.exec('DROP TABLE checks');
    db.exec('ALTER TABLE checks_rebuilt RENAME TO checks');
    for (const sql of others) db.exec(sql);
    db.exec(`
      ALTER TABLE checks ADD COLUMN client_id TEXT;
      ALTER TABLE checks ADD COLUMN fitness TEXT;
      CREATE UNIQUE INDEX checks_identity ON checks (instrument, channel, ts, coalesce(reference, ''), reference_value, coalesce(client_id, ''));
    `);
  },
};
