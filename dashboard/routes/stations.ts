import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import {
  AVERAGING_PERIODS,
  ID_PATTERN,
  LIMIT_SETS,
  MetronetError,
  Nullable,
  OVERRIDE_PERIODS,
  READING_STATUSES,
  STATION_MEDIA,
  StationSettings,
  StringEnum,
  effectiveLimits,
  formatStationFiles,
  type StationLimit,
  type StationRecord,
} from '../../core/index.js';
import type { StationSummary } from '../../analytics/station-monitor.js';
import type { StationRow } from '../../store/index.js';
import { canSeeInstrument, notFound } from '../auth/tenant.js';
import { IdParams } from '../schemas.js';
import { parseTime } from '../time.js';
import type { DashboardDeps } from '../app.js';

/**
 * Environmental stations (issue 8): state, completeness, latest values with suspect flags,
 * rolling averages and exceedances; one station's daily completeness and limits; export of its
 * records as the text files stations transmit (core/station-file.ts). Response schemas name
 * station fields only, so nothing else leaks through them.
 */
const CompletenessView = Type.Object({
  expected: Type.Integer(),
  received: Type.Integer({ description: 'valid (ok) records' }),
  check: Type.Integer({ description: 'records taken while calibrating' }),
  fault: Type.Integer({ description: 'records in device error' }),
  other: Type.Integer(),
  ratio: Nullable(Type.Number({ description: 'received ÷ expected, at most 1' })),
});

const AverageView = Type.Object({
  period: StringEnum(AVERAGING_PERIODS, { description: 'clock hour, 8-hour running, calendar day, calendar year (ICT)' }),
  from: Type.Integer(),
  to: Type.Integer(),
  n: Type.Integer({ description: 'records (1h), hourly means (8h, 24h) or daily means (1y) used' }),
  expected: Type.Integer(),
  mean: Nullable(Type.Number()),
  final: Type.Optional(Type.Boolean({ description: 'false while the calendar day or year is still running' })),
  unit: Type.Optional(Type.String({ description: "the limit's unit" })),
  conversion: Type.Optional(
    Type.Object({
      from: Type.String(),
      factor: Type.Number(),
      conditions: Type.Optional(Type.String({ description: 'reference conditions and their evidence' })),
    }),
  ),
});

const UnitRefusalView = Type.Object({
  parameter: Type.String(),
  period: StringEnum(AVERAGING_PERIODS),
  unit: Type.String({ description: "the channel's unit" }),
  limitUnit: Type.String(),
  reason: Type.String(),
  reasonVi: Type.String(),
});

const ExceedanceView = Type.Object({
  parameter: Type.String(),
  period: StringEnum(AVERAGING_PERIODS),
  value: Type.Number({ description: 'average over the period' }),
  limit: Type.Number(),
  bound: StringEnum(['max', 'min'] as const),
  unit: Type.String(),
  source: Type.String(),
  clause: Type.Optional(Type.String()),
  from: Type.Integer(),
  to: Type.Integer(),
  final: Type.Optional(Type.Boolean({ description: 'false: the calendar period is still running (provisional)' })),
});

const ParameterView = Type.Object({
  channel: Type.String(),
  unit: Type.String(),
  value: Nullable(Type.Number()),
  ts: Nullable(Type.Integer()),
  status: Nullable(StringEnum(READING_STATUSES)),
  suspect: Type.Boolean({ description: 'analyser out of control: data since suspectSince are suspect and left out of averages' }),
  suspectSince: Nullable(Type.Integer()),
  completeness: CompletenessView,
  averages: Type.Array(AverageView),
  limitRatio: Nullable(Type.Number({ description: 'worst average ÷ limit; ≥ 1 exceeds' })),
});

const StationView = Type.Object({
  id: Type.String(),
  org: Type.String(),
  name: Nullable(Type.String()),
  site: Nullable(Type.String()),
  medium: StringEnum(STATION_MEDIA),
  latitude: Type.Number(),
  longitude: Type.Number(),
  intervalMs: Type.Integer(),
  toleranceMs: Type.Integer(),
  limitSet: Type.String(),
  state: StringEnum(['online', 'calibrating', 'fault', 'gap', 'no_data'] as const),
  lastTs: Nullable(Type.Integer()),
  day: Type.String({ description: 'Vietnam-local day of completeness (YYYY-MM-DD)' }),
  completeness: CompletenessView,
  parameters: Type.Array(ParameterView),
  exceedances: Type.Array(ExceedanceView),
  unitRefusals: Type.Array(UnitRefusalView, { description: "limits not judged: the channel's unit cannot be compared with the limit's" }),
});
type StationView = Static<typeof StationView>;

const LimitView = Type.Object({
  parameter: Type.String(),
  period: StringEnum(AVERAGING_PERIODS),
  max: Type.Number(),
  min: Type.Optional(Type.Number()),
  unit: Type.String(),
  source: Type.String(),
  clause: Type.Optional(Type.String()),
  evidence: Type.Optional(Type.String()),
  note: Type.Optional(Type.String()),
});

const AqiCategoryView = Type.Object({ key: Type.String(), vi: Type.String(), en: Type.String(), hex: Type.String() });
const AqiView = Type.Object({
  station: Type.String(),
  period: StringEnum(['hour', 'day'] as const),
  from: Type.Integer(),
  to: Type.Integer(),
  aqi: Nullable(Type.Integer({ description: 'VN_AQI: the largest parameter index; null without PM10 or PM2.5' })),
  category: Nullable(AqiCategoryView),
  main: Type.Array(Type.String()),
  parameters: Type.Array(
    Type.Object({
      parameter: Type.String({ description: 'breakpoint column (o3_1h, o3_8h, co, so2, no2, pm10, pm25)' }),
      channel: Type.String(),
      basis: StringEnum(['nowcast', '1h', '24h', 'max1h', 'max8h'] as const),
      concentration: Type.Number({ description: 'µg/m³' }),
      aqi: Type.Integer(),
    }),
  ),
  missing: Type.Array(Type.Object({ channel: Type.String(), reason: Type.String() })),
  source: Type.String(),
  evidence: Type.String(),
});

const StationDetail = Type.Intersect([
  StationView,
  Type.Object({
    limits: Type.Array(LimitView),
    daily: Type.Array(Type.Object({ day: Type.String(), total: CompletenessView, parameters: Type.Record(Type.String(), CompletenessView) })),
  }),
]);

const ExportQuery = Type.Object({
  from: Type.Optional(Type.String({ maxLength: 40, description: 'default -1h' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'default now' })),
  province: Type.String({ pattern: '^[A-Za-z0-9-]{1,32}$', default: 'BT', description: 'province code in file names' }),
  facility: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' })),
});

const ExportView = Type.Object({
  station: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  layout: Type.String({ description: 'the file layout is a configurable template; the official layout is not confirmed' }),
  files: Type.Array(Type.Object({ name: Type.String(), text: Type.String() })),
});

/** A station's facts as the owner edits them: absent fields keep their value (PUT /stations/{id}). */
const StationPut = Type.Partial(StationSettings, { additionalProperties: false, minProperties: 1 });
const StationFacts = Type.Object({
  id: Type.String(),
  medium: StringEnum(STATION_MEDIA),
  latitude: Type.Number(),
  longitude: Type.Number(),
  intervalMs: Type.Integer(),
  toleranceMs: Type.Integer(),
  limitSet: Type.String(),
});

const LimitIn = Type.Object(
  {
    parameter: Type.String({ pattern: ID_PATTERN, description: 'channel name, e.g. so2' }),
    period: StringEnum(OVERRIDE_PERIODS, { description: 'annual limits come from the limit set; overriding them needs a registry migration' }),
    max: Type.Number(),
    min: Type.Optional(Type.Number({ description: 'lower bound, e.g. pH' })),
    unit: Type.String({ minLength: 1, maxLength: 16 }),
    source: Type.String({ minLength: 1, maxLength: 200, description: 'the permit or regulation the limit comes from' }),
  },
  { additionalProperties: false },
);
const LimitsPut = Type.Object(
  { limits: Type.Array(LimitIn, { maxItems: 200, description: 'the complete set of overrides; [] removes them all' }) },
  { additionalProperties: false },
);
const LimitsView = Type.Object({
  station: Type.String(),
  overrides: Type.Array(LimitView),
  limits: Type.Array(LimitView, { description: 'the limits in force: the limit set with the overrides applied' }),
});

const HOUR = 3_600_000;
const MAX_EXPORT_MS = 31 * 24 * HOUR;

export const stationRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const now = deps.now ?? Date.now;

  const mustFind = (id: string): StationRow => {
    const s = deps.registry.stations.getStation(id);
    if (!s) throw notFound('station', id);
    return s;
  };

  app.get(
    '/stations',
    {
      schema: {
        tags: ['stations'],
        summary: 'Environmental stations: state, completeness today, latest values, averages and exceedances',
        querystring: Type.Object({ org: Type.Optional(Type.String({ pattern: ID_PATTERN })) }),
        response: { 200: Type.Object({ items: Type.Array(StationView), total: Type.Integer() }), 400: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const m = fastify.stations;
      const items: StationView[] = [];
      // Scoped before counting: `total` is the caller's stations, never the network's.
      const p = req.principal!;
      const visible = (s: StationRow) => {
        const inst = deps.registry.getInstrument(s.instrument);
        return !!inst && canSeeInstrument(deps.registry, p, inst);
      };
      for (const s of m.stations(req.query.org).filter(visible)) {
        const sum = await m.summary(s);
        if (sum) items.push(view(sum));
      }
      return { items, total: items.length };
    },
  );

  app.get(
    '/stations/:id',
    {
      schema: {
        tags: ['stations'],
        summary: 'One station with its limits and completeness per day',
        params: IdParams,
        querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 62, default: 7 }) }),
        response: { 200: StationDetail, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const s = mustFind(req.params.id);
      const m = fastify.stations;
      const sum = await m.summary(s);
      if (!sum) throw new MetronetError('E_UNKNOWN_STATION', `station "${s.instrument}" has no instrument`);
      return {
        ...view(sum),
        limits: effectiveLimits(s.limitSet, deps.registry.stations.limitOverrides(s.instrument)),
        daily: await m.dailyCompleteness(s, req.query.days),
      };
    },
  );

  app.put(
    '/stations/:id',
    {
      schema: {
        tags: ['stations'],
        summary: "Change a station's facts: position, medium, expected record interval, gap tolerance, limit set (owner or admin; audited)",
        params: IdParams,
        body: StationPut,
        response: { 200: StationFacts, 400: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const cur = mustFind(req.params.id);
      const b = req.body;
      if (b.limitSet !== undefined && !(b.limitSet in LIMIT_SETS)) {
        throw new MetronetError('E_BAD_REQUEST', `limit set "${b.limitSet}" is not known; known: ${Object.keys(LIMIT_SETS).join(', ')}`, {
          field: 'limitSet',
          value: b.limitSet,
        });
      }
      const { instrument, ...saved } = deps.registry.stations.updateStation({ ...cur, ...b, instrument: cur.instrument });
      return { id: instrument, ...saved };
    },
  );

  app.put(
    '/stations/:id/limits',
    {
      schema: {
        tags: ['stations'],
        summary: "Replace the station's limit overrides, per parameter and averaging period (owner or admin; audited)",
        params: IdParams,
        body: LimitsPut,
        response: { 200: LimitsView, 400: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const s = mustFind(req.params.id);
      const seen = new Set<string>();
      req.body.limits.forEach((l, i) => {
        const key = `${l.parameter}|${l.period}`;
        if (seen.has(key))
          throw new MetronetError('E_BAD_REQUEST', `limits[${i}]: ${l.parameter} over ${l.period} is given twice`, { field: `limits[${i}]`, value: key });
        seen.add(key);
        if (l.min !== undefined && l.min > l.max)
          throw new MetronetError('E_BAD_REQUEST', `limits[${i}]: min ${l.min} is above max ${l.max}`, { field: `limits[${i}].min`, value: l.min });
      });
      const overrides = deps.registry.stations.replaceLimits(s.instrument, req.body.limits as StationLimit[]);
      return { station: s.instrument, overrides, limits: effectiveLimits(s.limitSet, overrides) };
    },
  );

  app.get(
    '/stations/:id/aqi',
    {
      schema: {
        tags: ['stations'],
        summary: 'VN_AQI of an air station (Decision 1459/QĐ-TCMT): the last complete clock hour, or the last complete calendar day',
        params: IdParams,
        querystring: Type.Object({
          period: StringEnum(['hour', 'day'] as const, { default: 'hour' }),
          at: Type.Optional(Type.String({ maxLength: 40, description: 'default now: the hour ending at or before it, or the day before the one holding it' })),
        }),
        response: { 200: AqiView, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const s = mustFind(req.params.id);
      if (s.medium !== 'air')
        throw new MetronetError(
          'E_BAD_REQUEST',
          {
            en: `station "${s.instrument}" does not measure ambient air: VN_AQI is for air stations`,
            vi: `trạm "${s.instrument}" không quan trắc không khí xung quanh: chỉ số VN_AQI chỉ áp dụng cho trạm không khí`,
          },
          { field: 'id', value: s.instrument, rule: 'medium' },
        );
      const t = now();
      const at = parseTime(req.query.at, t, t, 'at');
      // The schema (AqiView) keeps the category's key, names and colour, as the MQTT message does.
      return { station: s.instrument, ...(await fastify.stations.aqi(s, req.query.period, at)) };
    },
  );

  app.get(
    '/stations/:id/export',
    {
      schema: {
        tags: ['stations'],
        summary: 'Records over [from, to) as the text files stations transmit (Circular 10/2021/TT-BTNMT; layout template, not confirmed)',
        params: IdParams,
        querystring: ExportQuery,
        response: { 200: ExportView, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const s = mustFind(req.params.id);
      const t = now();
      const to = parseTime(req.query.to, t, t, 'to');
      const from = parseTime(req.query.from, to - HOUR, t, 'from');
      if (from >= to || to - from > MAX_EXPORT_MS)
        throw new MetronetError('E_BAD_REQUEST', `from must be before to, at most 31 days apart`, { field: 'from', value: req.query.from });
      const inst = deps.registry.getInstrument(s.instrument)!;
      const units = new Map(deps.registry.listChannels(s.instrument).map((c) => [c.channel, c.unit]));
      const series = await deps.readings.query({ instrument: s.instrument, from, to });
      const records: StationRecord[] = series.flatMap((x) =>
        x.points.map((p) => ({ channel: x.channel, value: p.value, unit: units.get(x.channel) ?? '1', ts: p.ts, status: p.status ?? 'ok' })),
      );
      const code = (x: string) => x.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
      const files = formatStationFiles(records, { province: req.query.province, facility: code(req.query.facility ?? inst.org), station: code(s.instrument) });
      return {
        station: s.instrument,
        from,
        to,
        layout:
          'default template of core/station-file.ts (tab-separated parameter, value, unit, time YYYYMMDDhhmmss UTC+7, status 00/01/02); not confirmed against the official annex',
        files,
      };
    },
  );
};

function view(s: StationSummary): StationView {
  return {
    id: s.instrument.id,
    org: s.instrument.org,
    name: s.instrument.name ?? null,
    site: s.instrument.site ?? null,
    medium: s.station.medium,
    latitude: s.station.latitude,
    longitude: s.station.longitude,
    intervalMs: s.station.intervalMs,
    toleranceMs: s.station.toleranceMs,
    limitSet: s.station.limitSet,
    state: s.state,
    lastTs: s.lastTs,
    day: s.day,
    completeness: s.completeness,
    parameters: s.parameters,
    exceedances: s.exceedances,
    unitRefusals: s.unitRefusals,
  };
}
