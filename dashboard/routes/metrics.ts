import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { MetronetError } from '../../core/index.js';
import { sameDigest, sha256 } from '../../store/secrets.js';
import type { DashboardDeps } from '../app.js';
import { dashboardMetrics } from '../metrics-registry.js';

/**
 * Prometheus `GET /metrics`: what the composing process gives (cli/stack.ts: ingest, broker,
 * analytics and gateways of the in-process stack, in one exposition; cli/services.ts: the
 * dashboard process's own), else this process's own (RSS, heap, event loop), followed by the
 * dashboard's counters (webhook-guard.ts).
 *
 * Where (issue 16, item 7; a departure from ARCHITECTURE.md's "no token", see docs/security.md):
 * the exposition names gateways, which are MQTT user names, and their connection state, so it is
 * not for the public port. It is served on the ops listener (`dashboard.ops`, loopback by default;
 * `open`) and, only when `dashboard.metricsToken` is set, on the public port to a request bearing
 * that token. Otherwise the public port has no such route (404, as for any unknown path).
 */
export const metricsRoutes: FastifyPluginAsync<DashboardDeps & { open?: boolean }> = async (fastify, deps) => {
  if (!deps.open && !deps.metricsToken) return;
  const expected = deps.metricsToken ? sha256(deps.metricsToken) : undefined;
  let own: Registry | undefined;
  fastify.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: deps.open
          ? 'Prometheus metrics (text exposition format)'
          : 'Prometheus metrics (text exposition format); Authorization: Bearer <dashboard.metricsToken>',
        hide: !deps.open,
      },
    },
    async (req, reply) => {
      if (!deps.open && !bears(req, expected!)) {
        throw new MetronetError('E_UNAUTHORIZED', {
          en: '/metrics on this port needs Authorization: Bearer <dashboard.metricsToken>; or scrape the ops listener (dashboard.ops)',
          vi: '/metrics trên cổng này cần Authorization: Bearer <dashboard.metricsToken>; hoặc lấy số liệu từ cổng vận hành (dashboard.ops)',
        });
      }
      let body: string;
      let contentType: string;
      if (deps.metrics) ({ body, contentType } = await deps.metrics());
      else {
        if (!own) {
          own = new Registry();
          collectDefaultMetrics({ register: own });
        }
        ({ contentType } = own);
        body = await own.metrics();
      }
      const mine = (await dashboardMetrics.metrics()).trimEnd();
      return reply.type(contentType).send(mine ? `${body.trimEnd()}\n${mine}\n` : body);
    },
  );
};

/** Compared as SHA-256 digests in constant time: the comparison says nothing of how much of a guess was right. */
function bears(req: FastifyRequest, expected: string): boolean {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
  return sameDigest(sha256(h.slice(7).trim()), expected);
}
