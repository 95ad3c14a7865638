import type { AuditLog } from './audit.js';
import type { Db, Migration } from './sqlite.js';

/**
 * State metrological inspections (kiểm tra nhà nước về đo lường; Law on Metrology 04/2011/QH13
 * Art. 49–50; docs/inspections.md): the authority plans campaigns, assigns visits to inspectors,
 * and each visit ends in a signed record of what was inspected, the findings and the violations,
 * with attachments (photos, scans).
 *
 * A visit record follows the record rules of docs/legal-records.md: its author is the signed-in
 * inspector, never a typed name; a record is never edited — a correction supersedes it with a
 * reason, and both stay; every change is in the audit chain in the transaction that makes it.
 */
export const CAMPAIGN_SUBJECTS = ['fuel_retail', 'prepackaged', 'market_scales'] as const;
export type CampaignSubject = (typeof CAMPAIGN_SUBJECTS)[number];
export const CAMPAIGN_STATUSES = ['planned', 'in_progress', 'closed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
export const VISIT_OUTCOMES = ['compliant', 'violations', 'not_inspected'] as const;
export type VisitOutcome = (typeof VISIT_OUTCOMES)[number];

/**
 * Registry migration 13. `users` is rebuilt (SQLite cannot alter a CHECK constraint) to admit the
 * role `inspector`: the documented twelve-step procedure, with foreign keys off around it
 * (`rebuildsTables`) so that dropping the old table does not cascade to the tokens.
 */
export const INSPECTIONS_MIGRATION: Migration = {
  id: 13,
  name: 'inspection campaigns, visits, visit records, attachments; the inspector role',
  rebuildsTables: true,
  sql: `
    CREATE TABLE users_new (
      id TEXT PRIMARY KEY,
      name TEXT,
      role TEXT NOT NULL CHECK (role IN ('admin', 'authority', 'lab', 'enterprise', 'inspector')),
      org TEXT,
      password TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    ) STRICT;
    INSERT INTO users_new (id, name, role, org, password, disabled, created_at) SELECT id, name, role, org, password, disabled, created_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;

    CREATE TABLE campaigns (
      id INTEGER PRIMARY KEY,
      title TEXT NOT NULL,
      subject TEXT NOT NULL CHECK (subject IN ('fuel_retail', 'prepackaged', 'market_scales')),
      province TEXT,
      communes TEXT NOT NULL,
      period_from INTEGER NOT NULL,
      period_to INTEGER NOT NULL,
      team TEXT NOT NULL,
      status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'closed')),
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE visits (
      id INTEGER PRIMARY KEY,
      campaign INTEGER NOT NULL REFERENCES campaigns (id),
      org TEXT NOT NULL,
      site TEXT,
      commune TEXT,
      inspector TEXT NOT NULL,
      planned_at INTEGER,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX visits_campaign ON visits (campaign, id);
    CREATE INDEX visits_inspector ON visits (inspector, id);

    CREATE TABLE visit_records (
      id INTEGER PRIMARY KEY,
      visit INTEGER NOT NULL REFERENCES visits (id),
      visited_at INTEGER NOT NULL,
      inspected TEXT NOT NULL,
      findings TEXT,
      violations TEXT NOT NULL,
      outcome TEXT NOT NULL CHECK (outcome IN ('compliant', 'violations', 'not_inspected')),
      author TEXT NOT NULL,
      author_name TEXT,
      idempotency_key TEXT UNIQUE,
      status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'superseded', 'voided')),
      supersedes INTEGER,
      superseded_by INTEGER,
      status_reason TEXT,
      status_by TEXT,
      status_at INTEGER,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX visit_records_visit ON visit_records (visit, id);
    CREATE UNIQUE INDEX visit_records_one_valid ON visit_records (visit) WHERE status = 'valid';

    CREATE TABLE visit_attachments (
      id INTEGER PRIMARY KEY,
      visit INTEGER NOT NULL REFERENCES visits (id),
      name TEXT NOT NULL,
      type TEXT NOT NULL,
      size INTEGER NOT NULL,
      sha256 TEXT NOT NULL,
      uploaded_by TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX visit_attachments_visit ON visit_attachments (visit, id);
  `,
};

export interface Campaign {
  id: number;
  title: string;
  subject: CampaignSubject;
  /** Province code (core/admin-units.ts) of the campaign; its communes below. */
  province: string | null;
  /** Commune codes the campaign covers (empty: the whole province). */
  communes: string[];
  periodFrom: number;
  periodTo: number;
  /** User ids of the inspectors on the team. */
  team: string[];
  status: CampaignStatus;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}
export type CampaignInput = Pick<Campaign, 'title' | 'subject' | 'province' | 'communes' | 'periodFrom' | 'periodTo' | 'team'> & {
  status?: CampaignStatus;
};

export interface Visit {
  id: number;
  campaign: number;
  /** The inspected organisation (the subject). */
  org: string;
  /** The site visited (a station, stall or production site), as the plan names it. */
  site: string | null;
  commune: string | null;
  /** The inspector assigned (a user of role inspector on the campaign's team). */
  inspector: string;
  plannedAt: number | null;
  createdBy: string;
  createdAt: number;
}
export type VisitInput = Pick<Visit, 'org' | 'site' | 'commune' | 'inspector' | 'plannedAt'>;

/** One violation found at a visit: the catalogue entry (core/legal/violations.ts) and what was seen. */
export interface FoundViolation {
  code: string;
  description: string | null;
  instrument: string | null;
  /** What the subject must do and by when (epoch ms), if the inspector set a follow-up. */
  followUp: string | null;
  followUpDue: number | null;
}

/** What was inspected at a visit: an instrument, a product lot or a document. */
export interface InspectedItem {
  instrument?: string;
  product?: string;
  note?: string;
}

export type VisitRecordStatus = 'valid' | 'superseded' | 'voided';

export interface VisitRecord {
  id: number;
  visit: number;
  visitedAt: number;
  inspected: InspectedItem[];
  findings: string | null;
  violations: FoundViolation[];
  outcome: VisitOutcome;
  /** The signed-in principal who signed the record (the inspector's signature). */
  author: string;
  authorName: string | null;
  status: VisitRecordStatus;
  supersedes: number | null;
  supersededBy: number | null;
  statusReason: string | null;
  statusBy: string | null;
  statusAt: number | null;
  createdAt: number;
}
export type VisitRecordInput = Pick<VisitRecord, 'visitedAt' | 'inspected' | 'findings' | 'violations' | 'outcome'>;

export interface Attachment {
  id: number;
  visit: number;
  name: string;
  type: string;
  size: number;
  sha256: string;
  uploadedBy: string;
  createdAt: number;
}

type Row = Record<string, unknown>;
const json = <T>(v: unknown): T => JSON.parse(v as string) as T;

const toCampaign = (r: Row): Campaign => ({
  id: r.id as number,
  title: r.title as string,
  subject: r.subject as CampaignSubject,
  province: r.province as string | null,
  communes: json<string[]>(r.communes),
  periodFrom: r.period_from as number,
  periodTo: r.period_to as number,
  team: json<string[]>(r.team),
  status: r.status as CampaignStatus,
  createdBy: r.created_by as string,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

const toVisit = (r: Row): Visit => ({
  id: r.id as number,
  campaign: r.campaign as number,
  org: r.org as string,
  site: r.site as string | null,
  commune: r.commune as string | null,
  inspector: r.inspector as string,
  plannedAt: r.planned_at as number | null,
  createdBy: r.created_by as string,
  createdAt: r.created_at as number,
});

const toRecord = (r: Row): VisitRecord => ({
  id: r.id as number,
  visit: r.visit as number,
  visitedAt: r.visited_at as number,
  inspected: json<InspectedItem[]>(r.inspected),
  findings: r.findings as string | null,
  violations: json<FoundViolation[]>(r.violations),
  outcome: r.outcome as VisitOutcome,
  author: r.author as string,
  authorName: r.author_name as string | null,
  status: r.status as VisitRecordStatus,
  supersedes: r.supersedes as number | null,
  supersededBy: r.superseded_by as number | null,
  statusReason: r.status_reason as string | null,
  statusBy: r.status_by as string | null,
  statusAt: r.status_at as number | null,
  createdAt: r.created_at as number,
});

const toAttachment = (r: Row): Attachment => ({
  id: r.id as number,
  visit: r.visit as number,
  name: r.name as string,
  type: r.type as string,
  size: r.size as number,
  sha256: r.sha256 as string,
  uploadedBy: r.uploaded_by as string,
  createdAt: r.created_at as number,
});

/** Campaigns, visits, signed visit records and attachment metadata (migration 13); audited. */
export class InspectionStore {
  private readonly s;

  constructor(
    private readonly db: Db,
    private readonly audit?: AuditLog,
  ) {
    this.s = {
      insertCampaign: db.prepare(
        `INSERT INTO campaigns (title, subject, province, communes, period_from, period_to, team, status, created_by, created_at, updated_at)
         VALUES (@title, @subject, @province, @communes, @periodFrom, @periodTo, @team, @status, @by, @now, @now)`,
      ),
      updateCampaign: db.prepare(
        `UPDATE campaigns SET title = @title, subject = @subject, province = @province, communes = @communes, period_from = @periodFrom,
           period_to = @periodTo, team = @team, status = @status, updated_at = @now WHERE id = @id`,
      ),
      getCampaign: db.prepare('SELECT * FROM campaigns WHERE id = ?'),
      listCampaigns: db.prepare('SELECT * FROM campaigns ORDER BY period_from DESC, id DESC'),
      campaignsOf: db.prepare('SELECT * FROM campaigns WHERE id IN (SELECT campaign FROM visits WHERE inspector = ?) ORDER BY period_from DESC, id DESC'),
      insertVisit: db.prepare(
        `INSERT INTO visits (campaign, org, site, commune, inspector, planned_at, created_by, created_at)
         VALUES (@campaign, @org, @site, @commune, @inspector, @plannedAt, @by, @now)`,
      ),
      getVisit: db.prepare('SELECT * FROM visits WHERE id = ?'),
      visitsOfCampaign: db.prepare('SELECT * FROM visits WHERE campaign = ? ORDER BY id'),
      visitsOfInspector: db.prepare('SELECT * FROM visits WHERE inspector = ? ORDER BY id'),
      subjectsOf: db.prepare('SELECT DISTINCT org FROM visits WHERE inspector = ?'),
      insertRecord: db.prepare(
        `INSERT INTO visit_records (visit, visited_at, inspected, findings, violations, outcome, author, author_name, idempotency_key, supersedes, created_at)
         VALUES (@visit, @visitedAt, @inspected, @findings, @violations, @outcome, @author, @authorName, @key, @supersedes, @now)`,
      ),
      getRecord: db.prepare('SELECT * FROM visit_records WHERE id = ?'),
      recordByKey: db.prepare('SELECT * FROM visit_records WHERE idempotency_key = ?'),
      recordsOfVisit: db.prepare('SELECT * FROM visit_records WHERE visit = ? ORDER BY id'),
      validRecord: db.prepare("SELECT * FROM visit_records WHERE visit = ? AND status = 'valid'"),
      validRecordsOfCampaign: db.prepare(
        "SELECT r.* FROM visit_records r JOIN visits v ON v.id = r.visit WHERE v.campaign = ? AND r.status = 'valid' ORDER BY r.visit",
      ),
      setStatus: db.prepare(
        'UPDATE visit_records SET status = @status, superseded_by = @supersededBy, status_reason = @reason, status_by = @by, status_at = @now WHERE id = @id',
      ),
      linkSuperseded: db.prepare('UPDATE visit_records SET superseded_by = ? WHERE id = ?'),
      insertAttachment: db.prepare(
        `INSERT INTO visit_attachments (visit, name, type, size, sha256, uploaded_by, created_at)
         VALUES (@visit, @name, @type, @size, @sha256, @uploadedBy, @now)`,
      ),
      getAttachment: db.prepare('SELECT * FROM visit_attachments WHERE id = ?'),
      attachmentsOf: db.prepare('SELECT * FROM visit_attachments WHERE visit = ? ORDER BY id'),
    };
  }

  // campaigns

  createCampaign(c: CampaignInput, by: string, now = Date.now()): Campaign {
    return this.db
      .transaction(() => {
        const id = Number(this.s.insertCampaign.run({ ...campaignRow(c), status: c.status ?? 'planned', by, now }).lastInsertRowid);
        const after = this.getCampaign(id)!;
        this.audit?.append('campaign.create', `campaign:${id}`, null, after, now);
        return after;
      })
      .immediate();
  }

  updateCampaign(id: number, c: CampaignInput, now = Date.now()): Campaign | undefined {
    return this.db
      .transaction(() => {
        const before = this.getCampaign(id);
        if (!before) return undefined;
        this.s.updateCampaign.run({ ...campaignRow(c), status: c.status ?? before.status, id, now });
        const after = this.getCampaign(id)!;
        this.audit?.append('campaign.update', `campaign:${id}`, before, after, now);
        return after;
      })
      .immediate();
  }

  getCampaign(id: number): Campaign | undefined {
    const r = this.s.getCampaign.get(id) as Row | undefined;
    return r && toCampaign(r);
  }

  /** Every campaign, or those in which `inspector` has a visit. */
  listCampaigns(filter: { inspector?: string } = {}): Campaign[] {
    const rows = (filter.inspector === undefined ? this.s.listCampaigns.all() : this.s.campaignsOf.all(filter.inspector)) as Row[];
    return rows.map(toCampaign);
  }

  // visits

  addVisit(campaign: number, v: VisitInput, by: string, now = Date.now()): Visit {
    return this.db
      .transaction(() => {
        const id = Number(this.s.insertVisit.run({ campaign, ...v, by, now }).lastInsertRowid);
        const after = this.getVisit(id)!;
        this.audit?.append('visit.assign', `visit:${id}`, null, after, now);
        return after;
      })
      .immediate();
  }

  getVisit(id: number): Visit | undefined {
    const r = this.s.getVisit.get(id) as Row | undefined;
    return r && toVisit(r);
  }

  listVisits(filter: { campaign: number } | { inspector: string }): Visit[] {
    const rows = ('campaign' in filter ? this.s.visitsOfCampaign.all(filter.campaign) : this.s.visitsOfInspector.all(filter.inspector)) as Row[];
    return rows.map(toVisit);
  }

  /** The organisations an inspector has visits at: what the inspector may see (dashboard/auth/tenant.ts). */
  subjectsOf(inspector: string): Set<string> {
    return new Set((this.s.subjectsOf.raw(true).all(inspector) as Array<[string]>).map(([o]) => o));
  }

  // signed visit records

  /**
   * Stores a signed visit record; with `supersedes`, the record it corrects is marked superseded
   * (with the reason) in the same transaction. A repeat under the same idempotency key returns the
   * first record (`repeated: true`) and stores nothing.
   */
  signRecord(
    visit: number,
    r: VisitRecordInput,
    sig: { author: string; authorName: string | null; idempotencyKey: string | null; supersedes?: { id: number; reason: string } },
    now = Date.now(),
  ): { record: VisitRecord; repeated: boolean } {
    return this.db
      .transaction(() => {
        if (sig.idempotencyKey) {
          const prior = this.s.recordByKey.get(sig.idempotencyKey) as Row | undefined;
          if (prior) return { record: toRecord(prior), repeated: true };
        }
        if (sig.supersedes) {
          const old = this.getRecord(sig.supersedes.id);
          // the caller checked it is this visit's valid record; mark it before the new one takes the one valid slot
          this.s.setStatus.run({ id: old!.id, status: 'superseded', supersededBy: null, reason: sig.supersedes.reason, by: sig.author, now });
        }
        const id = Number(
          this.s.insertRecord.run({
            visit,
            visitedAt: r.visitedAt,
            inspected: JSON.stringify(r.inspected),
            findings: r.findings,
            violations: JSON.stringify(r.violations),
            outcome: r.outcome,
            author: sig.author,
            authorName: sig.authorName,
            key: sig.idempotencyKey,
            supersedes: sig.supersedes?.id ?? null,
            now,
          }).lastInsertRowid,
        );
        if (sig.supersedes) {
          this.s.linkSuperseded.run(id, sig.supersedes.id);
          this.audit?.append('visit.record.supersede', `visit:${visit}`, { record: sig.supersedes.id }, { record: id, reason: sig.supersedes.reason }, now);
        }
        const record = this.getRecord(id)!;
        this.audit?.append('visit.record.sign', `visit:${visit}`, null, record, now);
        return { record, repeated: false };
      })
      .immediate();
  }

  getRecord(id: number): VisitRecord | undefined {
    const r = this.s.getRecord.get(id) as Row | undefined;
    return r && toRecord(r);
  }

  /** The record stored under an idempotency key, if any. */
  recordByKey(key: string): VisitRecord | undefined {
    const r = this.s.recordByKey.get(key) as Row | undefined;
    return r && toRecord(r);
  }

  /** Every record of a visit, corrections included, oldest first. */
  listRecords(visit: number): VisitRecord[] {
    return (this.s.recordsOfVisit.all(visit) as Row[]).map(toRecord);
  }

  /** The visit's record in force, if it was signed. */
  validRecord(visit: number): VisitRecord | undefined {
    const r = this.s.validRecord.get(visit) as Row | undefined;
    return r && toRecord(r);
  }

  /** The records in force of a campaign's visits (for progress and the campaign report). */
  validRecordsOfCampaign(campaign: number): VisitRecord[] {
    return (this.s.validRecordsOfCampaign.all(campaign) as Row[]).map(toRecord);
  }

  // attachments (metadata; the bytes are files under the data folder: dashboard/inspections/attachments.ts)

  addAttachment(a: Omit<Attachment, 'id' | 'createdAt'>, now = Date.now()): Attachment {
    return this.db
      .transaction(() => {
        const id = Number(this.s.insertAttachment.run({ ...a, now }).lastInsertRowid);
        const after = this.getAttachment(id)!;
        this.audit?.append('visit.attach', `visit:${a.visit}`, null, after, now);
        return after;
      })
      .immediate();
  }

  getAttachment(id: number): Attachment | undefined {
    const r = this.s.getAttachment.get(id) as Row | undefined;
    return r && toAttachment(r);
  }

  listAttachments(visit: number): Attachment[] {
    return (this.s.attachmentsOf.all(visit) as Row[]).map(toAttachment);
  }
}

const campaignRow = (c: CampaignInput) => ({
  title: c.title,
  subject: c.subject,
  province: c.province,
  communes: JSON.stringify(c.communes),
  periodFrom: c.periodFrom,
  periodTo: c.periodTo,
  team: JSON.stringify(c.team),
});
