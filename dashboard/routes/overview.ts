import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DashboardDeps } from '../app.js';
import { nameLocation, Nullable } from '../../core/index.js';
import { compareLocality, localityKey, localityResolver, type Locality } from '../locality.js';
import { IdParams } from '../schemas.js';
import { INSTRUMENT_STATES, isConforming, isNeverVerified, offlineRuleOf, statesOf } from '../states.js';
import { mustFindInstrument } from '../lookups.js';
import { alertFilter } from '../auth/tenant.js';

const StateRow = Type.Object({
  id: Type.String(),
  org: Type.String(),
  kind: Nullable(Type.String()),
  name: Nullable(Type.String()),
  serial: Nullable(Type.String()),
  lab: Nullable(Type.String()),
  site: Nullable(Type.String()),
  state: Type.Union(INSTRUMENT_STATES.map((s) => Type.Literal(s))),
  online: Type.Boolean(),
  lastCalibration: Nullable(Type.Integer()),
  nextDue: Nullable(Type.Integer()),
  dueInDays: Nullable(Type.Integer()),
  openAlerts: Type.Integer(),
});

/** A place as codes and names (dashboard/locality.ts). */
const PLACE = {
  province: Nullable(Type.String({ description: 'province code (list in force since 1 July 2025, GET /admin-units)' })),
  provinceName: Nullable(Type.String()),
  commune: Nullable(Type.String({ description: 'commune, ward or special zone code' })),
  communeName: Nullable(Type.String()),
};

const Overview = Type.Object({
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'instruments per state, plus offline' }),
  total: Type.Integer(),
  conforming: Type.Integer({
    description: 'in tolerance with a verification or calibration on record (states.ts isConforming): the share "đạt yêu cầu" is conforming ÷ total',
  }),
  neverVerified: Type.Integer({ description: 'registered instruments with no verification or calibration on record' }),
  orgs: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      kind: Type.String(),
      ...PLACE,
      district: Nullable(Type.String({ description: 'history: the district entered before 1 July 2025; never used for grouping' })),
      instruments: Type.Integer(),
      sites: Type.Integer(),
    }),
  ),
  localities: Type.Array(
    Type.Object({
      ...PLACE,
      instruments: Type.Integer(),
      stations: Type.Integer(),
      orgs: Type.Integer(),
    }),
    { description: 'your instruments per province and commune where they stand (else their organisation’s), province and commune names in Vietnamese order' },
  ),
  alerts: Type.Object({ open: Type.Integer(), critical: Type.Integer(), warning: Type.Integer() }),
  items: Type.Array(StateRow, { description: 'empty with ?items=false' }),
});

/**
 * The first screen of every role (issue 7): its instruments by state, its organisations and
 * sites, its instruments per province and commune (issue 17), its open alerts; and each
 * instrument's state, due date and lab for the list filters and the calendar. Scoped to the
 * caller's tenant like every list.
 */
export const overviewRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const now = deps.now ?? Date.now;
  const offline = offlineRuleOf(deps);
  const { states } = fastify;
  app.get(
    '/overview',
    {
      schema: {
        tags: ['overview'],
        summary: 'Instruments by state (in tolerance … overdue, unregistered, offline), organisations, open alerts, and the state of every instrument you see',
        querystring: Type.Object({
          items: Type.Boolean({
            default: true,
            description: 'false: counts, organisations and alerts only (a first screen of thousands of instruments need not carry each one)',
          }),
        }),
        response: { 200: Overview },
      },
    },
    async (req) => {
      const p = req.principal!;
      const items = states.statesFor(p, now(), offline);
      const counts: Record<string, number> = Object.fromEntries([...INSTRUMENT_STATES, 'offline'].map((s) => [s, 0]));
      for (const i of items) {
        counts[i.state]!++;
        if (!i.online) counts.offline!++;
      }
      const byOrg = new Map<string, { n: number; sites: Set<string> }>();
      for (const i of items) {
        const o = byOrg.get(i.org) ?? { n: 0, sites: new Set<string>() };
        o.n++;
        if (i.site) o.sites.add(i.site.split(',')[0]!.trim());
        byOrg.set(i.org, o);
      }
      const at = localityResolver(deps.registry);
      const byPlace = new Map<string, { l: Locality; instruments: number; stations: number; orgs: Set<string> }>();
      for (const i of items) {
        const l = at(i.id, i.org);
        const key = localityKey(l);
        const g = byPlace.get(key) ?? { l, instruments: 0, stations: 0, orgs: new Set<string>() };
        g.instruments++;
        if (i.kind === 'env_station') g.stations++;
        g.orgs.add(i.org);
        byPlace.set(key, g);
      }
      const localities = [...byPlace.values()]
        .sort((a, b) => compareLocality(a.l, b.l))
        .map((g) => ({ ...g.l, instruments: g.instruments, stations: g.stations, orgs: g.orgs.size }));
      // The labs serving these instruments too (no instruments of their own): screens name a lab by its name.
      const labs = new Set(items.map((i) => i.lab).filter((l) => l !== null));
      const orgs = deps.registry
        .listOrgs()
        .filter((o) => byOrg.has(o.id) || o.id === p.org || labs.has(o.id))
        .map((o) => ({
          id: o.id,
          name: o.name,
          kind: o.kind,
          ...nameLocation(o),
          district: o.district ?? null,
          instruments: byOrg.get(o.id)?.n ?? 0,
          sites: byOrg.get(o.id)?.sites.size ?? 0,
        }));
      const scope = alertFilter(p);
      const count = (severity?: 'critical' | 'warning') => deps.registry.analytics.listAlerts({ state: 'open', ...scope, severity, limit: 1 }).total;
      const alerts = { open: count(), critical: count('critical'), warning: count('warning') };
      const conforming = items.filter(isConforming).length;
      const neverVerified = items.filter(isNeverVerified).length;
      return { counts, total: items.length, conforming, neverVerified, orgs, localities, alerts, items: req.query.items ? items : [] };
    },
  );

  // One instrument's state for its page, without the whole overview (the auth hook has checked
  // that the caller sees the instrument, as for every /instruments/:id route).
  app.get(
    '/instruments/:id/state',
    {
      schema: {
        tags: ['instruments'],
        summary: 'The state of one instrument, as the overview gives it: state, online, lab, last calibration, next due, open alerts',
        params: IdParams,
        response: { 200: StateRow, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const inst = mustFindInstrument(deps.registry, req.params.id);
      return states.stateOf(inst.id, req.principal!, now(), offline) ?? statesOf(deps.registry, req.principal!, [inst], now(), offline)[0]!;
    },
  );
};
