import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DashboardDeps } from '../app.js';
import { limitsOf, streamLimit } from '../limits.js';

/**
 * Live updates (issue 7) as server-sent events on GET /api/v1/events, one stream per page: the
 * application layer's live events (live/live-events.ts) write it; the route hands them the
 * caller and the response. A user holds at most dashboard.maxStreamsPerUser streams (issue 16):
 * one more is refused with 429 E_LIMIT_REACHED, before the response becomes a stream.
 */
export const eventRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const max = limitsOf(deps).streamsPerUser;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: "Server-sent events of the caller's tenant (text/event-stream): hello, states (all at first, then changes), values, alert",
        querystring: Type.Object({ once: Type.Boolean({ default: false, description: 'send the opening events and end the stream (scripts, probes)' }) }),
        response: { 429: { $ref: 'Error#' } },
      },
    },
    (req, reply) => {
      if (!fastify.live.admits(req.principal!, req.query.once)) throw streamLimit(req.principal!.user, max);
      reply.hijack();
      fastify.live.open(req.principal!, reply.raw, req.query.once);
    },
  );
};
