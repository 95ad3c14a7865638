import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DashboardDeps } from '../app.js';

/**
 * Live updates (issue 7) as server-sent events on GET /api/v1/events, one stream per page: the
 * application layer's live events (live/live-events.ts) write it; the route hands them the
 * caller and the response.
 */
export const eventRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: "Server-sent events of the caller's tenant (text/event-stream): hello, states (all at first, then changes), values, alert",
        querystring: Type.Object({ once: Type.Boolean({ default: false, description: 'send the opening events and end the stream (scripts, probes)' }) }),
      },
    },
    (req, reply) => {
      reply.hijack();
      fastify.live.open(req.principal!, reply.raw, req.query.once);
    },
  );
};
