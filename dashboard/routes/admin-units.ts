import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ADMIN_UNITS_SOURCE, assertLocation, communesOf, listProvinces, searchCommunes } from '../../core/index.js';
import type { DashboardDeps } from '../app.js';

const Unit = Type.Object({ code: Type.String(), name: Type.String() });
const AdminUnits = Type.Object({
  effective: Type.String({ description: 'date the list is in force from (YYYY-MM-DD)' }),
  source: Type.String(),
  provinces: Type.Array(Unit, { description: 'the 34 provinces and centrally-run cities, by code' }),
  communes: Type.Array(Type.Composite([Unit, Type.Object({ province: Type.String() })]), {
    description: 'communes, wards and special zones of `province` (or matching `q`), by name; empty without either',
  }),
});

/**
 * The administrative units in force since 1 July 2025 (issue 17, item 1), read-only, for the web
 * UI's location pickers: every province, and the communes of one province or those whose name
 * matches a search folded for diacritics and case ("ham thuan bac"). Public data, the same for
 * every role.
 */
export const adminUnitRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/admin-units',
    {
      schema: {
        tags: ['registry'],
        summary: 'Provinces, and communes/wards/special zones of one province, in force since 1 July 2025 (two-level local government)',
        querystring: Type.Object({
          province: Type.Optional(Type.String({ pattern: '^[0-9]{2}$', description: 'list the communes of this province (code)' })),
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'only communes whose name contains this, ignoring diacritics and case' })),
        }),
        response: { 200: AdminUnits, 400: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const { province, q } = req.query;
      if (province !== undefined) assertLocation({ province });
      const communes = q !== undefined ? searchCommunes(q, province) : province !== undefined ? communesOf(province) : [];
      return { ...ADMIN_UNITS_SOURCE, provinces: listProvinces(), communes };
    },
  );
};
