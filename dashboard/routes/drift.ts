import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DriftView, IdParams } from '../schemas.js';
import type { DashboardDeps } from '../app.js';
import { mustFindInstrument } from '../lookups.js';
import { metrologyRoutes } from './metrology.js';

/** Drift of an instrument per channel: conformity, trend and predicted date, CUSUM, traceability, due date. */
export const driftRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = fastify;
  app.get(
    '/instruments/:id/drift',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'Per channel since the last calibration: n, current error, MPE, slope with CI, predicted out-of-tolerance date, CUSUM, conformity, traceability',
        params: IdParams,
        response: { 200: DriftView, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => engine.drift(mustFindInstrument(deps.registry, req.params.id).id),
  );
  // The channel settings drift is judged with (tolerance override, repeatability) sit beside it.
  await fastify.register(metrologyRoutes, deps);
};
