import type { InstrumentKind } from '../core/index.js';
import type { AuditLog } from './audit.js';
import { epochOf } from './instrument-history.js';
import type { Db, Migration } from './sqlite.js';

/**
 * Registry migration 8: records a province can rely on ("Records a province can rely on",
 * sections 1, 3 and 6; docs/legal-records.md).
 *
 * - `designations`: which verification body may verify which instrument kinds, as decided by the
 *   authority (Law on Metrology 04/2011/QH13 Art. 25; Circular 24/2013/TT-BKHCN). Never deleted:
 *   a withdrawal is dated, so a verification recorded under it earlier still names a real one.
 * - `calibrations` gain their correction state (ISO/IEC 17025:2017 7.8.8): `status` valid,
 *   superseded or voided, with who, when and why; `supersedes`/`superseded_by` link the records.
 *   Every query that picks "the last calibration" reads only valid rows (partial index).
 *   `author` is the signed-in principal that recorded it; `content` (JSON) holds the legal marks of
 *   a verification (stamp, seals, verifier, designation) and the 7.8 contents of a certificate.
 * - `seal_events`: the seal register of an instrument — each break (who, when, why) and each new
 *   seal (Circular 15/2015/TT-BKHCN Art. 5(1)(b): adjustable parts sealed by the verification body).
 * - `reference_standards.anchor` (JSON): where a traceability chain ends — a national standard or
 *   an external accredited certificate (issuer, number, date).
 */
export const RECORDS_MIGRATION: Migration = {
  id: 8,
  name: 'designations, corrections of certificates, legal marks, seal register, traceability anchors',
  sql: `
    CREATE TABLE designations (
      id INTEGER PRIMARY KEY,
      lab TEXT NOT NULL,
      decision TEXT NOT NULL,
      kinds TEXT NOT NULL,
      ranges TEXT,
      valid_from INTEGER NOT NULL,
      valid_until INTEGER,
      withdrawn_at INTEGER,
      withdrawn_reason TEXT,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX designations_lab ON designations (lab, id);

    ALTER TABLE calibrations ADD COLUMN status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'superseded', 'voided'));
    ALTER TABLE calibrations ADD COLUMN supersedes INTEGER;
    ALTER TABLE calibrations ADD COLUMN superseded_by INTEGER;
    ALTER TABLE calibrations ADD COLUMN status_reason TEXT;
    ALTER TABLE calibrations ADD COLUMN status_by TEXT;
    ALTER TABLE calibrations ADD COLUMN status_at INTEGER;
    ALTER TABLE calibrations ADD COLUMN author TEXT;
    ALTER TABLE calibrations ADD COLUMN content TEXT;
    CREATE INDEX calibrations_valid ON calibrations (instrument, date) WHERE status = 'valid';

    CREATE TABLE seal_events (
      id INTEGER PRIMARY KEY,
      instrument TEXT NOT NULL,
      event TEXT NOT NULL CHECK (event IN ('break', 'seal')),
      at INTEGER NOT NULL,
      seals TEXT NOT NULL,
      reason TEXT,
      by TEXT NOT NULL,
      org TEXT,
      calibration INTEGER,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX seal_events_instrument ON seal_events (instrument, at);

    ALTER TABLE reference_standards ADD COLUMN anchor TEXT;
  `,
};

/**
 * Registry migration 11: the ranges of a designation as data (issue 15, section 1), per instrument
 * kind — accuracy classes, largest Max of a scale, largest Qmax of a dispenser — checked against
 * the instrument's channels when a verification is recorded (analytics/authority.ts). The free
 * text `ranges` stays as the decision words it.
 */
export const DESIGNATION_RANGES_MIGRATION: Migration = {
  id: 11,
  name: 'designation ranges as data',
  sql: 'ALTER TABLE designations ADD COLUMN range_limits TEXT;',
};

/** A quantity with its unit code (core/units.ts). */
export interface Quantity {
  value: number;
  unit: string;
}

/**
 * What a designation covers of one instrument kind, beyond the kind itself; a limit left out is
 * not limited. Example: scales of class III and IIII up to Max 60 t →
 * `{ kind: 'scale', classes: ['III', 'IIII'], maxCapacity: { value: 60, unit: 't' } }`.
 */
export interface DesignationRange {
  kind: InstrumentKind;
  /** Accuracy classes covered: OIML R76 I, II, III, IIII (scales); OIML R117 0.3 … 2.5 (dispensers). */
  classes?: string[];
  /** Largest maximum capacity Max of a scale covered (OIML R76-1 T.3.1.1). */
  maxCapacity?: Quantity;
  /** Largest maximum flow rate Qmax of a fuel dispenser covered (OIML R117-1). */
  maxFlow?: Quantity;
}

export interface Designation {
  id: number;
  /** The designated verification body (an organisation of kind lab). */
  lab: string;
  /** The authority's decision number (số quyết định chỉ định). */
  decision: string;
  kinds: InstrumentKind[];
  /** Ranges as the decision states them (free text, e.g. "cân ô tô đến 150 t"). */
  ranges: string | null;
  /** The ranges as data, per kind (migration 11): checked at every verification; null or a kind absent: not limited beyond the kind. */
  rangeLimits: DesignationRange[] | null;
  validFrom: number;
  validUntil: number | null;
  withdrawnAt: number | null;
  withdrawnReason: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}
export type DesignationInput = Pick<Designation, 'lab' | 'decision' | 'kinds' | 'ranges' | 'validFrom' | 'validUntil'> & {
  rangeLimits?: DesignationRange[] | null;
};

export type RecordStatus = 'valid' | 'superseded' | 'voided';

export interface SealEvent {
  id: number;
  instrument: string;
  event: 'break' | 'seal';
  at: number;
  seals: string[];
  reason: string | null;
  /** The principal (user id) who recorded it. */
  by: string;
  /** The organisation of the person who recorded it. */
  byOrg: string | null;
  /** The verification that placed these seals, if any. */
  calibration: number | null;
  createdAt: number;
}
export type NewSealEvent = Omit<SealEvent, 'id' | 'createdAt'>;

/** Where a traceability chain ends (ILAC P10:07/2020 §2: national standard or accredited calibration). */
export interface TraceAnchor {
  kind: 'national_standard' | 'accredited_certificate';
  issuer: string;
  certificate: string | null;
  date: number | null;
}

type Row = Record<string, unknown>;

function toDesignation(r: Row): Designation {
  return {
    id: r.id as number,
    lab: r.lab as string,
    decision: r.decision as string,
    kinds: JSON.parse(r.kinds as string) as InstrumentKind[],
    ranges: r.ranges as string | null,
    rangeLimits: r.range_limits ? (JSON.parse(r.range_limits as string) as DesignationRange[]) : null,
    validFrom: r.valid_from as number,
    validUntil: r.valid_until as number | null,
    withdrawnAt: r.withdrawn_at as number | null,
    withdrawnReason: r.withdrawn_reason as string | null,
    createdBy: r.created_by as string,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}

function toSeal(r: Row): SealEvent {
  return {
    id: r.id as number,
    instrument: r.instrument as string,
    event: r.event as SealEvent['event'],
    at: r.at as number,
    seals: JSON.parse(r.seals as string) as string[],
    reason: r.reason as string | null,
    by: r.by as string,
    byOrg: r.org as string | null,
    calibration: r.calibration as number | null,
    createdAt: r.created_at as number,
  };
}

/**
 * Designations, the correction state of calibration records, the seal register and traceability
 * anchors (migration 8). Shares the registry's connection; every change is audited in the
 * transaction that makes it.
 */
export class RecordsStore {
  private readonly s;

  constructor(
    private readonly db: Db,
    private readonly audit?: AuditLog,
  ) {
    this.s = {
      insertDesignation: db.prepare(
        `INSERT INTO designations (lab, decision, kinds, ranges, range_limits, valid_from, valid_until, created_by, created_at, updated_at)
         VALUES (@lab, @decision, @kinds, @ranges, @rangeLimits, @validFrom, @validUntil, @by, @now, @now)`,
      ),
      updateDesignation: db.prepare(
        `UPDATE designations SET lab = @lab, decision = @decision, kinds = @kinds, ranges = @ranges, range_limits = @rangeLimits, valid_from = @validFrom, valid_until = @validUntil,
           updated_at = @now WHERE id = @id`,
      ),
      withdrawDesignation: db.prepare('UPDATE designations SET withdrawn_at = @now, withdrawn_reason = @reason, updated_at = @now WHERE id = @id'),
      getDesignation: db.prepare('SELECT * FROM designations WHERE id = ?'),
      listDesignations: db.prepare('SELECT * FROM designations ORDER BY id'),
      listDesignationsOf: db.prepare('SELECT * FROM designations WHERE lab = ? ORDER BY id'),
      setStatus: db.prepare(
        'UPDATE calibrations SET status = @status, superseded_by = @supersededBy, status_reason = @reason, status_by = @by, status_at = @now WHERE id = @id',
      ),
      setAuthorship: db.prepare('UPDATE calibrations SET author = @author, supersedes = @supersedes, content = @content WHERE id = @id'),
      correction: db.prepare(
        'SELECT id, status, supersedes, superseded_by, status_reason, status_by, status_at, author, content FROM calibrations WHERE id = ?',
      ),
      insertSeal: db.prepare(
        `INSERT INTO seal_events (instrument, event, at, seals, reason, by, org, calibration, created_at)
         VALUES (@instrument, @event, @at, @seals, @reason, @by, @org, @calibration, @now)`,
      ),
      getSeal: db.prepare('SELECT * FROM seal_events WHERE id = ?'),
      // The current registration's register only (instrument-history.ts).
      listSeals: db.prepare(`SELECT * FROM seal_events WHERE instrument = ? AND created_at >= ${epochOf('seal_events.instrument')} ORDER BY at, id`),
      /** The latest break of each instrument not followed by a valid verification dated at or after it: [instrument, at, reason]. */
      unverifiedBreaks: db.prepare(
        `SELECT b.instrument, b.at, (SELECT reason FROM seal_events r WHERE r.instrument = b.instrument AND r.event = 'break' AND r.at = b.at ORDER BY r.id DESC LIMIT 1)
         FROM (SELECT instrument, max(at) AS at FROM seal_events WHERE event = 'break' AND created_at >= ${epochOf('seal_events.instrument')} GROUP BY instrument) b
         WHERE NOT EXISTS (SELECT 1 FROM calibrations c WHERE c.instrument = b.instrument AND c.type = 'verification' AND c.status = 'valid' AND c.date >= b.at)`,
      ),
      setAnchor: db.prepare('UPDATE reference_standards SET anchor = ? WHERE id = ?'),
      getAnchor: db.prepare('SELECT anchor FROM reference_standards WHERE id = ?'),
    };
  }

  // designations

  createDesignation(d: DesignationInput, by: string, now = Date.now()): Designation {
    return this.db
      .transaction(() => {
        const id = Number(this.s.insertDesignation.run({ ...row(d), by, now }).lastInsertRowid);
        const after = this.getDesignation(id)!;
        this.audit?.append('designation.create', `designation:${id}`, null, after, now);
        return after;
      })
      .immediate();
  }

  updateDesignation(id: number, d: DesignationInput, now = Date.now()): Designation | undefined {
    return this.db
      .transaction(() => {
        const before = this.getDesignation(id);
        if (!before) return undefined;
        this.s.updateDesignation.run({ ...row(d), id, now });
        const after = this.getDesignation(id)!;
        this.audit?.append('designation.update', `designation:${id}`, before, after, now);
        return after;
      })
      .immediate();
  }

  /** Withdraws a designation (it stays, dated): verifications recorded under it earlier keep naming it. */
  withdrawDesignation(id: number, reason: string | null, now = Date.now()): Designation | undefined {
    return this.db
      .transaction(() => {
        const before = this.getDesignation(id);
        if (!before) return undefined;
        this.s.withdrawDesignation.run({ id, reason, now });
        const after = this.getDesignation(id)!;
        this.audit?.append('designation.withdraw', `designation:${id}`, before, after, now);
        return after;
      })
      .immediate();
  }

  getDesignation(id: number): Designation | undefined {
    const r = this.s.getDesignation.get(id) as Row | undefined;
    return r && toDesignation(r);
  }

  listDesignations(filter: { lab?: string } = {}): Designation[] {
    const rows = (filter.lab === undefined ? this.s.listDesignations.all() : this.s.listDesignationsOf.all(filter.lab)) as Row[];
    return rows.map(toDesignation);
  }

  // calibration records: authorship, contents and corrections

  /** Sets who recorded a calibration record, what it supersedes and its legal contents (in the transaction that inserts it). */
  setAuthorship(id: number, a: { author: string; supersedes: number | null; content: Record<string, unknown> | null }): void {
    this.s.setAuthorship.run({ id, author: a.author, supersedes: a.supersedes, content: a.content ? JSON.stringify(a.content) : null });
  }

  /** A record's correction state and contents (the columns migration 8 added). */
  correction(id: number): CorrectionState | undefined {
    const r = this.s.correction.get(id) as Row | undefined;
    return (
      r && {
        status: r.status as RecordStatus,
        supersedes: r.supersedes as number | null,
        supersededBy: r.superseded_by as number | null,
        statusReason: r.status_reason as string | null,
        statusBy: r.status_by as string | null,
        statusAt: r.status_at as number | null,
        author: r.author as string | null,
        content: r.content ? (JSON.parse(r.content as string) as Record<string, unknown>) : null,
      }
    );
  }

  /** Marks a valid record voided or superseded, audited; false when it is not valid (already corrected). */
  setStatus(id: number, s: { status: Exclude<RecordStatus, 'valid'>; supersededBy: number | null; reason: string; by: string }, now = Date.now()): boolean {
    return this.db
      .transaction(() => {
        const before = this.correction(id);
        if (before?.status !== 'valid') return false;
        this.s.setStatus.run({ id, status: s.status, supersededBy: s.supersededBy, reason: s.reason, by: s.by, now });
        const { content: _c, ...after } = this.correction(id)!;
        this.audit?.append(s.status === 'voided' ? 'calibration.void' : 'calibration.supersede', `calibration:${id}`, { status: before.status }, after, now);
        return true;
      })
      .immediate();
  }

  // seal register

  addSealEvent(e: NewSealEvent, now = Date.now()): SealEvent {
    return this.db
      .transaction(() => {
        const id = Number(
          this.s.insertSeal.run({
            ...e,
            seals: JSON.stringify(e.seals),
            reason: e.reason,
            org: e.byOrg,
            calibration: e.calibration,
            now,
          }).lastInsertRowid,
        );
        const saved = toSeal(this.s.getSeal.get(id) as Row);
        this.audit?.append(e.event === 'break' ? 'seal.break' : 'seal.place', `instrument:${e.instrument}`, null, saved, now);
        return saved;
      })
      .immediate();
  }

  listSeals(instrument: string): SealEvent[] {
    return (this.s.listSeals.all(instrument) as Row[]).map(toSeal);
  }

  /** Seal breaks not followed by a valid verification (the periodic sweep): instrument → its latest break. */
  unverifiedBreaks(): Map<string, { at: number; reason: string | null }> {
    return new Map((this.s.unverifiedBreaks.raw(true).all() as Array<[string, number, string | null]>).map(([i, at, reason]) => [i, { at, reason }]));
  }

  // traceability anchors

  setAnchor(reference: string, anchor: TraceAnchor | null, now = Date.now()): void {
    this.db
      .transaction(() => {
        const before = this.anchor(reference);
        this.s.setAnchor.run(anchor ? JSON.stringify(anchor) : null, reference);
        if (JSON.stringify(before) !== JSON.stringify(anchor)) this.audit?.append('reference.anchor', `reference:${reference}`, before, anchor, now);
      })
      .immediate();
  }

  anchor(reference: string): TraceAnchor | null {
    const r = this.s.getAnchor.get(reference) as { anchor: string | null } | undefined;
    return r?.anchor ? (JSON.parse(r.anchor) as TraceAnchor) : null;
  }
}

export interface CorrectionState {
  status: RecordStatus;
  supersedes: number | null;
  supersededBy: number | null;
  statusReason: string | null;
  statusBy: string | null;
  statusAt: number | null;
  author: string | null;
  content: Record<string, unknown> | null;
}

const row = (d: DesignationInput) => ({
  lab: d.lab,
  decision: d.decision,
  kinds: JSON.stringify(d.kinds),
  ranges: d.ranges,
  rangeLimits: d.rangeLimits?.length ? JSON.stringify(d.rangeLimits) : null,
  validFrom: d.validFrom,
  validUntil: d.validUntil,
});
