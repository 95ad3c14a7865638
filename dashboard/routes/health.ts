import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../../core/index.js';
import { Health } from '../schemas.js';
import type { DashboardDeps } from '../app.js';

const started = Date.now();

const Checks = Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) }));
const Ready = Type.Object({ status: StringEnum(['ready', 'not ready'] as const), checks: Checks });

type CheckMap = Record<string, { ok: boolean; detail?: string }>;

/** The stores answer, plus the composing process's checks (broker…). */
async function storeChecks(deps: DashboardDeps): Promise<CheckMap> {
  const checks: CheckMap = {};
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
  return Object.assign(checks, deps.health?.() ?? {});
}

/**
 * Health and readiness; need no token. `/health` reports the stores (its 503 says "degraded");
 * `/ready` is for load balancers and orchestrators: 503 also while the process drains after
 * SIGTERM, so that traffic moves elsewhere before the listener closes.
 */
export const healthRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/health', { schema: { tags: ['operations'], summary: 'Service health', response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    const checks = await storeChecks(deps);
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.status(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'degraded',
      version: deps.version ?? '0.0.0',
      uptimeS: Math.round((Date.now() - started) / 1000),
      checks,
    });
  });
  app.get(
    '/ready',
    { schema: { tags: ['operations'], summary: 'Readiness: stores answer and the process is not shutting down', response: { 200: Ready, 503: Ready } } },
    async (_req, reply) => {
      const checks = await storeChecks(deps);
      checks.draining = deps.draining?.() ? { ok: false, detail: 'shutting down: finishing in-flight requests, taking no new work' } : { ok: true };
      const ok = Object.values(checks).every((c) => c.ok);
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
    },
  );
};
