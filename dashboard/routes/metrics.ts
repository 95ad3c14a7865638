import type { FastifyPluginAsync } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { DashboardDeps } from '../app.js';

/**
 * Prometheus `GET /metrics` (no token, ARCHITECTURE.md REST contract): what the composing
 * process gives (cli/stack.ts: ingest, broker, analytics and gateways of the in-process stack, in
 * one exposition; cli/services.ts: the dashboard process's own), else this process's own (RSS,
 * heap, event loop).
 */
export const metricsRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  let own: Registry | undefined;
  fastify.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)', hide: false } }, async (_req, reply) => {
    if (deps.metrics) {
      const m = await deps.metrics();
      return reply.type(m.contentType).send(m.body);
    }
    if (!own) {
      own = new Registry();
      collectDefaultMetrics({ register: own });
    }
    return reply.type(own.contentType).send(await own.metrics());
  });
};
