import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { MetronetError, type Issue } from '../../core/index.js';
import { idempotencyKeyOf } from '../idempotency.js';
import { ChecksList, ChecksPost, ChecksPostResult, ChecksQuery, IdParams } from '../schemas.js';
import { parseTime } from '../time.js';
import type { DashboardDeps } from '../app.js';
import { mustFindInstrument } from '../lookups.js';
import { alertRef } from '../alert-view.js';
import { languageOf } from '../language.js';

/** Check measurements of an instrument: posted by people (same path as the checks topic), listed with traceability. */
export const checkRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = fastify;
  const now = deps.now ?? Date.now;

  app.post(
    '/instruments/:id/checks',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Record check measurements against a reference standard; answers with the alerts they raised',
        params: IdParams,
        body: ChecksPost,
        response: { 200: ChecksPostResult, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      const lang = languageOf(req);
      const key = idempotencyKeyOf(req.headers['idempotency-key'], req.body.idempotencyKey);
      const p = req.principal!;
      // The author is the signed-in principal, never the body's `by` (issue 15).
      const r = engine.submitChecks({
        checks: req.body.checks.map((c) => ({ ...c, instrument: inst.id })),
        source: 'api',
        by: p.user,
        caller: { role: p.role, org: p.org },
        ...(key !== undefined ? { idempotencyKey: key } : {}),
      });
      if (r.conflict) throw MetronetError.fromIssue(r.conflict);
      const text = (x: Issue) => (lang === 'vi' ? (x.messageVi ?? x.message) : x.message);
      const rejects = r.rejects.map((x) => ({ index: x.index, code: x.code, message: text(x), field: `checks[${x.index}].${x.field ?? ''}`, rule: x.rule }));
      if (r.stored.length === 0 && r.rejects.length > 0 && r.duplicates === 0 && !r.duplicate) {
        const first = r.rejects[0]!;
        throw new MetronetError(first.code, { en: first.message, vi: first.messageVi ?? first.message }, rejects);
      }
      return {
        stored: r.stored.length,
        duplicate: r.duplicate ?? false,
        duplicates: r.duplicates,
        rejects,
        alerts: r.alerts.map(alertRef),
        checks: r.stored,
      };
    },
  );

  app.get(
    '/instruments/:id/checks',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Check measurements of an instrument, oldest first',
        params: IdParams,
        querystring: ChecksQuery,
        response: { 200: ChecksList, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      const t = now();
      const from = parseTime(req.query.from, 0, t, 'from');
      const to = parseTime(req.query.to, Number.MAX_SAFE_INTEGER, t, 'to');
      return {
        instrument: inst.id,
        items: deps.registry.analytics.listChecks({ instrument: inst.id, channel: req.query.channel, from, to, limit: req.query.limit }),
      };
    },
  );
};
