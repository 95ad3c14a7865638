import { Type, type Static } from '@sinclair/typebox';
import { compile } from './validate.js';
import { Id, StringEnum } from './ids.js';

/** Bounds from the MQTT contract (ARCHITECTURE.md). Servers may lower them, never raise. */
export const LIMITS = {
  maxMessageBytes: 256 * 1024,
  maxReadingsPerBatch: 5000,
  maxChecksPerBatch: 5000,
  maxFutureMs: 5 * 60 * 1000,
} as const;

export const READING_STATUSES = ['ok', 'check', 'fault', 'unstable', 'overload', 'maintenance'] as const;
export const ReadingStatus = StringEnum(READING_STATUSES, {
  description: 'ok · check (during a check or zero/span cycle) · fault · unstable (scale in motion) · overload · maintenance',
});
export type ReadingStatus = Static<typeof ReadingStatus>;

const EpochMs = Type.Integer({ minimum: 0, maximum: 8.64e15, description: 'epoch milliseconds, UTC, when the device was read' });

export const Reading = Type.Object(
  {
    instrument: Id('instrument id'),
    channel: Id('channel of the instrument, e.g. mass or n1_totaliser'),
    ts: EpochMs,
    value: Type.Number(),
    unit: Type.String({ minLength: 1, maxLength: 16, description: 'UCUM-style unit code' }),
    status: ReadingStatus,
  },
  { additionalProperties: false },
);
export type Reading = Static<typeof Reading>;

export const ReadingsBatch = Type.Object(
  {
    v: Type.Literal(1),
    gateway: Id('gateway id; must equal the topic gateway'),
    seq: Type.Integer({ minimum: 0, description: 'per-gateway batch counter that survives restarts' }),
    readings: Type.Array(Reading, { maxItems: LIMITS.maxReadingsPerBatch }),
  },
  { additionalProperties: false },
);
export type ReadingsBatch = Static<typeof ReadingsBatch>;

export const Check = Type.Object(
  {
    instrument: Id('instrument id'),
    channel: Id('channel checked'),
    ts: EpochMs,
    reference: Type.Optional(Id('reference standard id from the registry')),
    referenceValue: Type.Optional(Type.Number({ description: 'conventional value when no registry standard is named' })),
    referenceU: Type.Optional(Type.Number({ minimum: 0, description: 'expanded uncertainty (k=2) of referenceValue' })),
    indicated: Type.Number({ description: 'value the instrument indicated' }),
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z0-9._:-]+$',
        description: "client-supplied check id: part of the check's identity with (instrument, channel, ts, reference, reference value)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type Check = Static<typeof Check>;

/** An idempotency key: a repeated submission under the same key is answered as a duplicate (issue 15). */
export const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:-]+$',
  description: 'idempotency key of the submission: the same key again is recognised as a repeat and changes nothing',
});

export const ChecksBatch = Type.Object(
  {
    v: Type.Literal(1),
    gateway: Id('gateway id; must equal the topic gateway'),
    checks: Type.Array(Check, { maxItems: LIMITS.maxChecksPerBatch }),
    idempotencyKey: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false },
);
export type ChecksBatch = Static<typeof ChecksBatch>;

export const GatewayStatus = Type.Object(
  {
    v: Type.Literal(1),
    gateway: Id('gateway id'),
    state: StringEnum(['online', 'offline'] as const),
    ts: EpochMs,
    version: Type.Optional(Type.String({ maxLength: 64 })),
    spool: Type.Optional(
      Type.Object(
        {
          depth: Type.Integer({ minimum: 0, description: 'readings waiting in the on-disk spool' }),
          full: Type.Boolean({ description: 'the spool is at its limit and its full policy is losing readings' }),
          dropped: Type.Integer({ minimum: 0, description: 'readings lost to the full policy since the gateway started' }),
        },
        { additionalProperties: false, description: 'store-and-forward state (an addition to the ARCHITECTURE status payload)' },
      ),
    ),
    instruments: Type.Optional(
      Type.Array(Type.Object({ instrument: Id('instrument id'), profile: Id('device profile id') }, { additionalProperties: false }), {
        maxItems: 10_000,
      }),
    ),
  },
  { additionalProperties: false },
);
export type GatewayStatus = Static<typeof GatewayStatus>;

/**
 * ingest → one gateway on `metronet/v1/{org}/{gateway}/rejects` (issue 4): why readings of one
 * readings batch were refused, once the rest of it is stored. At most 20 reasons are listed;
 * `rejected` counts them all, and every one is in `GET /api/v1/rejects`.
 */
export const RejectsNotice = Type.Object(
  {
    v: Type.Literal(1),
    gateway: Id('gateway id'),
    seq: Type.Optional(Type.Integer({ minimum: 0, description: 'seq of the readings batch these rejects belong to' })),
    ts: EpochMs,
    rejected: Type.Integer({ minimum: 0, description: 'issues in that batch' }),
    reasons: Type.Array(
      Type.Object(
        {
          code: Type.String(),
          message: Type.String(),
          field: Type.Optional(Type.String()),
          value: Type.Optional(Type.Unknown()),
          instrument: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
      { maxItems: 20 },
    ),
  },
  { additionalProperties: false },
);
export type RejectsNotice = Static<typeof RejectsNotice>;

// Whole messages are parsed by core/messages.ts (envelope: core/envelope.ts) with these validators.
export const validateReading = compile(Reading);
export const validateCheck = compile(Check);
export const validateGatewayStatus = compile(GatewayStatus);
