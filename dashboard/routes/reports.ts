import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { MetronetError } from '../../core/index.js';
import type { DashboardDeps } from '../app.js';
import { buildReport, REPORTS, type ReportName } from '../reports/data.js';
import { toCsv, toXlsx } from '../reports/files.js';
import { offlineRuleOf } from '../states.js';

const ReportParams = Type.Object({ name: Type.String({ description: `one of ${REPORTS.join(', ')}` }) });
const ReportQuery = Type.Object({
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { default: 'csv' }),
  lang: Type.Union([Type.Literal('vi'), Type.Literal('en')], { default: 'vi', description: 'language of the column headers' }),
  year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100, description: 'year of the annual overview; default this year' })),
});

/**
 * Reports (issue 7) as downloads: instrument inventory and state per organisation and district,
 * the measurement-assurance summary of enterprises, the annual province overview. Each holds
 * only what the caller's tenant sees (the same scoped states as the overview).
 */
export const reportRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const now = deps.now ?? Date.now;
  app.get(
    '/reports/:name',
    {
      schema: {
        tags: ['reports'],
        summary: 'Download a report as CSV (UTF-8) or XLSX: inventory, assurance (enterprise measurement-assurance summary), annual (province overview)',
        params: ReportParams,
        querystring: ReportQuery,
        response: { 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const name = req.params.name as ReportName;
      if (!REPORTS.includes(name))
        throw new MetronetError('E_NOT_FOUND', `no report "${req.params.name}"; reports: ${REPORTS.join(', ')}`, { field: 'name', value: req.params.name });
      const { format, lang } = req.query;
      const t = now();
      const year = req.query.year ?? new Date(t).getUTCFullYear();
      const table = buildReport(name, { registry: deps.registry, p: req.principal!, now: t, year, offline: offlineRuleOf(deps) });
      const file = `metronet-${name}-${name === 'annual' ? year : new Date(t).toISOString().slice(0, 10)}.${format}`;
      reply.header('content-disposition', `attachment; filename="${file}"`);
      if (format === 'xlsx') {
        return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await toXlsx(table, lang));
      }
      return reply.type('text/csv; charset=utf-8').send(toCsv(table, lang));
    },
  );
};
