import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ERRORS, ID_PATTERN, StringEnum, type ErrorCode } from '../../core/index.js';
import type { DashboardDeps } from '../app.js';

/** How many stored rejects a code filter looks through (the registry keeps the newest 10 000). */
const SCAN = 10_000;

const CODES = Object.keys(ERRORS) as ErrorCode[];

export const RejectsQuery = Type.Object(
  {
    gateway: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'only this gateway' })),
    org: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'only this organisation' })),
    code: Type.Optional(StringEnum(CODES as [ErrorCode, ...ErrorCode[]], { description: 'only this reason, e.g. E_UNIT_MISMATCH' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

export const RejectView = Type.Object({
  ts: Type.Integer({ description: 'epoch ms when ingest refused it' }),
  org: Type.Union([Type.String(), Type.Null()]),
  gateway: Type.Union([Type.String(), Type.Null()]),
  instrument: Type.Union([Type.String(), Type.Null()]),
  code: Type.String({ description: 'error catalogue code (core/errors.ts)' }),
  field: Type.Union([Type.String(), Type.Null()]),
  rule: Type.Union([Type.String(), Type.Null()]),
  value: Type.Optional(Type.Unknown({ description: 'the refused value, shortened' })),
  message: Type.String(),
});

export const RejectList = Type.Object({
  items: Type.Array(RejectView, { description: 'newest first' }),
  counts: Type.Optional(Type.Record(Type.String(), Type.Integer(), { description: 'issues by code since this ingest worker started (same process only)' })),
});

/** The most recent rejects (gateway, reason, field, value), so people can learn why readings were refused. */
export const rejectRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/rejects',
    {
      schema: {
        tags: ['ingest'],
        summary: 'Most recent refused readings and messages, with the reason',
        querystring: RejectsQuery,
        response: { 200: RejectList, 400: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const { gateway, code, limit } = req.query;
      // Scoped query: an enterprise sees its own organisation's rejects.
      const p = req.principal!;
      const org = p.role === 'enterprise' ? (p.org ?? '\u0000') : req.query.org;
      const listed = deps.registry.listRejects({ gateway, org, limit: code ? SCAN : limit });
      const items = (code ? listed.filter((r) => r.code === code).slice(0, limit) : listed).map((r) => ({
        ts: r.ts,
        org: r.org ?? null,
        gateway: r.gateway ?? null,
        instrument: r.instrument ?? null,
        code: r.code,
        field: r.field ?? null,
        rule: r.rule ?? null,
        value: r.value,
        message: r.message,
      }));
      const counts = p.role === 'enterprise' ? undefined : deps.rejectCounts?.(); // network-wide counts
      return counts ? { items, counts: Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)) } : { items };
    },
  );
};
