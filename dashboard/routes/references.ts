import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, MetronetError } from '../../core/index.js';
import type { ReferenceStandard, TraceAnchor } from '../../store/index.js';
import type { Engine } from '../../analytics/engine.js';
import { IdParams, ReferenceCreate, ReferenceIn, ReferenceList, ReferenceView } from '../schemas.js';
import type { DashboardDeps } from '../app.js';
import { alertRef } from '../alert-view.js';
import { idInUse, notFound, type Principal } from '../auth/tenant.js';

/** Reference standards with their traceability chain; marking one out of tolerance runs the impact analysis. */
export const referenceRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = fastify;
  const store = deps.registry.analytics;
  const now = deps.now ?? Date.now;
  const view = (r: ReferenceStandard) => withTrace(engine, r, now(), deps.registry.records.anchor(r.id));
  const must = (id: string) => {
    const r = store.getReference(id);
    if (!r) throw notFound('reference', id);
    return r;
  };
  /**
   * A standard's parent is a standard of the same lab (its chain ends in an anchor, the link to
   * another organisation's standard). Another lab's is refused exactly as an unknown one (issue
   * 16, item 8): naming it would show that lab's chain, due dates and state in the traceability.
   */
  const checkParent = (parent: string | null | undefined, lab: string, p: Principal) => {
    if (parent === undefined || parent === null) return;
    const r = store.getReference(parent);
    if (r && (r.lab === lab || p.role === 'admin')) return;
    throw new MetronetError(
      'E_UNKNOWN_REFERENCE',
      { en: `parent reference standard "${parent}" is not known`, vi: `Không có chuẩn đo lường "${parent}" để làm chuẩn cấp trên.` },
      { field: 'parent', rule: 'registered', value: parent },
    );
  };

  app.get(
    '/references',
    {
      schema: {
        tags: ['references'],
        summary: 'Reference standards, optionally of one lab',
        querystring: Type.Object({ lab: Type.Optional(Type.String({ pattern: ID_PATTERN })) }),
        response: { 200: ReferenceList },
      },
    },
    // Scoped query: a lab sees its own standards only.
    async (req) => ({ items: store.listReferences({ lab: req.principal!.role === 'lab' ? (req.principal!.org ?? '\u0000') : req.query.lab }).map(view) }),
  );

  app.get(
    '/references/:id',
    {
      schema: {
        tags: ['references'],
        summary: 'One reference standard with its traceability now',
        params: IdParams,
        response: { 200: ReferenceView, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => view(must(req.params.id)),
  );

  app.post(
    '/references',
    {
      schema: {
        tags: ['references'],
        summary: 'Create a reference standard',
        body: ReferenceCreate,
        response: { 201: ReferenceView, 400: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const held = store.getReference(req.body.id);
      const p = req.principal!;
      // The hint is for the standard's own lab; to anyone else the id is only taken.
      if (held && p.role !== 'admin' && held.lab !== p.org) throw idInUse('reference', req.body.id);
      if (held)
        throw new MetronetError('E_CONFLICT', `reference standard "${req.body.id}" exists; PUT /references/${req.body.id} replaces it`, {
          field: 'id',
          value: req.body.id,
        });
      checkParent(req.body.parent, req.body.lab, p);
      const { saved } = engine.saveReference({ ...req.body, id: req.body.id, anchor: anchorOf(req.body.anchor) });
      return reply.status(201).send(view(saved));
    },
  );

  app.put(
    '/references/:id',
    {
      schema: {
        tags: ['references'],
        summary:
          'Create or replace a reference standard; outOfTolerance: true marks every check and calibration relying on it since its last good calibration "under review"',
        params: IdParams,
        body: ReferenceIn,
        response: { 200: ReferenceView, 400: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      checkParent(req.body.parent, req.body.lab, req.principal!);
      const { saved, impact } = engine.saveReference({ ...req.body, id: req.params.id, anchor: anchorOf(req.body.anchor) });
      return { ...view(saved), impact: impact.map(alertRef) };
    },
  );

  app.delete(
    '/references/:id',
    {
      schema: {
        tags: ['references'],
        summary: 'Delete a reference standard (its checks keep their values)',
        params: IdParams,
        response: { 204: Type.Null(), 404: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      must(req.params.id);
      store.deleteReference(req.params.id);
      return reply.status(204).send(null);
    },
  );
};

/** The anchor as stored (TraceAnchor): left out → unchanged, null → removed. */
function anchorOf(a: Static<typeof ReferenceIn>['anchor']): TraceAnchor | null | undefined {
  return a && { kind: a.kind, issuer: a.issuer, certificate: a.certificate ?? null, date: a.date ?? null };
}

function withTrace(engine: Engine, r: ReferenceStandard, now: number, anchor: TraceAnchor | null) {
  return {
    id: r.id,
    lab: r.lab,
    quantity: r.quantity,
    unit: r.unit,
    nominal: r.nominal,
    value: r.value,
    U: r.U,
    k: r.k,
    class: r.class ?? null,
    certificate: r.certificate ?? null,
    calibratedOn: r.calibratedOn ?? null,
    due: r.due ?? null,
    parent: r.parent ?? null,
    outOfTolerance: r.outOfTolerance ?? false,
    anchor,
    traceability: engine.traceability(r.id, now),
  };
}
