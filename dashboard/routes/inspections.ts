import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { assertLocation, ID_PATTERN, MetronetError, Nullable, StringEnum } from '../../core/index.js';
import { VIOLATIONS, violation } from '../../core/legal/violations.js';
import { futureDateIssue } from '../../analytics/entry-rules.js';
import { CAMPAIGN_STATUSES, CAMPAIGN_SUBJECTS, VISIT_OUTCOMES, type Campaign, type InspectionStore, type Visit } from '../../store/index.js';
import type { DashboardDeps } from '../app.js';
import { seesVisit } from '../auth/tenant.js';
import { idempotencyKeyOf } from '../idempotency.js';
import {
  ATTACHMENT_HEADERS,
  ATTACHMENT_TYPES,
  AttachmentFiles,
  decodeAttachment,
  MAX_ATTACHMENTS_PER_VISIT,
  type AttachmentType,
} from '../inspections/attachments.js';
import { campaignProgress, campaignReport } from '../inspections/campaign-report.js';
import { DEFAULT_AGENCY, type Issuer } from '../reports/form.js';
import { FORM_MIME, renderForm, reportLanguage } from '../reports/render.js';
import { NumericIdParams } from '../schemas.js';

const E = { $ref: 'Error#' } as const;
const errors = { 400: E, 403: E, 404: E, 409: E };
const CommuneCode = Type.String({ pattern: '^[0-9]{5}$' });

const CampaignIn = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    subject: StringEnum(CAMPAIGN_SUBJECTS, { description: 'what is inspected: fuel retail, prepackaged goods producers, market scales' }),
    province: Nullable(Type.String({ pattern: '^[0-9]{2}$', description: 'province code (GET /admin-units)' })),
    communes: Type.Array(CommuneCode, { maxItems: 500, uniqueItems: true, description: 'commune codes covered; empty: the whole province' }),
    periodFrom: Type.Integer({ minimum: 0, maximum: 4_102_444_800_000 }),
    periodTo: Type.Integer({ minimum: 0, maximum: 4_102_444_800_000 }),
    team: Type.Array(Type.String({ pattern: ID_PATTERN }), { minItems: 1, maxItems: 50, uniqueItems: true, description: 'user ids of the inspectors' }),
    status: Type.Optional(StringEnum(CAMPAIGN_STATUSES)),
  },
  { additionalProperties: false },
);
const Progress = Type.Object({
  visits: Type.Integer(),
  done: Type.Integer(),
  withViolations: Type.Integer(),
  violations: Type.Integer(),
  followUpsOpen: Type.Integer(),
});
const CampaignView = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  subject: Type.String(),
  province: Nullable(Type.String()),
  communes: Type.Array(Type.String()),
  periodFrom: Type.Integer(),
  periodTo: Type.Integer(),
  team: Type.Array(Type.String()),
  status: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  progress: Progress,
});

const VisitIn = Type.Object(
  {
    org: Type.String({ pattern: ID_PATTERN, description: 'the inspected organisation' }),
    site: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    commune: Type.Optional(Nullable(CommuneCode)),
    inspector: Type.String({ pattern: ID_PATTERN, description: "an inspector on the campaign's team" }),
    plannedAt: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 4_102_444_800_000 }))),
  },
  { additionalProperties: false },
);
const RecordView = Type.Object({
  id: Type.Integer(),
  visit: Type.Integer(),
  visitedAt: Type.Integer(),
  inspected: Type.Array(Type.Object({ instrument: Type.Optional(Type.String()), product: Type.Optional(Type.String()), note: Type.Optional(Type.String()) })),
  findings: Nullable(Type.String()),
  violations: Type.Array(
    Type.Object({
      code: Type.String(),
      description: Nullable(Type.String()),
      instrument: Nullable(Type.String()),
      followUp: Nullable(Type.String()),
      followUpDue: Nullable(Type.Integer()),
    }),
  ),
  outcome: Type.String(),
  author: Type.String(),
  authorName: Nullable(Type.String()),
  status: Type.String(),
  supersedes: Nullable(Type.Integer()),
  supersededBy: Nullable(Type.Integer()),
  statusReason: Nullable(Type.String()),
  statusBy: Nullable(Type.String()),
  statusAt: Nullable(Type.Integer()),
  createdAt: Type.Integer(),
});
const VisitView = Type.Object({
  id: Type.Integer(),
  campaign: Type.Integer(),
  org: Type.String(),
  orgName: Nullable(Type.String()),
  site: Nullable(Type.String()),
  commune: Nullable(Type.String()),
  inspector: Type.String(),
  plannedAt: Nullable(Type.Integer()),
  createdBy: Type.String(),
  createdAt: Type.Integer(),
  /** The signed record in force, if any. */
  record: Nullable(RecordView),
  attachments: Type.Integer(),
});

const RecordIn = Type.Object(
  {
    visitedAt: Type.Integer({ minimum: 0, description: 'when the visit took place, epoch ms' }),
    inspected: Type.Array(
      Type.Object(
        {
          instrument: Type.Optional(Type.String({ pattern: ID_PATTERN })),
          product: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          note: Type.Optional(Type.String({ maxLength: 1000 })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 500 },
    ),
    findings: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
    violations: Type.Array(
      Type.Object(
        {
          code: Type.String({ minLength: 1, maxLength: 80, description: 'a code of GET /violations' }),
          description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
          instrument: Type.Optional(Nullable(Type.String({ pattern: ID_PATTERN }))),
          followUp: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
          followUpDue: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 4_102_444_800_000 }))),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100 },
    ),
    outcome: StringEnum(VISIT_OUTCOMES),
    supersedes: Type.Optional(Type.Integer({ minimum: 1, description: 'the record this one corrects (it must be the one in force)' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'why the record is corrected (required with supersedes)' })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' })),
  },
  { additionalProperties: false },
);

const AttachmentIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'the file name shown to people (never used as a path)' }),
    type: StringEnum(Object.keys(ATTACHMENT_TYPES) as [AttachmentType, ...AttachmentType[]]),
    data: Type.String({ minLength: 4, maxLength: Math.ceil((8 * 1024 * 1024 * 4) / 3) + 4, description: 'the file, base64' }),
  },
  { additionalProperties: false },
);
const AttachmentView = Type.Object({
  id: Type.Integer(),
  visit: Type.Integer(),
  name: Type.String(),
  type: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  uploadedBy: Type.String(),
  createdAt: Type.Integer(),
});
const ReportQuery = Type.Object({
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx'), Type.Literal('pdf')], { default: 'pdf' }),
  lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')])),
});

/**
 * State metrological inspections (issue 18; docs/inspections.md): the authority plans campaigns
 * and assigns visits to inspectors; the inspector assigned signs the visit's record (what was
 * inspected, findings, violations by the catalogue core/legal/violations.ts, outcome) and attaches
 * photos and scans; the authority follows progress and downloads the campaign report.
 * Who sees what is decided once, in dashboard/auth/tenant.ts (seesCampaign, seesVisit).
 */
export const inspectionRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const store: InspectionStore = deps.registry.inspections;
  const now = deps.now ?? Date.now;
  const files = deps.attachmentsDir ? new AttachmentFiles(deps.attachmentsDir) : null;

  const campaignView = (c: Campaign) => ({ ...c, progress: campaignProgress(store, c.id) });
  const visitView = (v: Visit) => ({
    ...v,
    orgName: deps.registry.getOrg(v.org)?.name ?? null,
    record: store.validRecord(v.id) ?? null,
    attachments: store.listAttachments(v.id).length,
  });

  const checkedCampaign = (b: Static<typeof CampaignIn>) => {
    if (b.periodTo < b.periodFrom) {
      throw new MetronetError(
        'E_BAD_REQUEST',
        { en: 'periodTo is before periodFrom', vi: 'Ngày kết thúc đợt kiểm tra trước ngày bắt đầu.' },
        { field: 'periodTo', rule: 'after-periodFrom', value: b.periodTo },
      );
    }
    if (b.communes.length && b.province === null) {
      throw new MetronetError(
        'E_BAD_REQUEST',
        { en: 'communes are given without their province', vi: 'Đã chọn xã, phường nhưng thiếu tỉnh, thành phố.' },
        { field: 'province', rule: 'communeNeedsProvince', value: null },
      );
    }
    if (b.province !== null) assertLocation({ province: b.province, commune: null });
    b.communes.forEach((c, i) => assertLocation({ province: b.province, commune: c }, `communes[${i}].`));
    b.team.forEach((u, i) => {
      if (deps.registry.identity.getUser(u)?.role !== 'inspector') {
        throw new MetronetError(
          'E_BAD_REQUEST',
          { en: `team[${i}] "${u}" is not an inspector user`, vi: `Thành viên đoàn thứ ${i + 1} "${u}" không phải là tài khoản kiểm tra viên.` },
          { field: `team[${i}]`, rule: 'inspector', value: u },
        );
      }
    });
    return {
      title: b.title,
      subject: b.subject,
      province: b.province,
      communes: b.communes,
      periodFrom: b.periodFrom,
      periodTo: b.periodTo,
      team: b.team,
      ...(b.status ? { status: b.status } : {}),
    };
  };
  const campaignOf = (id: number) => store.getCampaign(id)!; // the auth hook found it (resource 'campaign')
  const visitOf = (id: number) => store.getVisit(id)!; // likewise (resource 'visit')

  app.get(
    '/violations',
    { schema: { tags: ['inspections'], summary: 'The catalogue of violations an inspector records, each with its legal source' } },
    async () => ({ items: VIOLATIONS }),
  );

  app.get(
    '/campaigns',
    {
      schema: {
        tags: ['inspections'],
        summary: 'Inspection campaigns (an inspector: those it works on)',
        response: { 200: Type.Object({ items: Type.Array(CampaignView) }) },
      },
    },
    async (req) => {
      const p = req.principal!;
      const items = p.role === 'inspector' ? store.listCampaigns({ inspector: p.user }).concat(teamOnly(store, p.user)) : store.listCampaigns();
      return { items: dedupe(items).map(campaignView) };
    },
  );

  app.post(
    '/campaigns',
    { schema: { tags: ['inspections'], summary: 'Plan an inspection campaign (authority)', body: CampaignIn, response: { 201: CampaignView, ...errors } } },
    async (req, reply) => reply.status(201).send(campaignView(store.createCampaign(checkedCampaign(req.body), req.principal!.user, now()))),
  );

  app.get(
    '/campaigns/:id',
    { schema: { tags: ['inspections'], summary: 'A campaign and its progress', params: NumericIdParams, response: { 200: CampaignView, 404: E } } },
    async (req) => campaignView(campaignOf(req.params.id)),
  );

  app.put(
    '/campaigns/:id',
    {
      schema: {
        tags: ['inspections'],
        summary: 'Change a campaign (authority; audited)',
        params: NumericIdParams,
        body: CampaignIn,
        response: { 200: CampaignView, ...errors },
      },
    },
    async (req) => campaignView(store.updateCampaign(req.params.id, checkedCampaign(req.body), now())!),
  );

  app.get(
    '/campaigns/:id/visits',
    {
      schema: {
        tags: ['inspections'],
        summary: "A campaign's visits (an inspector: its own)",
        params: NumericIdParams,
        response: { 200: Type.Object({ items: Type.Array(VisitView) }), 404: E },
      },
    },
    async (req) => ({
      items: store
        .listVisits({ campaign: req.params.id })
        .filter((v) => seesVisit(req.principal!, v))
        .map(visitView),
    }),
  );

  app.post(
    '/campaigns/:id/visits',
    {
      schema: {
        tags: ['inspections'],
        summary: 'Assign a visit to an inspector of the team (authority)',
        params: NumericIdParams,
        body: VisitIn,
        response: { 201: VisitView, ...errors },
      },
    },
    async (req, reply) => {
      const c = campaignOf(req.params.id);
      const b = req.body;
      if (!deps.registry.getOrg(b.org)) {
        throw new MetronetError(
          'E_BAD_REQUEST',
          { en: `organisation "${b.org}" is not registered`, vi: `Tổ chức "${b.org}" chưa có trong cơ sở dữ liệu.` },
          { field: 'org', rule: 'registered', value: b.org },
        );
      }
      if (!c.team.includes(b.inspector)) {
        throw new MetronetError(
          'E_BAD_REQUEST',
          { en: `"${b.inspector}" is not on the campaign's team`, vi: `"${b.inspector}" không thuộc đoàn kiểm tra của đợt này.` },
          { field: 'inspector', rule: 'team', value: b.inspector },
        );
      }
      if (b.commune != null) assertLocation({ province: c.province, commune: b.commune }, '');
      if (c.status === 'closed') throw closedCampaign(c.id);
      const v = store.addVisit(
        c.id,
        { org: b.org, site: b.site ?? null, commune: b.commune ?? null, inspector: b.inspector, plannedAt: b.plannedAt ?? null },
        req.principal!.user,
        now(),
      );
      return reply.status(201).send(visitView(v));
    },
  );

  app.get(
    '/campaigns/:id/report',
    {
      schema: {
        tags: ['inspections'],
        summary: 'The campaign report in official form: visits, violations by kind, follow-ups (CSV, XLSX, PDF)',
        params: NumericIdParams,
        querystring: ReportQuery,
        response: { 400: E, 404: E },
      },
    },
    async (req, reply) => {
      const c = campaignOf(req.params.id);
      const t = now();
      const lang = reportLanguage(req.query.lang, req.headers['accept-language']);
      const form = campaignReport(deps.registry, c, t);
      const issuer: Issuer = { agency: DEFAULT_AGENCY, ...deps.reports };
      reply.header('content-disposition', `attachment; filename="metronet-campaign-${c.id}.${req.query.format}"`);
      return reply.type(FORM_MIME[req.query.format]).send(await renderForm(form, req.query.format, lang, issuer, t));
    },
  );

  app.get(
    '/visits',
    {
      schema: {
        tags: ['inspections'],
        summary: 'Visits: an inspector its assigned ones; an enterprise those to it; the authority all',
        response: { 200: Type.Object({ items: Type.Array(VisitView) }) },
      },
    },
    async (req) => {
      const p = req.principal!;
      const visits =
        p.role === 'inspector'
          ? store.listVisits({ inspector: p.user })
          : store
              .listCampaigns()
              .flatMap((c) => store.listVisits({ campaign: c.id }))
              .filter((v) => seesVisit(p, v));
      return { items: visits.map(visitView) };
    },
  );

  app.get(
    '/visits/:id',
    { schema: { tags: ['inspections'], summary: 'A visit and its record in force', params: NumericIdParams, response: { 200: VisitView, 404: E } } },
    async (req) => visitView(visitOf(req.params.id)),
  );

  app.get(
    '/visits/:id/records',
    {
      schema: {
        tags: ['inspections'],
        summary: 'Every signed record of a visit, corrections included, oldest first',
        params: NumericIdParams,
        response: { 200: Type.Object({ items: Type.Array(RecordView) }), 404: E },
      },
    },
    async (req) => ({ items: store.listRecords(req.params.id) }),
  );

  app.post(
    '/visits/:id/records',
    {
      schema: {
        tags: ['inspections'],
        summary:
          'Sign the record of a visit (the inspector assigned): what was inspected, findings, violations, outcome. A correction names the record it supersedes and why. An Idempotency-Key makes a repeat (an offline phone sending again) change nothing.',
        params: NumericIdParams,
        body: RecordIn,
        response: { 200: RecordView, 201: RecordView, ...errors },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const v = visitOf(req.params.id);
      if (v.inspector !== p.user) throw notAssigned(v.id);
      const b = req.body;
      const future = futureDateIssue(b.visitedAt, now(), { maxFutureMinutes: 5 }, 'visitedAt');
      if (future) throw MetronetError.fromIssue(future);
      b.violations.forEach((x, i) => {
        if (!violation(x.code)) {
          throw new MetronetError(
            'E_BAD_REQUEST',
            {
              en: `violations[${i}].code "${x.code}" is not in the catalogue (GET /violations)`,
              vi: `Mã vi phạm thứ ${i + 1} "${x.code}" không có trong danh mục vi phạm.`,
            },
            { field: `violations[${i}].code`, rule: 'catalogue', value: x.code },
          );
        }
      });
      if ((b.outcome === 'violations') !== b.violations.length > 0) {
        throw new MetronetError(
          'E_BAD_REQUEST',
          {
            en: 'outcome "violations" goes with at least one violation, and only then',
            vi: 'Kết luận "có vi phạm" phải kèm ít nhất một vi phạm, và ngược lại.',
          },
          { field: 'outcome', rule: 'matches-violations', value: b.outcome },
        );
      }
      // A repeat (a phone sending its queue again after the network came back) changes nothing.
      const key = idempotencyKeyOf(req.headers['idempotency-key'], b.idempotencyKey) ?? null;
      const prior = key ? store.recordByKey(key) : undefined;
      if (prior && prior.visit === v.id) return reply.status(200).send(prior);
      if (prior) {
        throw new MetronetError(
          'E_IDEMPOTENCY_MISMATCH',
          { en: 'the idempotency key was used before for another visit', vi: 'Khóa chống gửi trùng đã được dùng cho một cuộc kiểm tra khác.' },
          { field: 'Idempotency-Key', rule: 'same-submission', value: key },
        );
      }
      const current = store.validRecord(v.id);
      let supersedes: { id: number; reason: string } | undefined;
      if (b.supersedes !== undefined) {
        if (!current || current.id !== b.supersedes) {
          throw new MetronetError(
            'E_CONFLICT',
            {
              en: `record ${b.supersedes} is not the record in force of visit ${v.id}${current ? ` (record ${current.id} is)` : ''}`,
              vi: `Biên bản ${b.supersedes} không phải là biên bản đang có hiệu lực của cuộc kiểm tra ${v.id}${current ? ` (biên bản ${current.id} mới là)` : ''}.`,
            },
            { field: 'supersedes', rule: 'in-force', value: b.supersedes },
          );
        }
        if (!b.reason) {
          throw new MetronetError(
            'E_BAD_REQUEST',
            { en: 'a correction needs its reason', vi: 'Sửa biên bản phải ghi lý do.' },
            { field: 'reason', rule: 'required', value: null },
          );
        }
        supersedes = { id: current.id, reason: b.reason };
      } else if (current) {
        throw new MetronetError(
          'E_CONFLICT',
          {
            en: `visit ${v.id} already has a signed record (${current.id}); a correction supersedes it with a reason`,
            vi: `Cuộc kiểm tra ${v.id} đã có biên bản (${current.id}); muốn sửa phải lập biên bản thay thế và ghi lý do.`,
          },
          { field: 'supersedes', rule: 'one-record', value: current.id },
        );
      }
      const user = deps.registry.identity.getUser(p.user);
      const { record, repeated } = store.signRecord(
        v.id,
        { visitedAt: b.visitedAt, inspected: b.inspected, findings: b.findings ?? null, violations: b.violations.map(normalised), outcome: b.outcome },
        { author: p.user, authorName: user?.name ?? null, idempotencyKey: key, ...(supersedes ? { supersedes } : {}) },
        now(),
      );
      return reply.status(repeated ? 200 : 201).send(record);
    },
  );

  app.get(
    '/visits/:id/attachments',
    {
      schema: {
        tags: ['inspections'],
        summary: 'Files attached to a visit',
        params: NumericIdParams,
        response: { 200: Type.Object({ items: Type.Array(AttachmentView) }), 404: E },
      },
    },
    async (req) => ({ items: store.listAttachments(req.params.id) }),
  );

  app.post(
    '/visits/:id/attachments',
    {
      // A phone photo of 8 MiB is ≈ 11.2 MB of base64.
      bodyLimit: 12 * 1024 * 1024,
      schema: {
        tags: ['inspections'],
        summary: 'Attach a photo or scan to a visit (the inspector assigned): JPEG, PNG or PDF, at most 8 MiB, as base64 in JSON',
        params: NumericIdParams,
        body: AttachmentIn,
        response: { 201: AttachmentView, ...errors, 413: E },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const v = visitOf(req.params.id);
      if (v.inspector !== p.user) throw notAssigned(v.id);
      if (!files)
        throw new MetronetError('E_STORE_UNAVAILABLE', {
          en: 'attachments are not configured on this dashboard',
          vi: 'Máy chủ chưa được cấu hình nơi lưu tệp đính kèm.',
        });
      if (store.listAttachments(v.id).length >= MAX_ATTACHMENTS_PER_VISIT) {
        throw new MetronetError(
          'E_LIMIT_REACHED',
          {
            en: `a visit holds at most ${MAX_ATTACHMENTS_PER_VISIT} files`,
            vi: `Mỗi cuộc kiểm tra chỉ được đính kèm tối đa ${MAX_ATTACHMENTS_PER_VISIT} tệp.`,
          },
          { field: 'data', rule: 'maxAttachments', value: MAX_ATTACHMENTS_PER_VISIT },
        );
      }
      const bytes = decodeAttachment(req.body.type, req.body.data);
      const sha256 = files.put(bytes);
      const a = store.addAttachment({ visit: v.id, name: req.body.name, type: req.body.type, size: bytes.length, sha256, uploadedBy: p.user }, now());
      return reply.status(201).send(a);
    },
  );

  app.get(
    '/visits/:id/attachments/:attachment',
    {
      schema: {
        tags: ['inspections'],
        summary: 'Download an attached file (always as a download, never shown inline)',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }), attachment: Type.Integer({ minimum: 1 }) }),
        response: { 404: E },
      },
    },
    async (req, reply) => {
      const a = store.getAttachment(req.params.attachment);
      if (!a || a.visit !== req.params.id || !files) {
        throw new MetronetError(
          'E_NOT_FOUND',
          { en: `attachment ${req.params.attachment} does not exist`, vi: `Không có tệp đính kèm ${req.params.attachment}.` },
          { field: 'attachment', value: req.params.attachment },
        );
      }
      const ext = ATTACHMENT_TYPES[a.type as AttachmentType]?.ext ?? 'bin';
      reply.headers({
        ...ATTACHMENT_HEADERS,
        'content-disposition': `attachment; filename="visit-${a.visit}-${a.id}.${ext}"; filename*=UTF-8''${encodeURIComponent(a.name)}`,
      });
      return reply.type(a.type).send(files.get(a.sha256));
    },
  );
};

/** Campaigns an inspector is on the team of but has no visit in yet. */
const teamOnly = (store: InspectionStore, user: string) => store.listCampaigns().filter((c) => c.team.includes(user));
const dedupe = (cs: Campaign[]) => [...new Map(cs.map((c) => [c.id, c])).values()].sort((a, b) => b.periodFrom - a.periodFrom || b.id - a.id);
const normalised = (x: { code: string; description?: string | null; instrument?: string | null; followUp?: string | null; followUpDue?: number | null }) => ({
  code: x.code,
  description: x.description ?? null,
  instrument: x.instrument ?? null,
  followUp: x.followUp ?? null,
  followUpDue: x.followUpDue ?? null,
});

function notAssigned(visit: number): MetronetError {
  return new MetronetError(
    'E_FORBIDDEN',
    {
      en: `visit ${visit} is assigned to another inspector; only the inspector assigned signs its record`,
      vi: `Cuộc kiểm tra ${visit} được giao cho kiểm tra viên khác; chỉ người được giao mới ký biên bản.`,
    },
    { field: 'id', rule: 'assigned-inspector', value: visit },
  );
}

function closedCampaign(id: number): MetronetError {
  return new MetronetError(
    'E_CONFLICT',
    { en: `campaign ${id} is closed; reopen it to add visits`, vi: `Đợt kiểm tra ${id} đã kết thúc; mở lại đợt để thêm cuộc kiểm tra.` },
    { field: 'id', rule: 'open-campaign', value: id },
  );
}
