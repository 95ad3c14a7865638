import type Database from 'better-sqlite3';
import { MetronetError, assertLocation, assertTopicId, foldName, isTopicId, preview, unknownInstrument, type Reading } from '../core/index.js';
import { openSqlite, type Db, type SqliteOptions } from './sqlite.js';
import {
  REGISTRY_MIGRATIONS,
  toChannel,
  toGateway,
  toInstrument,
  toOrg,
  toReject,
  type ChannelRow,
  type GatewayRow,
  type InstrumentRow,
  type OrgRow,
  type RejectRow,
} from './registry-schema.js';
import { AnalyticsStore } from './analytics.js';
import { AuditLog } from './audit.js';
import { AuditKey, type AuditKeyOptions } from './audit-key.js';
import { AUDIT_KEY_MIGRATION } from './auth-schema.js';
import { IdentityStore } from './identity.js';
import { StationStore } from './stations.js';
import { RecordsStore } from './records.js';
import { InspectionStore } from './inspections.js';
import { InstrumentHistory, type AdmissionRefusal, type UnregisteredBounds } from './instrument-history.js';
import type { Channel, GatewayRecord, GatewaySpool, GatewayState, Instrument, InstrumentFilter, Org, RejectRecord, Registry } from './types.js';
import type { Tombstone } from './instrument-history.js';

export interface RegistryOptions extends SqliteOptions {
  /** Rejects kept; older ones are pruned as new ones arrive. Default 10 000. */
  maxRejects?: number;
  /** The audit key (store/audit-key.ts); default the file `audit.key` beside the registry. */
  audit?: AuditKeyOptions;
}

/**
 * The registry on SQLite. Statements are prepared once; the filtered lists prepare one statement
 * per filter shape (which filters are set), on first use, so each shape keeps its own plan and
 * uses the index that fits it.
 *
 * Upserts take `undefined` as "keep what is stored" and `null` as "clear it", so a caller that
 * knows only some facts (a seed script naming a gateway, ingest learning a profile) does not
 * erase the others.
 */
export function openRegistry(file: string, opts: RegistryOptions = {}): Registry {
  const auditKey = AuditKey.forRegistry(file, opts.audit);
  // Migration 7 seals the entries written before it with a keyed entry, in its own transaction:
  // without the key the migration does not happen, and a later open tries again.
  const migrations = REGISTRY_MIGRATIONS.map((m) =>
    m.id === AUDIT_KEY_MIGRATION.id ? { ...m, after: (db: Db) => new AuditLog(db, auditKey).sealLegacy() } : m,
  );
  const db = openSqlite(file, migrations, opts);
  return new SqliteRegistry(db, opts.maxRejects ?? 10_000, auditKey);
}

const REJECT_TEXT_MAX = 500;

class SqliteRegistry implements Registry {
  private changeStmts?: ReturnType<typeof prepareChanges>;
  private readonly s: ReturnType<typeof prepare>;
  private readonly instrumentLists = new Map<string, { items: ReturnType<Db['prepare']>; count: ReturnType<Db['prepare']> }>();
  private readonly rejectLists = new Map<string, ReturnType<Db['prepare']>>();
  private readonly writeLatest: Database.Transaction<(readings: Reading[]) => void>;
  private readonly writeRejects: Database.Transaction<(rejects: RejectRecord[]) => void>;
  /** Analytics tables (migration 2) on the same connection. */
  readonly analytics: AnalyticsStore;
  /** Environmental stations (migration 3, issue 8). */
  readonly stations: StationStore;
  /** Users, tokens, sessions and MQTT credentials (migration 4, issue 6). */
  readonly identity: IdentityStore;
  /** The keyed, hash-chained audit trail (migrations 4 and 7). */
  readonly audit: AuditLog;
  /** Designations, corrections, seal register, traceability anchors (migration 8). */
  readonly records: RecordsStore;
  /** Inspection campaigns, visits and their signed records (migration 13). */
  readonly inspections: InspectionStore;
  /** Tombstones, reassignment and the bounds on unregistered instruments (migration 10). */
  private readonly history: InstrumentHistory;

  constructor(
    private readonly db: Db,
    private readonly maxRejects: number,
    auditKey: AuditKey,
  ) {
    // Search text folded as core/admin-units.ts foldName folds it (case and diacritics ignored,
    // đ as d), so that "can ban" finds "Cân bàn" in SQL as it does in the web UI.
    db.function('fold', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? foldName(v) : null));
    this.s = prepare(db);
    this.audit = new AuditLog(db, auditKey);
    this.identity = new IdentityStore(db, this.audit);
    this.analytics = new AnalyticsStore(db, this.audit);
    this.stations = new StationStore(db, this.audit);
    this.records = new RecordsStore(db, this.audit);
    this.inspections = new InspectionStore(db, this.audit);
    this.history = new InstrumentHistory(db, this.audit);

    this.writeLatest = db.transaction((readings: Reading[]) => {
      // Reduce to the newest reading per channel and per instrument first: a batch of 5 000
      // readings of 20 channels becomes 20 + n updates. Strict `>` keeps the first of equal ts,
      // matching the readings store, which keeps the first copy of a (instrument, channel, ts).
      // Keyed instrument → channel (no key strings built per reading); consecutive readings of one
      // instrument reuse its map.
      const latest = new Map<string, Map<string, Reading>>();
      let instrument: string | undefined;
      let channels: Map<string, Reading> | undefined;
      for (let i = 0; i < readings.length; i++) {
        const r = readings[i] as Reading;
        if (r.instrument !== instrument || !channels) {
          instrument = r.instrument;
          channels = latest.get(instrument);
          if (!channels) latest.set(instrument, (channels = new Map()));
        }
        const cur = channels.get(r.channel);
        if (!cur || r.ts > cur.ts) channels.set(r.channel, r);
      }
      for (const [id, byChannel] of latest) {
        let ts = -Infinity;
        for (const r of byChannel.values()) {
          this.s.moveChannel.run({ instrument: r.instrument, channel: r.channel, ts: r.ts, value: r.value, status: r.status });
          if (r.ts > ts) ts = r.ts;
        }
        this.s.moveInstrument.run({ id, ts });
      }
    });

    this.writeRejects = db.transaction((rejects: RejectRecord[]) => {
      for (const r of rejects) {
        this.s.insertReject.run({
          ts: r.ts,
          org: r.org ?? null,
          gateway: r.gateway ?? null,
          instrument: r.instrument ?? null,
          code: r.code,
          message: r.message.slice(0, REJECT_TEXT_MAX),
          field: r.field?.slice(0, REJECT_TEXT_MAX) ?? null,
          rule: r.rule ?? null,
          value: r.value === undefined ? null : JSON.stringify(preview(r.value, 200)),
        });
      }
      this.s.pruneRejects.run(this.maxRejects);
    });
  }

  upsertOrg(org: Org): void {
    this.db
      .transaction(() => {
        const cur = this.getOrg(org.id);
        // The id grammar (core/ids.ts) on creation; an organisation stored before it keeps its id and can still be changed.
        if (!cur) assertTopicId('id', org.id);
        const province = keep(org.province, cur?.province);
        const commune = keep(org.commune, cur?.commune);
        assertLocation({ province, commune });
        this.s.upsertOrg.run({ id: org.id, name: org.name, kind: org.kind, district: keep(org.district, cur?.district), province, commune });
        const after = this.getOrg(org.id) as Org;
        if (JSON.stringify(cur) !== JSON.stringify(after)) this.audit.append(cur ? 'org.update' : 'org.create', `org:${org.id}`, cur ?? null, after);
      })
      .immediate();
  }

  getOrg(id: string): Org | undefined {
    const row = this.s.getOrg.get(id) as OrgRow | undefined;
    return row && toOrg(row);
  }

  listOrgs(): Org[] {
    return (this.s.listOrgs.all() as OrgRow[]).map(toOrg);
  }

  upsertGateway(gw: Omit<GatewayRecord, 'state'> & { state?: GatewayState }): void {
    this.db
      .transaction(() => {
        const cur = this.getGateway(gw.id);
        if (!cur) assertTopicId('id', gw.id);
        if (cur?.org !== gw.org) assertTopicId('org', gw.org);
        this.s.upsertGateway.run({
          id: gw.id,
          org: gw.org,
          name: keep(gw.name, cur?.name),
          state: gw.state ?? cur?.state ?? 'unknown',
          lastSeen: keep(gw.lastSeen, cur?.lastSeen),
          version: keep(gw.version, cur?.version),
        });
        // Its registered facts; state, last seen and version are what it reports, not changes to audit.
        const before = cur ? gatewayFacts(cur) : null;
        const after = gatewayFacts(this.getGateway(gw.id) as GatewayRecord);
        if (JSON.stringify(before) !== JSON.stringify(after)) this.audit.append(cur ? 'gateway.update' : 'gateway.create', `gateway:${gw.id}`, before, after);
      })
      .immediate();
  }

  getGateway(id: string): GatewayRecord | undefined {
    const row = this.s.getGateway.get(id) as GatewayRow | undefined;
    return row && toGateway(row);
  }

  listGateways(org?: string): GatewayRecord[] {
    const rows = (org === undefined ? this.s.listGateways.all() : this.s.listGatewaysOfOrg.all(org)) as GatewayRow[];
    return rows.map(toGateway);
  }

  setGatewayState(id: string, state: GatewayState, ts: number, version?: string, spool?: GatewaySpool): void {
    this.s.setGatewayState.run({
      id,
      state,
      ts,
      version: version ?? null,
      depth: spool?.depth ?? null,
      full: spool ? (spool.full ? 1 : 0) : null,
      dropped: spool?.dropped ?? null,
    });
  }

  upsertInstrument(inst: Omit<Instrument, 'createdAt' | 'lastSeen'> & { createdAt?: number }): Instrument {
    return this.db
      .transaction(() => {
        const cur = this.getInstrument(inst.id);
        if (!cur) assertTopicId('id', inst.id);
        const province = keep(inst.province, cur?.province);
        const commune = keep(inst.commune, cur?.commune);
        assertLocation({ province, commune });
        this.s.upsertInstrument.run({
          id: inst.id,
          org: inst.org,
          registration: inst.registration,
          kind: keep(inst.kind, cur?.kind),
          name: keep(inst.name, cur?.name),
          serial: keep(inst.serial, cur?.serial),
          gateway: keep(inst.gateway, cur?.gateway),
          profile: keep(inst.profile, cur?.profile),
          site: keep(inst.site, cur?.site),
          province,
          commune,
          createdAt: inst.createdAt ?? Date.now(),
        });
        const saved = this.getInstrument(inst.id) as Instrument;
        const after = registeredFacts(saved);
        const before = cur ? registeredFacts(cur) : null;
        if (JSON.stringify(before) !== JSON.stringify(after))
          this.audit.append(cur ? 'instrument.update' : 'instrument.create', `instrument:${inst.id}`, before, after);
        return saved;
      })
      .immediate();
  }

  instrumentLocations(): Map<string, { province: string | null; commune: string | null }> {
    const rows = this.s.instrumentLocations.all() as Array<{ id: string; province: string | null; commune: string | null }>;
    return new Map(rows.map((r) => [r.id, { province: r.province, commune: r.commune }]));
  }

  getInstrument(id: string): Instrument | undefined {
    const row = this.s.getInstrument.get(id) as InstrumentRow | undefined;
    return row && toInstrument(row);
  }

  listInstruments(filter: InstrumentFilter = {}): { items: Instrument[]; total: number } {
    const params = {
      org: filter.org,
      servedBy: filter.servedBy,
      inspectedBy: filter.inspectedBy,
      kind: filter.kind,
      registration: filter.registration,
      q: filter.q === undefined || foldName(filter.q) === '' ? undefined : `%${foldName(filter.q).replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      province: filter.province,
      commune: filter.commune,
      ids: filter.ids === undefined ? undefined : JSON.stringify(filter.ids),
    };
    const where: string[] = [];
    if (params.org !== undefined) where.push('org = @org');
    if (params.servedBy !== undefined) where.push('id IN (SELECT instrument FROM instrument_metrology WHERE lab = @servedBy)');
    if (params.inspectedBy !== undefined) where.push('org IN (SELECT org FROM visits WHERE inspector = @inspectedBy)');
    if (params.kind !== undefined) where.push('kind = @kind');
    if (params.registration !== undefined) where.push('registration = @registration');
    // Diacritics and case ignored on both sides (fold, registered in the constructor).
    if (params.q !== undefined) where.push(`(${['id', 'name', 'serial', 'site'].map((c) => `fold(${c}) LIKE @q ESCAPE '\\'`).join(' OR ')})`);
    if (params.ids !== undefined) where.push('id IN (SELECT value FROM json_each(@ids))');
    // Where it stands, else its organisation's place (dashboard/locality.ts reads places the same way).
    for (const level of ['province', 'commune'] as const) {
      if (params[level] !== undefined)
        where.push(
          `coalesce(${level}, (SELECT o.${level} FROM orgs o WHERE o.id = instruments.org AND instruments.province IS NULL AND instruments.commune IS NULL)) = @${level}`,
        );
    }
    const shape = where.join(' AND ');
    let stmts = this.instrumentLists.get(shape);
    if (!stmts) {
      const clause = shape ? `WHERE ${shape}` : '';
      stmts = {
        items: this.db.prepare(`SELECT * FROM instruments ${clause} ORDER BY id LIMIT @limit OFFSET @offset`),
        count: this.db.prepare(`SELECT count(*) AS n FROM instruments ${clause}`),
      };
      this.instrumentLists.set(shape, stmts);
    }
    const bound = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
    const limit = Math.max(0, Math.floor(filter.limit ?? 100));
    const offset = Math.max(0, Math.floor(filter.offset ?? 0));
    const items = (stmts.items.all({ ...bound, limit, offset }) as InstrumentRow[]).map(toInstrument);
    const total = (stmts.count.get(bound) as { n: number }).n;
    return { items, total };
  }

  ensureInstrument(org: string, id: string, gateway: string | null, now: number, profile?: string | null): Instrument {
    // A creation is audited (issue 6) with whoever the context names: ingest names the gateway.
    const created = this.db
      .transaction(() => {
        // Ingest asks instrumentAdmission first, which refuses such an id as a reject; this is the registry's own wall.
        if (!isTopicId(id) && !this.s.getInstrument.get(id)) assertTopicId('instrument', id);
        if (this.s.insertUnregistered.run({ id, org, gateway, profile: profile ?? null, now }).changes === 0) return false;
        this.audit.append('instrument.create', `instrument:${id}`, null, registeredFacts(this.getInstrument(id) as Instrument), now);
        return true;
      })
      .immediate();
    let inst = this.getInstrument(id) as Instrument;
    // An instrument of another organisation is returned untouched: the caller decides (ingest
    // rejects it). Within the organisation, the gateway and profile that report it are news.
    if (!created && inst.org === org && ((gateway && gateway !== inst.gateway) || (profile && profile !== inst.profile))) {
      this.s.updateWiring.run({ id, gateway, profile: profile ?? null });
      inst = this.getInstrument(id) as Instrument;
    }
    return inst;
  }

  /** What still belongs to an organisation (its deletion is refused while any count is above 0). */
  orgUsage(id: string): OrgUsage {
    return this.s.orgUsage.get({ id }) as OrgUsage;
  }

  deleteOrg(id: string): boolean {
    return this.db
      .transaction(() => {
        const cur = this.getOrg(id);
        if (!cur) return false;
        const usage = this.orgUsage(id);
        if (Object.values(usage).some((n) => n > 0))
          throw new MetronetError('E_CONFLICT', `organisation ${id} still has ${describeUsage(usage)}; move or delete them first`, {
            field: 'id',
            value: id,
            usage,
          });
        // Its own MQTT logins (lab or organisation alert subscriptions) mean nothing without it.
        const logins = (this.s.orgLogins.all({ id }) as { username: string }[]).map((r) => r.username);
        for (const u of logins) this.s.deleteLogin.run(u);
        this.s.deleteOrg.run(id);
        this.audit.append('org.delete', `org:${id}`, { ...cur, mqttLogins: logins }, null);
        return true;
      })
      .immediate();
  }

  deleteGateway(id: string): boolean {
    return this.db
      .transaction(() => {
        const cur = this.getGateway(id);
        if (!cur) return false;
        const login = this.s.gatewayLogin.get({ id }) as { username: string } | undefined;
        if (login) this.s.deleteLogin.run(login.username);
        this.s.deleteGateway.run(id);
        this.audit.append('gateway.delete', `gateway:${id}`, { id: cur.id, org: cur.org, name: cur.name ?? null, mqttLogin: !!login }, null);
        return true;
      })
      .immediate();
  }

  deleteInstrument(id: string): boolean {
    return this.db
      .transaction(() => {
        const cur = this.getInstrument(id);
        if (!cur) return false;
        // Channels, serving lab and station facts cascade; checks, calibrations, alerts and the
        // readings store are history and stay (docs/security.md), behind a tombstone: a new
        // registration of the id starts with empty history (migration 10).
        const channels = this.listChannels(id).map((c) => ({ channel: c.channel, unit: c.unit }));
        const { alertsCleared } = this.history.retire(cur, 'removed', Date.now());
        this.s.deleteInstrument.run(id);
        this.audit.append('instrument.delete', `instrument:${id}`, { ...registeredFacts(cur), channels, alertsCleared }, null);
        return true;
      })
      .immediate();
  }

  reassignInstrument(id: string, org: string, now = Date.now()): Instrument {
    return this.db
      .transaction(() => {
        const cur = this.getInstrument(id);
        if (!cur) throw MetronetError.fromIssue(unknownInstrument(id));
        this.history.reassign(cur, org, now);
        return this.getInstrument(id) as Instrument;
      })
      .immediate();
  }

  instrumentTombstones(id: string): Tombstone[] {
    return this.history.tombstones(id);
  }

  identityRev(): number {
    return this.history.identityRev();
  }

  instrumentAdmission(id: string, gateway: string, now: number, bounds: UnregisteredBounds): { known: boolean } | { refused: AdmissionRefusal } {
    if (this.s.getInstrument.get(id)) return { known: true };
    // An unknown id that breaks the id grammar is never created from MQTT (a reserved topic word, issue 16).
    if (!isTopicId(id)) return { refused: 'invalidId' };
    const refused = this.history.refusal(id, gateway, now, bounds);
    return refused ? { refused } : { known: false };
  }

  listChannels(instrument: string): Channel[] {
    return (this.s.listChannels.all(instrument) as ChannelRow[]).map(toChannel);
  }

  listChannelsOf(instruments: string[]): Map<string, Channel[]> {
    const out = new Map<string, Channel[]>(instruments.map((id) => [id, []]));
    if (instruments.length === 0) return out;
    for (const row of this.s.listChannelsOf.all(JSON.stringify(instruments)) as ChannelRow[]) out.get(row.instrument)?.push(toChannel(row));
    return out;
  }

  changedInstruments(after: number, limit = 10_000): { items: Instrument[]; rev: number } {
    this.changeStmts ??= prepareChanges(this.db);
    const rows = this.changeStmts.changed.all(after, limit) as Array<InstrumentRow & { rev: number }>;
    return { items: rows.map(toInstrument), rev: rows.length ? rows[rows.length - 1]!.rev : after };
  }

  instrumentsRev(): number {
    this.changeStmts ??= prepareChanges(this.db);
    return (this.changeStmts.counter.get('instruments') as { value: number } | undefined)?.value ?? 0;
  }

  instrumentsSeenBetween(from: number, to: number): Instrument[] {
    this.changeStmts ??= prepareChanges(this.db);
    return (this.changeStmts.seenBetween.all(from, to) as InstrumentRow[]).map(toInstrument);
  }

  getChannel(instrument: string, channel: string): Channel | undefined {
    const row = this.s.getChannel.get(instrument, channel) as ChannelRow | undefined;
    return row && toChannel(row);
  }

  ensureChannel(instrument: string, channel: string, unit: string): Channel {
    this.s.insertChannel.run(instrument, channel, unit);
    return this.getChannel(instrument, channel) as Channel;
  }

  updateLatest(readings: Reading[]): void {
    if (readings.length > 0) this.writeLatest.immediate(readings);
  }

  recordRejects(rejects: RejectRecord[]): void {
    if (rejects.length > 0) this.writeRejects.immediate(rejects);
  }

  listRejects(filter: { org?: string; gateway?: string; limit?: number } = {}): RejectRecord[] {
    const where: string[] = [];
    if (filter.org !== undefined) where.push('org = @org');
    if (filter.gateway !== undefined) where.push('gateway = @gateway');
    const shape = where.join(' AND ');
    let stmt = this.rejectLists.get(shape);
    if (!stmt) {
      stmt = this.db.prepare(`SELECT * FROM rejects ${shape ? `WHERE ${shape}` : ''} ORDER BY id DESC LIMIT @limit`);
      this.rejectLists.set(shape, stmt);
    }
    const params: Record<string, unknown> = { limit: Math.max(0, Math.floor(filter.limit ?? 100)) };
    if (filter.org !== undefined) params.org = filter.org;
    if (filter.gateway !== undefined) params.gateway = filter.gateway;
    return (stmt.all(params) as RejectRow[]).map(toReject);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Change-counter queries of live events (migration 6), prepared on first use. */
function prepareChanges(db: Db) {
  return {
    changed: db.prepare('SELECT * FROM instruments WHERE rev > ? ORDER BY rev LIMIT ?'),
    counter: db.prepare('SELECT value FROM change_counters WHERE name = ?'),
    seenBetween: db.prepare('SELECT * FROM instruments WHERE last_seen >= ? AND last_seen < ?'),
  };
}

/** A new row's history epoch (migration 10): just after the id's last removal, 0 for an id never removed. */
const EPOCH_OF_NEW = 'coalesce((SELECT max(removed_at) + 1 FROM instrument_tombstones WHERE id = @id), 0)';

function prepare(db: Db) {
  return {
    upsertOrg: db.prepare(
      `INSERT INTO orgs (id, name, kind, district, province, commune) VALUES (@id, @name, @kind, @district, @province, @commune)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, district = excluded.district,
         province = excluded.province, commune = excluded.commune`,
    ),
    getOrg: db.prepare('SELECT * FROM orgs WHERE id = ?'),
    listOrgs: db.prepare('SELECT * FROM orgs ORDER BY id'),
    upsertGateway: db.prepare(
      `INSERT INTO gateways (id, org, name, state, last_seen, version) VALUES (@id, @org, @name, @state, @lastSeen, @version)
       ON CONFLICT (id) DO UPDATE SET org = excluded.org, name = excluded.name, state = excluded.state,
         last_seen = excluded.last_seen, version = excluded.version`,
    ),
    getGateway: db.prepare('SELECT * FROM gateways WHERE id = ?'),
    listGateways: db.prepare('SELECT * FROM gateways ORDER BY id'),
    listGatewaysOfOrg: db.prepare('SELECT * FROM gateways WHERE org = ? ORDER BY id'),
    // State follows arrival order, not `ts`: a last will carries the ts of the connect that
    // registered it, older than later statuses, yet it is the newest news. lastSeen only grows.
    setGatewayState: db.prepare(
      `UPDATE gateways SET state = @state, version = coalesce(@version, version),
         spool_depth = coalesce(@depth, spool_depth), spool_full = coalesce(@full, spool_full), spool_dropped = coalesce(@dropped, spool_dropped),
         last_seen = CASE WHEN last_seen IS NULL OR last_seen < @ts THEN @ts ELSE last_seen END
       WHERE id = @id`,
    ),
    upsertInstrument: db.prepare(
      `INSERT INTO instruments (id, org, registration, kind, name, serial, gateway, profile, site, province, commune, created_at, epoch)
       VALUES (@id, @org, @registration, @kind, @name, @serial, @gateway, @profile, @site, @province, @commune, @createdAt, ${EPOCH_OF_NEW})
       ON CONFLICT (id) DO UPDATE SET org = excluded.org, registration = excluded.registration, kind = excluded.kind,
         name = excluded.name, serial = excluded.serial, gateway = excluded.gateway, profile = excluded.profile, site = excluded.site,
         province = excluded.province, commune = excluded.commune`,
    ),
    getInstrument: db.prepare('SELECT * FROM instruments WHERE id = ?'),
    instrumentLocations: db.prepare('SELECT id, province, commune FROM instruments WHERE province IS NOT NULL OR commune IS NOT NULL'),
    insertUnregistered: db.prepare(
      `INSERT INTO instruments (id, org, registration, gateway, profile, created_at, epoch)
       VALUES (@id, @org, 'unregistered', @gateway, @profile, @now, ${EPOCH_OF_NEW}) ON CONFLICT (id) DO NOTHING`,
    ),
    updateWiring: db.prepare('UPDATE instruments SET gateway = coalesce(@gateway, gateway), profile = coalesce(@profile, profile) WHERE id = @id'),
    listChannels: db.prepare('SELECT * FROM channels WHERE instrument = ? ORDER BY channel'),
    // One statement for any number of instruments: the ids travel as one JSON array parameter.
    listChannelsOf: db.prepare('SELECT * FROM channels WHERE instrument IN (SELECT value FROM json_each(?)) ORDER BY instrument, channel'),
    getChannel: db.prepare('SELECT * FROM channels WHERE instrument = ? AND channel = ?'),
    insertChannel: db.prepare('INSERT INTO channels (instrument, channel, unit) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    moveChannel: db.prepare(
      `UPDATE channels SET last_ts = @ts, last_value = @value, last_status = @status
       WHERE instrument = @instrument AND channel = @channel AND (last_ts IS NULL OR last_ts < @ts)`,
    ),
    moveInstrument: db.prepare('UPDATE instruments SET last_seen = @ts WHERE id = @id AND (last_seen IS NULL OR last_seen < @ts)'),
    insertReject: db.prepare(
      `INSERT INTO rejects (ts, org, gateway, instrument, code, message, field, rule, value)
       VALUES (@ts, @org, @gateway, @instrument, @code, @message, @field, @rule, @value)`,
    ),
    pruneRejects: db.prepare('DELETE FROM rejects WHERE id <= (SELECT max(id) FROM rejects) - ?'),
    orgUsage: db.prepare(
      `SELECT (SELECT count(*) FROM instruments WHERE org = @id) AS instruments,
              (SELECT count(*) FROM users WHERE org = @id) AS users,
              (SELECT count(*) FROM gateways WHERE org = @id) AS gateways,
              (SELECT count(*) FROM instrument_metrology WHERE lab = @id) AS served,
              (SELECT count(*) FROM reference_standards WHERE lab = @id) AS "references"`,
    ),
    orgLogins: db.prepare("SELECT username FROM mqtt_credentials WHERE kind IN ('lab', 'org') AND subject = @id"),
    gatewayLogin: db.prepare("SELECT username FROM mqtt_credentials WHERE kind = 'gateway' AND subject = @id"),
    deleteLogin: db.prepare('DELETE FROM mqtt_credentials WHERE username = ?'),
    deleteOrg: db.prepare('DELETE FROM orgs WHERE id = ?'),
    deleteGateway: db.prepare('DELETE FROM gateways WHERE id = ?'),
    deleteInstrument: db.prepare('DELETE FROM instruments WHERE id = ?'),
  };
}

export interface OrgUsage {
  instruments: number;
  users: number;
  gateways: number;
  /** Instruments a lab serves. */
  served: number;
  /** A lab's reference standards. */
  references: number;
}

const USAGE_WORDS: Record<keyof OrgUsage, string> = {
  instruments: 'instrument(s)',
  users: 'user(s)',
  gateways: 'gateway(s)',
  served: 'served instrument(s)',
  references: 'reference standard(s)',
};

function describeUsage(u: OrgUsage): string {
  return (Object.keys(USAGE_WORDS) as (keyof OrgUsage)[])
    .filter((k) => u[k] > 0)
    .map((k) => `${u[k]} ${USAGE_WORDS[k]}`)
    .join(', ');
}

/** What an instrument change is audited by: its registered facts, not its last-seen time. */
function registeredFacts({ lastSeen: _l, createdAt: _c, ...facts }: Instrument): Omit<Instrument, 'lastSeen' | 'createdAt'> {
  return facts;
}

/** What a gateway change is audited by. */
function gatewayFacts(g: GatewayRecord): { id: string; org: string; name: string | null } {
  return { id: g.id, org: g.org, name: g.name ?? null };
}

/** `undefined` keeps the stored value; `null` clears it. */
function keep<T>(given: T | null | undefined, stored: T | null | undefined): T | null {
  return given === undefined ? (stored ?? null) : given;
}
