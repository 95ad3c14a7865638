import { currentActor } from '../core/actor.js';
import type { AuditLog } from './audit.js';
import type { Db, Migration } from './sqlite.js';

/**
 * Registry migration 10: instrument identity over time ("Records a province can rely on",
 * section 7; docs/legal-records.md "Instrument identity over time").
 *
 * An instrument id names one registration at a time. Removing an instrument leaves a tombstone
 * (who held the id, from when, removed when and why); registering the id again, or the authority
 * reassigning it to another organisation, starts a new registration whose history begins at
 * `instruments.epoch` (epoch ms, server clock). Records are never moved or deleted: every read of
 * an instrument's history (readings, checks, calibrations, alerts) keeps only what was recorded at
 * or after its epoch, and readings also only the current owner's (both readings stores tag the
 * organisation). `epoch` is 0 for an id never removed, so nothing changes for them.
 *
 * - `instrument_identity` is a change counter (as in migration 6) advanced by a removal and by a
 *   change of owner, registration or epoch: ingest reads it once per message and drops its cached
 *   owners when it moved, so the next message after a removal or a reassignment is judged on the
 *   registry as it is (no cache window).
 * - `instruments_gateway` serves the bounds on unregistered instruments created from MQTT
 *   (per gateway, per gateway and hour).
 * - Removals audited before this migration become tombstones, and an id registered again after
 *   one starts its history after it.
 */
export const INSTRUMENT_HISTORY_MIGRATION: Migration = {
  id: 10,
  name: 'instrument identity over time: tombstones, history epoch, identity counter',
  sql: `
    ALTER TABLE instruments ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX instruments_gateway ON instruments (gateway, registration, created_at);

    CREATE TABLE instrument_tombstones (
      id TEXT NOT NULL,
      removed_at INTEGER NOT NULL,
      org TEXT NOT NULL,
      registration TEXT NOT NULL,
      epoch INTEGER NOT NULL,
      reason TEXT NOT NULL CHECK (reason IN ('removed', 'reassigned')),
      actor TEXT,
      PRIMARY KEY (id, removed_at)
    ) STRICT, WITHOUT ROWID;

    INSERT INTO change_counters (name, value) VALUES ('instrument_identity', 0);
    CREATE TRIGGER instruments_identity_delete AFTER DELETE ON instruments BEGIN
      UPDATE change_counters SET value = value + 1 WHERE name = 'instrument_identity';
    END;
    CREATE TRIGGER instruments_identity_update AFTER UPDATE OF org, registration, epoch ON instruments
      WHEN NEW.org IS NOT OLD.org OR NEW.registration IS NOT OLD.registration OR NEW.epoch IS NOT OLD.epoch
    BEGIN
      UPDATE change_counters SET value = value + 1 WHERE name = 'instrument_identity';
    END;

    INSERT OR IGNORE INTO instrument_tombstones (id, removed_at, org, registration, epoch, reason, actor)
      SELECT substr(subject, 12), ts, coalesce(json_extract(before, '$.org'), ''), coalesce(json_extract(before, '$.registration'), 'registered'), 0, 'removed', actor
      FROM audit_log WHERE action = 'instrument.delete' AND subject LIKE 'instrument:%' AND json_valid(before);
    UPDATE instruments SET epoch = (SELECT max(removed_at) + 1 FROM instrument_tombstones t WHERE t.id = instruments.id)
      WHERE id IN (SELECT id FROM instrument_tombstones);
  `,
};

/** The SQL expression of an instrument's history epoch, for `instrument` a column or parameter naming it. */
export const epochOf = (instrument: string): string => `coalesce((SELECT epoch FROM instruments WHERE id = ${instrument}), 0)`;

export interface Tombstone {
  id: string;
  removedAt: number;
  /** The organisation that held the id. */
  org: string;
  registration: string;
  /** Where that registration's history began. */
  epoch: number;
  reason: 'removed' | 'reassigned';
  actor: string | null;
}

/** Why an id reported over MQTT was not created as an unregistered instrument. */
export type AdmissionRefusal = 'removed' | 'invalidId' | 'perMessage' | 'perGateway' | 'perGatewayPerHour';

/** Bounds on unregistered instruments created from MQTT (config `ingest.maxUnregistered…`). */
export interface UnregisteredBounds {
  perGateway: number;
  perGatewayPerHour: number;
  /** False once the message has created as many as it may. */
  messageHasRoom: boolean;
}

const HOUR = 3_600_000;

/** Tombstones, the identity counter, retiring a registration and the creation bounds (registry.ts delegates). */
export class InstrumentHistory {
  private readonly s: ReturnType<typeof prepare>;

  constructor(
    db: Db,
    private readonly audit: AuditLog,
  ) {
    this.s = prepare(db);
  }

  /** The identity change counter: moves on every removal, reassignment and registration change. */
  identityRev(): number {
    return (this.s.counter.get() as { value: number } | undefined)?.value ?? 0;
  }

  /** The id's former registrations, newest first. */
  tombstones(id: string): Tombstone[] {
    return (this.s.tombstones.all(id) as Row[]).map(toTombstone);
  }

  /**
   * Ends the current registration of `inst` (inside the caller's transaction): a tombstone, its
   * live alerts cleared (a removed instrument has none), its drift state and channel settings
   * dropped (they described that registration). Checks, calibrations, alerts and readings stay.
   * Returns the removal time and the ids of the alerts cleared.
   */
  retire(inst: { id: string; org: string; registration: string }, reason: Tombstone['reason'], now: number): { removedAt: number; alertsCleared: number[] } {
    const last = this.s.lastRemoval.get(inst.id) as { t: number | null } | undefined;
    // Strictly after the previous removal (two in one millisecond keep their order).
    const removedAt = Math.max(now, (last?.t ?? -1) + 1);
    const epoch = (this.s.epoch.get(inst.id) as { epoch: number } | undefined)?.epoch ?? 0;
    this.s.insertTombstone.run({ id: inst.id, removedAt, org: inst.org, registration: inst.registration, epoch, reason, actor: currentActor() });
    const alertsCleared = (this.s.liveAlerts.all(inst.id) as { id: number }[]).map((r) => r.id);
    this.s.clearAlerts.run({ id: inst.id, now });
    this.s.dropDrift.run(inst.id);
    this.s.dropChannelMetrology.run(inst.id);
    return { removedAt, alertsCleared };
  }

  /**
   * Hands an id to another organisation (the authority's decision): the current registration is
   * retired, the id starts again for `org` as an unregistered instrument with no facts, channels
   * or history (epoch = the reassignment). Audited as `instrument.reassign`. Inside the caller's
   * transaction; the caller checks that the instrument exists.
   */
  reassign(inst: { id: string; org: string; registration: string }, org: string, now: number): { epoch: number; alertsCleared: number[] } {
    const { removedAt, alertsCleared } = this.retire(inst, 'reassigned', now);
    const epoch = removedAt + 1;
    this.s.dropChannels.run(inst.id);
    this.s.dropService.run(inst.id);
    this.s.dropStation.run(inst.id);
    this.s.dropStationLimits.run(inst.id);
    this.s.restart.run({ id: inst.id, org, epoch, now });
    this.audit.append(
      'instrument.reassign',
      `instrument:${inst.id}`,
      { org: inst.org, registration: inst.registration, alertsCleared },
      { org, registration: 'unregistered', historySince: epoch },
      now,
    );
    return { epoch, alertsCleared };
  }

  /**
   * Whether a gateway may create `id` (unknown to the registry) as an unregistered instrument:
   * undefined when it may, else the bound it would break. A removed id is never re-created from
   * MQTT: it takes readings again once someone registers it.
   */
  refusal(id: string, gateway: string | null, now: number, bounds: UnregisteredBounds): AdmissionRefusal | undefined {
    if ((this.s.lastRemoval.get(id) as { t: number | null } | undefined)?.t != null) return 'removed';
    if (!bounds.messageHasRoom) return 'perMessage';
    if (gateway === null) return undefined;
    const c = this.s.unregisteredOf.get({ gateway, since: now - HOUR }) as { total: number; recent: number | null };
    if (c.total >= bounds.perGateway) return 'perGateway';
    if ((c.recent ?? 0) >= bounds.perGatewayPerHour) return 'perGatewayPerHour';
    return undefined;
  }
}

type Row = Record<string, unknown>;

function toTombstone(r: Row): Tombstone {
  return {
    id: r.id as string,
    removedAt: r.removed_at as number,
    org: r.org as string,
    registration: r.registration as string,
    epoch: r.epoch as number,
    reason: r.reason as Tombstone['reason'],
    actor: (r.actor as string | null) ?? null,
  };
}

function prepare(db: Db) {
  return {
    counter: db.prepare("SELECT value FROM change_counters WHERE name = 'instrument_identity'"),
    tombstones: db.prepare('SELECT * FROM instrument_tombstones WHERE id = ? ORDER BY removed_at DESC'),
    lastRemoval: db.prepare('SELECT max(removed_at) AS t FROM instrument_tombstones WHERE id = ?'),
    epoch: db.prepare('SELECT epoch FROM instruments WHERE id = ?'),
    insertTombstone: db.prepare(
      `INSERT INTO instrument_tombstones (id, removed_at, org, registration, epoch, reason, actor)
       VALUES (@id, @removedAt, @org, @registration, @epoch, @reason, @actor)`,
    ),
    liveAlerts: db.prepare("SELECT id FROM alerts WHERE instrument = ? AND state <> 'cleared'"),
    clearAlerts: db.prepare(
      "UPDATE alerts SET state = 'cleared', cleared_at = @now, updated_at = @now, clear_streak = 0 WHERE instrument = @id AND state <> 'cleared'",
    ),
    dropDrift: db.prepare('DELETE FROM drift_state WHERE instrument = ?'),
    dropChannelMetrology: db.prepare('DELETE FROM channel_metrology WHERE instrument = ?'),
    dropChannels: db.prepare('DELETE FROM channels WHERE instrument = ?'),
    dropService: db.prepare('DELETE FROM instrument_metrology WHERE instrument = ?'),
    dropStation: db.prepare('DELETE FROM stations WHERE instrument = ?'),
    dropStationLimits: db.prepare('DELETE FROM station_limits WHERE instrument = ?'),
    restart: db.prepare(
      `UPDATE instruments SET org = @org, registration = 'unregistered', kind = NULL, name = NULL, serial = NULL, gateway = NULL,
         profile = NULL, site = NULL, province = NULL, commune = NULL, last_seen = NULL, created_at = @now, epoch = @epoch WHERE id = @id`,
    ),
    unregisteredOf: db.prepare(
      `SELECT count(*) AS total, sum(created_at >= @since) AS recent FROM instruments
       WHERE gateway = @gateway AND registration = 'unregistered'`,
    ),
  };
}
