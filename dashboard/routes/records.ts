import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, INSTRUMENT_KINDS, MetronetError, Nullable, R117_CLASSES, R76_CLASSES, StringEnum } from '../../core/index.js';
import { RANGE_UNITS } from '../../analytics/authority.js';
import type { Designation } from '../../store/index.js';
import { IdParams, NumericIdParams } from '../schemas.js';
import type { DashboardDeps } from '../app.js';
import { mustFindInstrument } from '../lookups.js';
import { writerOf } from './calibrations.js';

/** The schemas of this resource (STYLE.md 4: one schema, in the route's folder). */
const Limit = (dim: keyof typeof RANGE_UNITS, description: string) =>
  Type.Object(
    { value: Type.Number({ exclusiveMinimum: 0, maximum: 1e15 }), unit: StringEnum(Object.keys(RANGE_UNITS[dim]) as [string, ...string[]]) },
    { additionalProperties: false, description },
  );
export const DesignationRangeIn = Type.Object(
  {
    kind: StringEnum(INSTRUMENT_KINDS, { description: "one of the designation's kinds" }),
    classes: Type.Optional(
      Type.Array(StringEnum([...R76_CLASSES, ...R117_CLASSES]), {
        minItems: 1,
        maxItems: 9,
        uniqueItems: true,
        description: 'accuracy classes covered: OIML R76 I–IIII (scales), OIML R117 0.3–2.5 (dispensers); absent: any',
      }),
    ),
    maxCapacity: Type.Optional(Limit('mass', "largest Max of a scale covered (OIML R76-1 T.3.1.1), e.g. { value: 60, unit: 't' }")),
    maxFlow: Type.Optional(Limit('flow', "largest Qmax of a fuel dispenser covered, e.g. { value: 130, unit: 'L/min' }")),
  },
  { additionalProperties: false },
);
export const DesignationIn = Type.Object(
  {
    lab: Type.String({ pattern: ID_PATTERN, description: 'the designated verification body (an organisation of kind lab)' }),
    decision: Type.String({ minLength: 1, maxLength: 100, description: 'decision number (số quyết định chỉ định)' }),
    kinds: Type.Array(StringEnum(INSTRUMENT_KINDS), { minItems: 1, maxItems: INSTRUMENT_KINDS.length, uniqueItems: true }),
    ranges: Type.Optional(Nullable(Type.String({ maxLength: 1000, description: 'measuring ranges as the decision states them' }))),
    rangeLimits: Type.Optional(
      Nullable(
        Type.Array(DesignationRangeIn, {
          maxItems: INSTRUMENT_KINDS.length,
          description: 'the ranges as data, one entry per kind: checked against the channels of every verification recorded under it',
        }),
      ),
    ),
    validFrom: Type.Integer({ minimum: 0 }),
    validUntil: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  },
  { additionalProperties: false },
);
export const DesignationView = Type.Object({
  id: Type.Integer(),
  lab: Type.String(),
  decision: Type.String(),
  kinds: Type.Array(Type.String()),
  ranges: Nullable(Type.String()),
  rangeLimits: Nullable(
    Type.Array(
      Type.Object({
        kind: Type.String(),
        classes: Type.Optional(Type.Array(Type.String())),
        maxCapacity: Type.Optional(Type.Object({ value: Type.Number(), unit: Type.String() })),
        maxFlow: Type.Optional(Type.Object({ value: Type.Number(), unit: Type.String() })),
      }),
    ),
  ),
  validFrom: Type.Integer(),
  validUntil: Nullable(Type.Integer()),
  withdrawnAt: Nullable(Type.Integer()),
  withdrawnReason: Nullable(Type.String()),
  createdBy: Type.String(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
export const DesignationList = Type.Object({ items: Type.Array(DesignationView) });
export const WithdrawQuery = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500, description: 'why it is withdrawn' })) });

export const SealIn = Type.Object(
  {
    event: StringEnum(['break', 'seal'] as const, {
      description: 'break: a seal was broken (owner or lab, with its reason); seal: new seals placed (the serving lab)',
    }),
    at: Type.Integer({ minimum: 0, description: 'when, epoch ms' }),
    seals: Type.Array(Type.String({ minLength: 1, maxLength: 60 }), { minItems: 1, maxItems: 50, description: 'seal (kẹp chì) numbers' }),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export const SealView = Type.Object({
  id: Type.Integer(),
  instrument: Type.String(),
  event: Type.String(),
  at: Type.Integer(),
  seals: Type.Array(Type.String()),
  reason: Nullable(Type.String()),
  by: Type.String(),
  byOrg: Nullable(Type.String()),
  calibration: Nullable(Type.Integer()),
  createdAt: Type.Integer(),
});
export const SealList = Type.Object({ instrument: Type.String(), items: Type.Array(SealView) });

/**
 * Designations (which verification body may verify which instrument kinds; kept by the
 * authority) and the seal register of an instrument. Reading designations: the authority all, a
 * lab its own, an enterprise those of the labs serving its instruments (a public directory of
 * designated bodies is a later issue). The rule that uses them: analytics/authority.ts mayVerify.
 */
export const recordRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = fastify;
  const records = deps.registry.records;
  const now = deps.now ?? Date.now;
  const errors = { 400: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } };

  const checked = (b: Static<typeof DesignationIn>) => {
    if (deps.registry.getOrg(b.lab)?.kind !== 'lab') {
      throw new MetronetError(
        'E_BAD_REQUEST',
        {
          en: `"${b.lab}" is not a lab organisation; only a lab is designated`,
          vi: `"${b.lab}" không phải là tổ chức kiểm định; chỉ tổ chức kiểm định mới được chỉ định.`,
        },
        { field: 'lab', rule: 'lab', value: b.lab },
      );
    }
    if (b.validUntil != null && b.validUntil < b.validFrom) {
      throw new MetronetError(
        'E_BAD_REQUEST',
        { en: 'validUntil is before validFrom', vi: 'Ngày hết hiệu lực trước ngày có hiệu lực.' },
        { field: 'validUntil', rule: 'after-validFrom', value: b.validUntil },
      );
    }
    const limits = b.rangeLimits ?? [];
    const stray = limits.findIndex((r, i) => !b.kinds.includes(r.kind) || limits.findIndex((x) => x.kind === r.kind) !== i);
    if (stray !== -1) {
      throw new MetronetError(
        'E_BAD_REQUEST',
        {
          en: `rangeLimits[${stray}]: kind ${limits[stray]!.kind} is not one of the designation's kinds, or is listed twice`,
          vi: `Phạm vi thứ ${stray + 1}: loại phương tiện đo ${limits[stray]!.kind} không thuộc quyết định chỉ định hoặc bị ghi hai lần.`,
        },
        { field: `rangeLimits[${stray}].kind`, rule: 'designated-kind', value: limits[stray]!.kind },
      );
    }
    return {
      lab: b.lab,
      decision: b.decision,
      kinds: b.kinds,
      ranges: b.ranges ?? null,
      rangeLimits: limits.length ? limits : null,
      validFrom: b.validFrom,
      validUntil: b.validUntil ?? null,
    };
  };
  const found = (d: Designation | undefined, id: number): Designation => {
    if (!d)
      throw new MetronetError('E_NOT_FOUND', { en: `designation ${id} is not known`, vi: `Không có quyết định chỉ định ${id}.` }, { field: 'id', value: id });
    return d;
  };

  app.get(
    '/designations',
    { schema: { tags: ['records'], summary: 'Designations of verification bodies (a lab sees its own)', response: { 200: DesignationList } } },
    async (req) => {
      const p = req.principal!;
      if (p.role === 'lab') return { items: records.listDesignations({ lab: p.org ?? '\u0000' }) };
      if (p.role !== 'enterprise') return { items: records.listDesignations() };
      // An enterprise: the designations of the labs serving its instruments (a public directory is a later issue).
      const labs = new Set(
        deps.registry.analytics
          .listServices()
          .filter((s) => s.lab !== null && deps.registry.getInstrument(s.instrument)?.org === p.org)
          .map((s) => s.lab),
      );
      return { items: records.listDesignations().filter((d) => labs.has(d.lab)) };
    },
  );

  app.post(
    '/designations',
    {
      schema: {
        tags: ['records'],
        summary: 'Designate a lab to verify instrument kinds (authority)',
        body: DesignationIn,
        response: { 201: DesignationView, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(records.createDesignation(checked(req.body), req.principal!.user, now())),
  );

  app.put(
    '/designations/:id',
    {
      schema: {
        tags: ['records'],
        summary: 'Change a designation (authority; audited)',
        params: NumericIdParams,
        body: DesignationIn,
        response: { 200: DesignationView, ...errors },
      },
    },
    async (req) => found(records.updateDesignation(req.params.id, checked(req.body), now()), req.params.id),
  );

  app.delete(
    '/designations/:id',
    {
      schema: {
        tags: ['records'],
        summary: 'Withdraw a designation from now (it stays, dated: records made under it keep naming it)',
        params: NumericIdParams,
        querystring: WithdrawQuery,
        response: { 200: DesignationView, ...errors },
      },
    },
    async (req) => found(records.withdrawDesignation(req.params.id, req.query.reason ?? null, now()), req.params.id),
  );

  app.get(
    '/instruments/:id/seals',
    {
      schema: {
        tags: ['records'],
        summary: 'The seal register of an instrument: every break and every new seal, oldest first',
        params: IdParams,
        response: { 200: SealList, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      return { instrument: inst.id, items: records.listSeals(inst.id) };
    },
  );

  app.post(
    '/instruments/:id/seals',
    {
      schema: {
        tags: ['records'],
        summary: 'Record a seal break (owner or serving lab, with its reason) or new seals (serving lab)',
        params: IdParams,
        body: SealIn,
        response: { 201: SealView, ...errors },
      },
    },
    async (req, reply) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      return reply.status(201).send(engine.recordSeal(inst.id, writerOf(req.principal!), req.body));
    },
  );
};
