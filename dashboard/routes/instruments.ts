import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ID_PATTERN, MetronetError, NewId } from '../../core/index.js';
import { instrumentScope, type Principal } from '../auth/tenant.js';
import type { Channel, Instrument } from '../../store/types.js';
import { IdParams, InstrumentIn, InstrumentList, InstrumentListQuery, InstrumentView, ReadingsQuery, ReadingsView } from '../schemas.js';
import { mustFindInstrument } from '../lookups.js';
import { metrologyFactsRefusal } from '../../analytics/authority.js';
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
      const ids =
        idList === undefined
          ? undefined
          : idList
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean);
      if (ids && ids.length > MAX_IDS)
        throw new MetronetError('E_BAD_REQUEST', `ids lists ${ids.length} instruments; at most ${MAX_IDS} per request`, { field: 'ids', value: ids.length });
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
      const inst = mustFindInstrument(registry, req.params.id);
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
      const inst = mustFindInstrument(registry, req.params.id);
      const q = req.query;
      const t = now();
      const to = parseTime(q.to, t, t, 'to');
      const from = parseTime(q.from, to - HOUR, t, 'from');
      if (from >= to) throw new MetronetError('E_BAD_REQUEST', `from (${from}) must be before to (${to})`, { field: 'from', value: q.from });
      const every = q.every === undefined ? undefined : parseDuration(q.every, 'every');
      if (every !== undefined && (to - from) / every > MAX_BUCKETS) {
        throw new MetronetError('E_BAD_REQUEST', `every=${q.every} gives more than ${MAX_BUCKETS} buckets over this range; use a wider bucket`, {
          field: 'every',
          value: q.every,
        });
      }
      const channels = registry.listChannels(inst.id);
      if (q.channel !== undefined && !channels.some((c) => c.channel === q.channel)) {
        throw new MetronetError(
          'E_UNKNOWN_CHANNEL',
          `instrument ${inst.id} has no channel "${q.channel}"; it has ${channels.map((c) => c.channel).join(', ') || 'none yet'}`,
          { field: 'channel', value: q.channel },
        );
      }
      const units = new Map(channels.map((c) => [c.channel, c.unit]));
      // This registration's readings only: its owner's, from its start (an id removed or
      // reassigned before keeps the earlier holder's readings in the store, never shown here).
      const since = Math.max(from, inst.historySince ?? Number.NEGATIVE_INFINITY);
      const series =
        since >= to ? [] : await readings.query({ instrument: inst.id, channel: q.channel, from: since, to, every, limit: q.limit, org: inst.org });
      return { instrument: inst.id, from, to, every: every ?? null, series: series.map((s) => ({ ...s, unit: units.get(s.channel) ?? null })) };
    },
  );

  // Onboarding (issue 6): an organisation registers an instrument, or completes one its gateway announced.
  // Through the engine: the serving lab, interval and a stated last verification are analytics state.
  const save = (id: string, org: string, b: InstrumentIn, p: Principal) => {
    // Registration fields only: a verification or an interval is not the owner's to state (analytics/authority.ts).
    const refused = metrologyFactsRefusal({ role: p.role, org: p.org, user: p.user }, b);
    if (refused) throw MetronetError.fromIssue(refused);
    const inst = fastify.engine.registerInstrument(id, org, b);
    return view(inst, registry.listChannels(id), orgNames());
  };

  app.post(
    '/instruments',
    {
      schema: {
        tags: ['instruments'],
        summary: 'Register an instrument of your organisation',
        body: Type.Composite([Type.Object({ id: NewId('instrument id'), org: Type.String({ pattern: ID_PATTERN }) }), InstrumentIn], {
          additionalProperties: false,
        }),
        response: { 201: InstrumentView, 400: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const { id, org, ...facts } = req.body;
      const held = registry.getInstrument(id);
      if (held) throw idTaken(id, held, org);
      if (!registry.getOrg(org)) throw new MetronetError('E_BAD_REQUEST', `organisation ${org} does not exist`, { field: 'org', value: org });
      return reply.status(201).send(save(id, org, facts, req.principal!));
    },
  );

  app.put(
    '/instruments/:id',
    {
      schema: {
        tags: ['instruments'],
        summary: 'Complete an unregistered instrument (kind, name, serial, site, serving lab, interval) or change a registered one; it becomes registered',
        params: IdParams,
        body: InstrumentIn,
        response: { 200: InstrumentView, 400: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => save(req.params.id, mustFindInstrument(registry, req.params.id).org, req.body, req.principal!),
  );

  app.post(
    '/instruments/:id/reassign',
    {
      schema: {
        tags: ['instruments'],
        summary:
          'Hand an instrument id to another organisation (authority; audited): the current registration ends with a tombstone and the id starts again for `org`, unregistered, with empty history',
        params: IdParams,
        body: Type.Object({ org: Type.String({ pattern: ID_PATTERN }) }, { additionalProperties: false }),
        response: { 200: InstrumentView, 400: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const inst = mustFindInstrument(registry, req.params.id);
      const { org } = req.body;
      if (registry.getOrg(org)?.kind !== 'enterprise') {
        throw new MetronetError(
          'E_BAD_REQUEST',
          { en: `organisation "${org}" is not a registered enterprise`, vi: `tổ chức "${org}" không phải doanh nghiệp đã đăng ký` },
          { field: 'org', rule: 'enterprise', value: org },
        );
      }
      if (org === inst.org) {
        throw new MetronetError(
          'E_CONFLICT',
          { en: `instrument ${inst.id} already belongs to "${org}"`, vi: `phương tiện ${inst.id} đã thuộc về "${org}"` },
          { field: 'org', rule: 'differentOwner', value: org },
        );
      }
      const after = registry.reassignInstrument(inst.id, org, now());
      fastify.engine.states.forget(inst.id);
      return view(after, [], orgNames());
    },
  );

  app.delete(
    '/instruments/:id',
    {
      schema: {
        tags: ['instruments'],
        summary: 'Delete an instrument (admin; audited) with its channels and station facts; its readings, checks, calibrations and alerts stay',
        params: IdParams,
        response: { 204: Type.Null(), 404: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      if (!registry.deleteInstrument(req.params.id))
        throw new MetronetError('E_UNKNOWN_INSTRUMENT', `instrument "${req.params.id}" is not known`, { field: 'id', value: req.params.id });
      // The engine's running drift state described that registration.
      fastify.engine.states.forget(req.params.id);
      return reply.status(204).send(null);
    },
  );
};

/**
 * Why an id cannot be registered: it exists. Within the caller's organisation, PUT completes it;
 * held by another organisation, the refusal names nothing of it (issue 15, section 7): an id a
 * gateway announced unregistered is the authority's to reassign, a registered one likewise.
 */
function idTaken(id: string, held: Instrument, org: string): MetronetError {
  const details = { field: 'id', value: id };
  if (held.org === org) {
    return new MetronetError(
      'E_CONFLICT',
      {
        en: `instrument ${id} exists; PUT /instruments/${id} completes or changes it`,
        vi: `phương tiện ${id} đã có; dùng PUT /instruments/${id} để hoàn thiện hoặc sửa thông tin`,
      },
      { ...details, rule: 'unique' },
    );
  }
  return new MetronetError(
    'E_INSTRUMENT_HELD',
    {
      en: `instrument id ${id} is already in use in the registry${held.registration === 'unregistered' ? ' (announced by a gateway, not registered)' : ''}; if the instrument is yours, ask the authority (Chi cục TĐC) to reassign the id to your organisation`,
      vi: `mã phương tiện ${id} đã được sử dụng trong sổ đăng ký${held.registration === 'unregistered' ? ' (do một gateway khai báo, chưa đăng ký)' : ''}; nếu phương tiện thuộc về đơn vị của bạn, hãy đề nghị cơ quan quản lý (Chi cục TĐC) chuyển mã này cho đơn vị`,
    },
    { ...details, rule: 'heldByAnotherOrganisation' },
  );
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
    province: i.province ?? null,
    commune: i.commune ?? null,
    gateway: i.gateway ?? null,
    profile: i.profile ?? null,
    lastSeen: i.lastSeen ?? null,
    channels: channels.map((c) => ({ channel: c.channel, unit: c.unit, value: c.lastValue ?? null, ts: c.lastTs ?? null, status: c.lastStatus ?? null })),
  };
}
