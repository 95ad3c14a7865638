import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, MetronetError } from '../../core/index.js';
import { recordView, type RecordRequest } from '../../analytics/records.js';
import { CalibrationList, CalibrationPost, CalibrationView, IdParams } from '../schemas.js';
import type { DashboardDeps } from '../app.js';
import { mustFindInstrument } from '../lookups.js';
import type { Principal } from '../auth/tenant.js';

export const RecordParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }), record: Type.String({ minLength: 1, maxLength: 100 }) });
const Reason = Type.String({ minLength: 3, maxLength: 1000, description: 'why (ISO/IEC 17025:2017 7.8.8)' });
export const VoidBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export const SupersedeBody = Type.Composite([Type.Object({ reason: Reason }), CalibrationPost], { additionalProperties: false });
const Superseded = Type.Object({ superseded: CalibrationView, record: CalibrationView });

/** The writer of a record: the signed-in principal, never a body field. */
export const writerOf = (p: Principal) => ({ role: p.role, org: p.org, user: p.user });

/** A body as the engine's record request: results and references checked here, the rule in the engine (analytics/authority.ts). */
function request(deps: DashboardDeps, instrument: string, b: Static<typeof CalibrationPost>): RecordRequest {
  const store = deps.registry.analytics;
  if (store.getCalibrationByCertificate(b.certificate)) {
    throw new MetronetError(
      'E_CONFLICT',
      {
        en: `certificate "${b.certificate}" is already recorded; certificate numbers are unique`,
        vi: `Số giấy chứng nhận "${b.certificate}" đã được ghi; số giấy chứng nhận không được trùng.`,
      },
      { field: 'certificate', rule: 'unique', value: b.certificate },
    );
  }
  for (const r of b.references) {
    if (!store.getReference(r))
      throw new MetronetError(
        'E_UNKNOWN_REFERENCE',
        { en: `reference standard "${r}" is not known`, vi: `Không có chuẩn đo lường "${r}".` },
        { field: 'references', value: r },
      );
  }
  const channels = new Set(deps.registry.listChannels(instrument).map((c) => c.channel));
  const unknown = b.results.find((p) => !channels.has(p.channel));
  if (unknown)
    throw new MetronetError(
      'E_UNKNOWN_CHANNEL',
      { en: `instrument ${instrument} has no channel "${unknown.channel}"`, vi: `Phương tiện đo ${instrument} không có kênh "${unknown.channel}".` },
      { field: 'results.channel', value: unknown.channel },
    );
  const {
    designation,
    stamp,
    seals,
    verifier,
    verifierCard,
    issuedAt,
    place,
    customer,
    manufacturer,
    model,
    patternApproval,
    traceability,
    coverageK,
    coverageProbability,
    signatory,
    authorisedBy,
    ...rest
  } = b;
  return {
    input: { ...rest, conditions: b.conditions ?? null, procedure: b.procedure ?? null },
    designation,
    content: {
      stamp,
      seals,
      verifier,
      verifierCard,
      issuedAt,
      place,
      customer,
      manufacturer,
      model,
      patternApproval,
      traceability,
      coverageK,
      coverageProbability,
      // The deprecated authorisedBy is kept only as the printed name: the author is the principal.
      signatory: signatory ?? authorisedBy,
    },
  };
}

/**
 * Calibrations and verifications with their certificate content (ISO/IEC 17025:2017 7.8), and
 * their corrections (7.8.8: supersede, void — never delete). Who may write: analytics/authority.ts.
 */
export const calibrationRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = fastify;
  const store = deps.registry.analytics;
  const errors = { 400: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' } };

  /** The record a path names on this instrument: its certificate number, or its id. */
  const recordOf = (instrument: string, key: string) => {
    const rec = store.getCalibrationByCertificate(key) ?? (/^[0-9]+$/.test(key) ? store.getCalibration(Number(key)) : undefined);
    if (!rec || rec.instrument !== instrument) {
      throw new MetronetError(
        'E_NOT_FOUND',
        { en: `instrument ${instrument} has no record "${key}"`, vi: `Phương tiện đo ${instrument} không có bản ghi "${key}".` },
        { field: 'record', value: key },
      );
    }
    return rec;
  };

  app.post(
    '/instruments/:id/calibrations',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'Record a calibration (the serving lab) or a verification (a lab designated for the kind at the date); the lab is your organisation, the author you',
        params: IdParams,
        body: CalibrationPost,
        response: { 201: CalibrationView, ...errors },
      },
    },
    async (req, reply) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      return reply.status(201).send(engine.recordAs(inst.id, writerOf(req.principal!), request(deps, inst.id, req.body)));
    },
  );

  app.get(
    '/instruments/:id/calibrations',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Calibrations and verifications of an instrument, oldest first, with their status (valid, superseded, voided)',
        params: IdParams,
        response: { 200: CalibrationList, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      return { instrument: inst.id, items: store.listCalibrations(inst.id).map((c) => recordView(engine, c)) };
    },
  );

  app.post(
    '/instruments/:id/calibrations/:record/supersede',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Supersede a record with a new one (new number, reason; ISO/IEC 17025:2017 7.8.8.2): the issuing lab only',
        params: RecordParams,
        body: SupersedeBody,
        response: { 201: Superseded, ...errors },
      },
    },
    async (req, reply) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      const old = recordOf(inst.id, req.params.record);
      const { reason, ...body } = req.body;
      return reply.status(201).send(engine.supersedeRecord(old.id, writerOf(req.principal!), request(deps, inst.id, body), reason));
    },
  );

  app.post(
    '/instruments/:id/calibrations/:record/void',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Void a record with a reason (it stays, marked): the issuing lab or the authority',
        params: RecordParams,
        body: VoidBody,
        response: { 200: CalibrationView, ...errors },
      },
    },
    async (req) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      const rec = recordOf(inst.id, req.params.record);
      return engine.voidRecord(rec.id, writerOf(req.principal!), req.body.reason);
    },
  );
};
