import type { ErrorCode, InstrumentKind, ReadingStatus } from '../core/index.js';
import type { Migration } from './sqlite.js';
import { ANALYTICS_MIGRATION, CHECKS_IDENTITY_MIGRATION } from './analytics-schema.js';
import { AUDIT_KEY_MIGRATION, AUTH_MIGRATION } from './auth-schema.js';
import { STATIONS_MIGRATION } from './stations.js';
import { DESIGNATION_RANGES_MIGRATION, RECORDS_MIGRATION } from './records.js';
import { INSTRUMENT_HISTORY_MIGRATION } from './instrument-history.js';
import { INSPECTIONS_MIGRATION } from './inspections.js';
import type { Channel, GatewayRecord, GatewayState, Instrument, Org, OrgKind, Registration, RejectRecord } from './types.js';

/**
 * Registry schema, as ordered migrations. Append new steps; never edit a released one.
 *
 * - Organisation ids in `gateways.org` and `instruments.org` carry no foreign key: they come from
 *   authenticated MQTT topics, and ingest must keep what the network reports (an instrument seen
 *   under an organisation not yet entered in the registry) rather than lose readings over it.
 * - `channels` belong to their instrument (cascade), which is also why instruments are updated
 *   with ON CONFLICT … DO UPDATE and never INSERT OR REPLACE (a replace deletes the row first and
 *   the cascade would take its channels with it).
 * - `rejects.id` is the rowid: new rows take max(id)+1 and pruning deletes only the oldest, so
 *   ids stay consecutive and "keep the newest N" is one range delete on the primary key.
 */
export const REGISTRY_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'orgs, gateways, instruments, channels, rejects',
    sql: `
      CREATE TABLE orgs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('enterprise', 'lab', 'authority')),
        district TEXT
      ) STRICT;

      CREATE TABLE gateways (
        id TEXT PRIMARY KEY,
        org TEXT NOT NULL,
        name TEXT,
        state TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('online', 'offline', 'unknown')),
        last_seen INTEGER,
        version TEXT
      ) STRICT;
      CREATE INDEX gateways_org ON gateways (org, id);

      CREATE TABLE instruments (
        id TEXT PRIMARY KEY,
        org TEXT NOT NULL,
        registration TEXT NOT NULL CHECK (registration IN ('registered', 'unregistered')),
        kind TEXT,
        name TEXT,
        serial TEXT,
        gateway TEXT,
        profile TEXT,
        site TEXT,
        created_at INTEGER NOT NULL,
        last_seen INTEGER
      ) STRICT;
      CREATE INDEX instruments_org ON instruments (org, id);

      CREATE TABLE channels (
        instrument TEXT NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        unit TEXT NOT NULL,
        last_ts INTEGER,
        last_value REAL,
        last_status TEXT,
        PRIMARY KEY (instrument, channel)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE rejects (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        org TEXT,
        gateway TEXT,
        instrument TEXT,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        field TEXT,
        rule TEXT,
        value TEXT
      ) STRICT;
      CREATE INDEX rejects_org ON rejects (org, id);
      CREATE INDEX rejects_gateway ON rejects (gateway, id);
    `,
  },
  ANALYTICS_MIGRATION,
  STATIONS_MIGRATION,
  AUTH_MIGRATION,
  {
    // Issue 7: the dashboard shows each gateway's store-and-forward spool from its status payload.
    id: 5,
    name: 'gateway spool state',
    sql: `
      ALTER TABLE gateways ADD COLUMN spool_depth INTEGER;
      ALTER TABLE gateways ADD COLUMN spool_full INTEGER;
      ALTER TABLE gateways ADD COLUMN spool_dropped INTEGER;
    `,
  },
  {
    // Issue 7: live events ask "what changed since my last look" instead of reading every
    // instrument each second. A change counter per table, advanced by triggers, stamps each
    // changed row with `rev`; a reader keeps the highest rev it has seen. Counters rather than
    // timestamps: `last_seen` comes from device clocks and `updated_at` from the analytics
    // clock, and neither is a safe cursor. `last_seen` is indexed for the offline transitions.
    id: 6,
    name: 'change counters for live events',
    sql: `
      CREATE TABLE change_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;
      INSERT INTO change_counters (name, value) VALUES ('instruments', 0), ('alerts', 0);

      ALTER TABLE instruments ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX instruments_rev ON instruments (rev);
      CREATE INDEX instruments_last_seen ON instruments (last_seen);
      CREATE TRIGGER instruments_rev_insert AFTER INSERT ON instruments BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'instruments';
        UPDATE instruments SET rev = (SELECT value FROM change_counters WHERE name = 'instruments') WHERE id = NEW.id;
      END;
      CREATE TRIGGER instruments_rev_update AFTER UPDATE OF last_seen, registration, kind, org ON instruments
        WHEN NEW.last_seen IS NOT OLD.last_seen OR NEW.registration IS NOT OLD.registration OR NEW.kind IS NOT OLD.kind OR NEW.org IS NOT OLD.org
      BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'instruments';
        UPDATE instruments SET rev = (SELECT value FROM change_counters WHERE name = 'instruments') WHERE id = NEW.id;
      END;

      ALTER TABLE alerts ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX alerts_rev ON alerts (rev);
      CREATE TRIGGER alerts_rev_insert AFTER INSERT ON alerts BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'alerts';
        UPDATE alerts SET rev = (SELECT value FROM change_counters WHERE name = 'alerts') WHERE id = NEW.id;
      END;
      CREATE TRIGGER alerts_rev_update AFTER UPDATE OF state, severity, updated_at, acked_at, message ON alerts BEGIN
        UPDATE change_counters SET value = value + 1 WHERE name = 'alerts';
        UPDATE alerts SET rev = (SELECT value FROM change_counters WHERE name = 'alerts') WHERE id = NEW.id;
      END;
    `,
  },
  AUDIT_KEY_MIGRATION,
  RECORDS_MIGRATION,
  // 9: multi-load check identity (issue 15, section 2); ids stay in order: 10 and 11 follow.
  CHECKS_IDENTITY_MIGRATION,
  // 10: instrument identity over time (issue 15, section 7).
  INSTRUMENT_HISTORY_MIGRATION,
  // 11: designation ranges as data (issue 15, section 1); 12 goes below it.
  DESIGNATION_RANGES_MIGRATION,
  {
    // Issue 17, item 1: since 1 July 2025 local government has two levels, provinces and
    // communes (core/admin-units.ts). Organisations and instruments (sites, stations) carry the
    // official codes; `orgs.district` stays as it was, history of records entered before.
    // Districts do not map one-to-one onto the new communes, so nothing is converted.
    id: 12,
    name: 'province and commune codes (two-level administration, 2025)',
    sql: `
      ALTER TABLE orgs ADD COLUMN province TEXT;
      ALTER TABLE orgs ADD COLUMN commune TEXT;
      ALTER TABLE instruments ADD COLUMN province TEXT;
      ALTER TABLE instruments ADD COLUMN commune TEXT;
    `,
  },
  // 13: state metrological inspections and the inspector role (issue 18).
  INSPECTIONS_MIGRATION,
];

export interface OrgRow {
  id: string;
  name: string;
  kind: string;
  district: string | null;
  /** Migration 12. */
  province?: string | null;
  commune?: string | null;
}

export interface GatewayRow {
  id: string;
  org: string;
  name: string | null;
  state: string;
  last_seen: number | null;
  version: string | null;
  spool_depth?: number | null;
  spool_full?: number | null;
  spool_dropped?: number | null;
}

export interface InstrumentRow {
  id: string;
  org: string;
  registration: string;
  kind: string | null;
  name: string | null;
  serial: string | null;
  gateway: string | null;
  profile: string | null;
  site: string | null;
  created_at: number;
  last_seen: number | null;
  /** Migration 10: where this registration's history begins (0: the id was never removed). */
  epoch?: number;
  /** Migration 12. */
  province?: string | null;
  commune?: string | null;
}

export interface ChannelRow {
  instrument: string;
  channel: string;
  unit: string;
  last_ts: number | null;
  last_value: number | null;
  last_status: string | null;
}

export interface RejectRow {
  id: number;
  ts: number;
  org: string | null;
  gateway: string | null;
  instrument: string | null;
  code: string;
  message: string;
  field: string | null;
  rule: string | null;
  value: string | null;
}

// Rows to records: snake_case columns, JSON-encoded reject values.

export function toOrg(r: OrgRow): Org {
  return { id: r.id, name: r.name, kind: r.kind as OrgKind, district: r.district, ...locationOf(r) };
}

/** Province and commune codes (migration 12), present only when set. */
function locationOf(r: { province?: string | null; commune?: string | null }): { province?: string; commune?: string } {
  return { ...(r.province ? { province: r.province } : {}), ...(r.commune ? { commune: r.commune } : {}) };
}

export function toGateway(r: GatewayRow): GatewayRecord {
  return {
    id: r.id,
    org: r.org,
    name: r.name,
    state: r.state as GatewayState,
    lastSeen: r.last_seen,
    version: r.version,
    // Present only once the gateway has reported it (issue 7).
    ...(r.spool_depth == null ? {} : { spool: { depth: r.spool_depth, full: r.spool_full === 1, dropped: r.spool_dropped ?? 0 } }),
  };
}

export function toInstrument(r: InstrumentRow): Instrument {
  return {
    id: r.id,
    org: r.org,
    registration: r.registration as Registration,
    kind: r.kind as InstrumentKind | null,
    name: r.name,
    serial: r.serial,
    gateway: r.gateway,
    profile: r.profile,
    site: r.site,
    createdAt: r.created_at,
    lastSeen: r.last_seen,
    // Only for an id registered again after a removal or reassigned (migration 10).
    ...(r.epoch ? { historySince: r.epoch } : {}),
    ...locationOf(r),
  };
}

export function toChannel(r: ChannelRow): Channel {
  return {
    instrument: r.instrument,
    channel: r.channel,
    unit: r.unit,
    lastTs: r.last_ts,
    lastValue: r.last_value,
    lastStatus: r.last_status as ReadingStatus | null,
  };
}

export function toReject(r: RejectRow): RejectRecord {
  const out: RejectRecord = { ts: r.ts, org: r.org, gateway: r.gateway, instrument: r.instrument, code: r.code as ErrorCode, message: r.message };
  if (r.field !== null) out.field = r.field;
  if (r.rule !== null) out.rule = r.rule;
  if (r.value !== null) out.value = JSON.parse(r.value) as unknown;
  return out;
}
