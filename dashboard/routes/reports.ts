import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertLocation, getCommune, MetronetError } from '../../core/index.js';
import type { DashboardDeps } from '../app.js';
import { buildReport, GROUP_BY, REPORTS, type ReportName } from '../reports/data.js';
import { toCsv, toXlsx } from '../reports/files.js';
import { DEFAULT_AGENCY, type Issuer } from '../reports/form.js';
import { buildOfficial, OFFICIAL_REPORTS, type OfficialReportName } from '../reports/official.js';
import { FORM_MIME, renderForm, reportLanguage } from '../reports/render.js';
import { vnYearOf } from '../reports/year.js';
import { offlineRuleOf } from '../states.js';

const ALL_REPORTS = [...OFFICIAL_REPORTS, ...REPORTS];
const ReportParams = Type.Object({ name: Type.String({ description: `one of ${ALL_REPORTS.join(', ')}` }) });
const ReportQuery = Type.Object({
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx'), Type.Literal('pdf')], {
    default: 'csv',
    description: `pdf for the reports in official form only (${OFFICIAL_REPORTS.join(', ')})`,
  }),
  lang: Type.Optional(
    Type.Union([Type.Literal('vi'), Type.Literal('en')], {
      description: 'language of the report; default Vietnamese, English when Accept-Language prefers English',
    }),
  ),
  year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100, description: 'year of the annual reports and of the counts in a year; default this year' })),
  org: Type.Optional(Type.String({ maxLength: 100, description: 'enterprise-assurance: one enterprise only' })),
  province: Type.Optional(Type.String({ pattern: '^[0-9]{2}$', description: 'only instruments in this province (code, GET /admin-units)' })),
  commune: Type.Optional(Type.String({ pattern: '^[0-9]{5}$', description: 'only instruments in this commune, ward or special zone (code)' })),
  groupBy: Type.Optional(
    Type.Union(
      GROUP_BY.map((g) => Type.Literal(g)),
      { default: 'commune', description: 'annual: add up per commune (default) or per province; districts were abolished on 1 July 2025' },
    ),
  ),
});

const isOfficial = (name: string): name is OfficialReportName => (OFFICIAL_REPORTS as readonly string[]).includes(name);

/**
 * Reports in official form (issue 17, item 2; CSV, XLSX, PDF): the inventory of Group 2
 * instruments by commune and kind, the verification and calibration status, the yearly
 * measurement report of the province, the enterprise measurement-assurance summaries (official.ts).
 * Reports (issue 7) as data tables (CSV, XLSX): instrument inventory and state per province, commune and organisation,
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
        summary:
          'Download a report: in official form as CSV, XLSX or PDF (group2-inventory, verification-status, province-annual, enterprise-assurance), or a data table as CSV or XLSX (inventory, assurance, annual, results)',
        params: ReportParams,
        querystring: ReportQuery,
        response: { 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const { format } = req.query;
      const lang = reportLanguage(req.query.lang, req.headers['accept-language']);
      const t = now();
      const year = req.query.year ?? vnYearOf(t);
      const { province, commune, groupBy } = req.query;
      // A filter by an unknown unit is refused (field, value, rule), not answered with an empty report.
      if (province !== undefined || commune !== undefined)
        assertLocation({ province: province ?? (commune === undefined ? null : (getCommune(commune)?.province ?? null)), commune: commune ?? null });
      if (isOfficial(req.params.name)) {
        const name = req.params.name;
        const ctx = { registry: deps.registry, p: req.principal!, now: t, year, offline: offlineRuleOf(deps), org: req.query.org, province, commune };
        const form = buildOfficial(name, ctx);
        const issuer: Issuer = { agency: DEFAULT_AGENCY, ...deps.reports };
        reply.header(
          'content-disposition',
          `attachment; filename="metronet-${name}-${'year' in form.period ? year : new Date(t).toISOString().slice(0, 10)}.${format}"`,
        );
        return reply.type(FORM_MIME[format]).send(await renderForm(form, format, lang, issuer, t));
      }
      const name = req.params.name as ReportName;
      if (!REPORTS.includes(name))
        throw new MetronetError('E_NOT_FOUND', `no report "${req.params.name}"; reports: ${ALL_REPORTS.join(', ')}`, { field: 'name', value: req.params.name });
      if (format === 'pdf')
        throw new MetronetError('E_BAD_REQUEST', `"${name}" is a data table: csv or xlsx; PDF is for ${OFFICIAL_REPORTS.join(', ')}`, {
          field: 'format',
          value: format,
        });
      const table = buildReport(name, { registry: deps.registry, p: req.principal!, now: t, year, offline: offlineRuleOf(deps), province, commune, groupBy });
      const file = `metronet-${name}-${name === 'annual' ? year : new Date(t).toISOString().slice(0, 10)}.${format}`;
      reply.header('content-disposition', `attachment; filename="${file}"`);
      if (format === 'xlsx') {
        return reply.type(FORM_MIME.xlsx).send(await toXlsx(table, lang));
      }
      return reply.type(FORM_MIME.csv).send(toCsv(table, lang));
    },
  );
};
