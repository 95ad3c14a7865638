import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { ID_PATTERN, INSTRUMENT_KINDS, MetronetError, StringEnum } from '../../core/index.js';
import { instrumentScope } from '../auth/tenant.js';
import type { Channel, Instrument, Registry } from '../../store/types.js';
import type { Engine } from '../../analytics/engine.js';
import { analyticsOf } from './analytics-deps.js';
import { IdParams, InstrumentList, InstrumentListQuery, InstrumentView, ReadingsQuery, ReadingsView } from '../schemas.js';
import { parseDuration, parseTime } from '../time.js';
import type { DashboardDeps } from '../app.js';

const HOUR = 3_600_000;
/** Most buckets one readings request may produce; beyond it the client must widen `every`. */
const MAX_BUCKETS = 100_000;
/** Most ids one list request may name (`?ids=`). */
const MAX_IDS = 500;

/** Instruments with their latest values, and their readings over time. */
export const instrumentRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { registry, readings } = deps;
  const now = deps.now ?? Date.now;
  const orgNames = () => new Map(registry.listOrgs().map((o) => [o.id, o.name]));

  app.get(
    '/instruments',
    {
      schema: {
        tags: ['instruments'],
        summary: 'Instruments with their latest value per channel',
        querystring: InstrumentListQuery,
        response: { 200: InstrumentList, 400: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const { limit, offset, ids: idList, ...filter } = req.query;
      const ids = idList === undefined ? undefined : idList.split(',').map((x) => x.trim()).filter(Boolean);
      if (ids && ids.length > MAX_IDS) throw new MetronetError('E_BAD_REQUEST', `ids lists ${ids.length} instruments; at most ${MAX_IDS} per request`, { field: 'ids', value: ids.length });
      // Scoped query: the tenant filter is applied by the store, so total and paging hold too.
      const { items, total } = registry.listInstruments({ ...filter, ...(ids ? { ids } : {}), ...instrumentScope(req.principal!), limit, offset });
      const channels = registry.listChannelsOf(items.map((i) => i.id));
      const names = orgNames();
      return { items: items.map((i) => view(i, channels.get(i.id) ?? [], names)), total, limit, offset };
    },
  );

  app.get(
    '/instruments/:id',
    {
      schema: {
        tags: ['instruments'],
        summary: 'One instrument with its latest value per channel and last seen time',
        params: IdParams,
        response: { 200: InstrumentView, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const inst = mustFind(req.params.id);
      return view(inst, registry.listChannels(inst.id), orgNames());
    },
  );

  app.get(
    '/instruments/:id/readings',
    {
      schema: {
        tags: ['instruments'],
        summary: 'Readings of an instrument over [from, to), raw or in buckets of `every`',
        params: IdParams,
        querystring: ReadingsQuery,
        response: { 200: ReadingsView, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const inst = mustFind(req.params.id);
      const q = req.query;
      const t = now();
      const to = parseTime(q.to, t, t, 'to');
      const from = parseTime(q.from, to - HOUR, t, 'from');
      if (from >= to) throw new MetronetError('E_BAD_REQUEST', `from (${from}) must be before to (${to})`, { field: 'from', value: q.from });
      const every = q.every === undefined ? undefined : parseDuration(q.every, 'every');
      if (every !== undefined && (to - from) / every > MAX_BUCKETS) {
        throw new MetronetError('E_BAD_REQUEST', `every=${q.every} gives more than ${MAX_BUCKETS} buckets over this range; use a wider bucket`, { field: 'every', value: q.every });
      }
      const channels = registry.listChannels(inst.id);
      if (q.channel !== undefined && !channels.some((c) => c.channel === q.channel)) {
        throw new MetronetError('E_UNKNOWN_CHANNEL', `instrument ${inst.id} has no channel "${q.channel}"; it has ${channels.map((c) => c.channel).join(', ') || 'none yet'}`, { field: 'channel', value: q.channel });
      }
      const units = new Map(channels.map((c) => [c.channel, c.unit]));
      const series = await readings.query({ instrument: inst.id, channel: q.channel, from, to, every, limit: q.limit });
      return { instrument: inst.id, from, to, every: every ?? null, series: series.map((s) => ({ ...s, unit: units.get(s.channel) ?? null })) };
    },
  );

  // Onboarding (issue 6): an organisation registers an instrument, or completes one its gateway announced.
  const save = (id: string, org: string, b: InstrumentIn) => {
    saveInstrument(registry, analyticsOf(deps), id, org, b);
    return view(registry.getInstrument(id)!, registry.listChannels(id), orgNames());
  };

  app.post(
    '/instruments',
    { schema: { tags: ['instruments'], summary: 'Register an instrument of your organisation', body: Type.Composite([Type.Object({ id: Type.String({ pattern: ID_PATTERN }), org: Type.String({ pattern: ID_PATTERN }) }), InstrumentIn], { additionalProperties: false }), response: { 201: InstrumentView, 400: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 409: { $ref: 'Error#' } } } },
    async (req, reply) => {
      const { id, org, ...facts } = req.body;
      if (registry.getInstrument(id)) throw new MetronetError('E_CONFLICT', `instrument ${id} exists; PUT /instruments/${id} completes or changes it`, { field: 'id', value: id });
      if (!registry.getOrg(org)) throw new MetronetError('E_BAD_REQUEST', `organisation ${org} does not exist`, { field: 'org', value: org });
      return reply.status(201).send(save(id, org, facts));
    },
  );

  app.put(
    '/instruments/:id',
    { schema: { tags: ['instruments'], summary: 'Complete an unregistered instrument (kind, name, serial, site, serving lab, interval) or change a registered one; it becomes registered', params: IdParams, body: InstrumentIn, response: { 200: InstrumentView, 400: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } } } },
    async (req) => save(req.params.id, mustFind(req.params.id).org, req.body),
  );

  app.delete(
    '/instruments/:id',
    { schema: { tags: ['instruments'], summary: 'Delete an instrument (admin; audited) with its channels and station facts; its readings, checks, calibrations and alerts stay', params: IdParams, response: { 204: Type.Null(), 404: { $ref: 'Error#' } } } },
    async (req, reply) => {
      if (!registry.deleteInstrument(req.params.id)) throw new MetronetError('E_UNKNOWN_INSTRUMENT', `instrument "${req.params.id}" is not known`, { field: 'id', value: req.params.id });
      return reply.status(204).send(null);
    },
  );

  function mustFind(id: string): Instrument {
    const inst = registry.getInstrument(id);
    if (!inst) throw new MetronetError('E_UNKNOWN_INSTRUMENT', `instrument "${id}" is not known`, { field: 'id', value: id });
    return inst;
  }
};

/**
 * Registers or completes an instrument (API and `metronet admin instrument`): its facts, its
 * serving lab and interval, and a last verification stated from its certificate, recorded as a
 * verification so the due date follows from it. One transaction; each part audited.
 */
export function saveInstrument(registry: Registry, engine: Engine, id: string, org: string, b: InstrumentIn): Instrument {
  if (b.lab !== undefined && b.lab !== null && registry.getOrg(b.lab)?.kind !== 'lab') {
    throw new MetronetError('E_BAD_REQUEST', `serving lab "${b.lab}" is not a lab organisation`, { field: 'lab', value: b.lab });
  }
  const v = b.lastVerification;
  if (v && registry.analytics.getCalibrationByCertificate(v.certificate)) {
    throw new MetronetError('E_CONFLICT', `certificate "${v.certificate}" is already recorded; certificate numbers are unique`, { field: 'lastVerification.certificate', value: v.certificate });
  }
  registry.analytics.transaction(() => {
    registry.upsertInstrument({ id, org, registration: 'registered', kind: b.kind, name: b.name, serial: b.serial, site: b.site });
    if (b.lab !== undefined || b.intervalDays !== undefined) {
      const cur = registry.analytics.getService(id);
      registry.analytics.setService({ instrument: id, lab: b.lab === undefined ? (cur?.lab ?? null) : b.lab, intervalDays: b.intervalDays === undefined ? (cur?.intervalDays ?? null) : b.intervalDays });
    }
    if (v) {
      // The certificate's test points are not entered here: the record carries none, and its
      // statement says where the verification comes from.
      engine.recordCalibration(id, {
        type: 'verification', date: v.date, lab: v.lab, certificate: v.certificate, results: [], references: [],
        authorisedBy: v.authorisedBy ?? 'not stated (entered at registration)',
        statement: `Verified by ${v.lab} on certificate ${v.certificate}; entered from the certificate when the instrument was registered (test points not entered)`,
      });
    }
  });
  return registry.getInstrument(id)!;
}

function view(i: Instrument, channels: Channel[], orgNames: Map<string, string>): InstrumentView {
  return {
    id: i.id,
    org: i.org,
    orgName: orgNames.get(i.org) ?? null,
    registration: i.registration,
    kind: i.kind ?? null,
    name: i.name ?? null,
    serial: i.serial ?? null,
    site: i.site ?? null,
    gateway: i.gateway ?? null,
    profile: i.profile ?? null,
    lastSeen: i.lastSeen ?? null,
    channels: channels.map((c) => ({ channel: c.channel, unit: c.unit, value: c.lastValue ?? null, ts: c.lastTs ?? null, status: c.lastStatus ?? null })),
  };
}

const Opt = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

/** What an organisation states about its instrument; absent fields keep their value, null clears. */
export const InstrumentIn = Type.Object(
  {
    kind: StringEnum(INSTRUMENT_KINDS),
    name: Opt(Type.String({ maxLength: 200 })),
    serial: Opt(Type.String({ maxLength: 100 })),
    site: Opt(Type.String({ maxLength: 300 })),
    lab: Opt(Type.String({ pattern: ID_PATTERN, description: 'the lab that verifies or calibrates it' })),
    intervalDays: Opt(Type.Integer({ minimum: 1, maximum: 3650, description: 'verification interval override, days' })),
    lastVerification: Type.Optional(
      Type.Object(
        {
          date: Type.Integer({ minimum: 0, description: 'epoch ms of the verification' }),
          certificate: Type.String({ minLength: 1, maxLength: 100, description: 'certificate number (unique)' }),
          lab: Type.String({ pattern: ID_PATTERN, description: 'the lab that verified it' }),
          authorisedBy: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        },
        { additionalProperties: false, description: 'the last verification, recorded as a verification record: the due date follows from it' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type InstrumentIn = Static<typeof InstrumentIn>;
