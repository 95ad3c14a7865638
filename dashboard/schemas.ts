import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, INSTRUMENT_KINDS, READING_STATUSES, StringEnum } from '../core/index.js';

/** Response and request schemas of the REST API: validation, serialisation (no field leaks) and OpenAPI. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable code from the error catalogue, e.g. E_UNKNOWN_INSTRUMENT' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error' },
);

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const ChannelView = Type.Object({
  channel: Type.String(),
  unit: Type.String(),
  value: Nullable(Type.Number()),
  ts: Nullable(Type.Integer({ description: 'epoch ms of the latest reading' })),
  status: Nullable(StringEnum(READING_STATUSES)),
});

export const InstrumentView = Type.Object({
  id: Type.String(),
  org: Type.String(),
  orgName: Nullable(Type.String()),
  registration: StringEnum(['registered', 'unregistered'] as const),
  kind: Nullable(StringEnum(INSTRUMENT_KINDS)),
  name: Nullable(Type.String()),
  serial: Nullable(Type.String()),
  site: Nullable(Type.String()),
  gateway: Nullable(Type.String()),
  profile: Nullable(Type.String()),
  lastSeen: Nullable(Type.Integer()),
  channels: Type.Array(ChannelView),
});
export type InstrumentView = Static<typeof InstrumentView>;

export const InstrumentList = Type.Object({
  items: Type.Array(InstrumentView),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const InstrumentListQuery = Type.Object({
  org: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  kind: Type.Optional(StringEnum(INSTRUMENT_KINDS)),
  registration: Type.Optional(StringEnum(['registered', 'unregistered'] as const)),
  q: Type.Optional(Type.String({ maxLength: 100 })),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

export const IdParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });

export const TimeParam = Type.String({
  description: 'epoch milliseconds, or an ISO 8601 date-time, or relative to now: -15m, -24h, -30d',
  maxLength: 40,
});

export const ReadingsQuery = Type.Object({
  channel: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  from: Type.Optional(TimeParam),
  to: Type.Optional(TimeParam),
  every: Type.Optional(Type.String({ pattern: '^\\d+(ms|s|m|h|d)?$', description: 'bucket width: 500ms, 10s, 5m, 1h, 1d (bare number = ms)' })),
  limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 }),
});

export const ReadingPointView = Type.Object({
  ts: Type.Integer(),
  value: Type.Number(),
  status: Type.Optional(StringEnum(READING_STATUSES)),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  count: Type.Optional(Type.Integer()),
});

export const ReadingsView = Type.Object({
  instrument: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  every: Nullable(Type.Integer({ description: 'bucket width in ms, null for raw points' })),
  series: Type.Array(Type.Object({ channel: Type.String(), unit: Nullable(Type.String()), points: Type.Array(ReadingPointView) })),
});

export const Health = Type.Object({
  status: StringEnum(['ok', 'degraded'] as const),
  version: Type.String(),
  uptimeS: Type.Number(),
  checks: Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) })),
});
