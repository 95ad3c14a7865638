import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { MetronetError } from '../../core/index.js';
import { CalibrationList, CalibrationPost, CalibrationView, IdParams } from '../schemas.js';
import type { DashboardDeps } from '../app.js';
import { mustFindInstrument } from '../lookups.js';

/** Calibrations and verifications with their certificate content (ISO/IEC 17025:2017 7.8). */
export const calibrationRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = fastify;
  const store = deps.registry.analytics;

  app.post(
    '/instruments/:id/calibrations',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Record a calibration or verification; resets the drift baseline and the due date',
        params: IdParams,
        body: CalibrationPost,
        response: { 201: CalibrationView, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      const b = req.body;
      if (store.getCalibrationByCertificate(b.certificate)) {
        throw new MetronetError('E_CONFLICT', `certificate "${b.certificate}" is already recorded; certificate numbers are unique`, {
          field: 'certificate',
          value: b.certificate,
        });
      }
      for (const r of b.references) {
        if (!store.getReference(r)) throw new MetronetError('E_UNKNOWN_REFERENCE', `reference standard "${r}" is not known`, { field: 'references', value: r });
      }
      const channels = new Set(deps.registry.listChannels(inst.id).map((c) => c.channel));
      const unknown = b.results.find((p) => !channels.has(p.channel));
      if (unknown)
        throw new MetronetError('E_UNKNOWN_CHANNEL', `instrument ${inst.id} has no channel "${unknown.channel}"`, {
          field: 'results.channel',
          value: unknown.channel,
        });
      const rec = engine.recordCalibration(inst.id, { ...b, conditions: b.conditions ?? null, procedure: b.procedure ?? null });
      return reply.status(201).send(rec);
    },
  );

  app.get(
    '/instruments/:id/calibrations',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Calibrations and verifications of an instrument, oldest first',
        params: IdParams,
        response: { 200: CalibrationList, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      return { instrument: inst.id, items: store.listCalibrations(inst.id) };
    },
  );
};
