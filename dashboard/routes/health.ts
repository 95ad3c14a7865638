import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Health } from '../schemas.js';
import type { DashboardDeps } from '../app.js';

const started = Date.now();

/** Liveness and store reachability; needs no token. */
export const healthRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/health', { schema: { tags: ['operations'], summary: 'Service health', response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      deps.registry.listOrgs();
      checks.registry = { ok: true };
    } catch (err) {
      checks.registry = { ok: false, detail: (err as Error).message };
    }
    try {
      await deps.readings.count('__health__');
      checks.readings = { ok: true };
    } catch (err) {
      checks.readings = { ok: false, detail: (err as Error).message };
    }
    Object.assign(checks, deps.health?.() ?? {});
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.status(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'degraded',
      version: deps.version ?? '0.0.0',
      uptimeS: Math.round((Date.now() - started) / 1000),
      checks,
    });
  });
};
