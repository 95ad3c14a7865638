import { Type, type Static } from '@sinclair/typebox';
import { compile } from './validate.js';
import { Id, StringEnum, isId } from './ids.js';
import { isUnit } from './units.js';
import { preview, type Issue } from './errors.js';

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
  },
  { additionalProperties: false },
);
export type Check = Static<typeof Check>;

export const ChecksBatch = Type.Object(
  {
    v: Type.Literal(1),
    gateway: Id('gateway id; must equal the topic gateway'),
    checks: Type.Array(Check, { maxItems: LIMITS.maxChecksPerBatch }),
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
    instruments: Type.Optional(
      Type.Array(Type.Object({ instrument: Id('instrument id'), profile: Id('device profile id') }, { additionalProperties: false }), {
        maxItems: 10_000,
      }),
    ),
  },
  { additionalProperties: false },
);
export type GatewayStatus = Static<typeof GatewayStatus>;

export const validateReading = compile(Reading);
export const validateCheck = compile(Check);
export const validateGatewayStatus = compile(GatewayStatus);

/** The batch envelope alone: items are validated one by one so one bad reading spoils nothing else. */
const Envelope = Type.Object(
  {
    v: Type.Literal(1),
    gateway: Id('gateway id'),
    seq: Type.Integer({ minimum: 0 }),
    readings: Type.Array(Type.Unknown()),
  },
  { additionalProperties: false },
);
const validateEnvelope = compile(Envelope);

/** An issue about one reading of a batch: its position, and the instrument it names when readable. */
export interface ReadingIssue extends Issue {
  index?: number;
  instrument?: string;
}

export interface ParsedReadings {
  /** Envelope fields, present when the envelope itself was valid. */
  batch?: { gateway: string; seq: number; count: number };
  accepted: Reading[];
  /** Position in the batch of each accepted reading (same order), so later checks can name `readings[i]`. */
  acceptedIndex?: number[];
  rejects: ReadingIssue[];
}

export interface ParseOptions {
  now: number;
  maxFutureMs?: number;
  maxBytes?: number;
  maxReadings?: number;
  /** The gateway named by the topic; the payload must agree. */
  gateway?: string;
}

/**
 * Parses one readings message. Whole-message faults (not JSON, too large, bad envelope) reject
 * everything with one issue; otherwise each reading is judged alone and the valid rest accepted.
 * Checks here need no registry: schema, known unit, clock. Registry checks belong to ingest.
 */
export function parseReadingsMessage(payload: Buffer | string, opts: ParseOptions): ParsedReadings {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const maxBytes = opts.maxBytes ?? LIMITS.maxMessageBytes;
  if (size > maxBytes) {
    return reject({ code: 'E_PAYLOAD_TOO_LARGE', field: '(payload)', rule: 'maxBytes', value: size, message: `payload is ${size} bytes; the limit is ${maxBytes}` });
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch (err) {
    return reject({ code: 'E_MALFORMED_JSON', field: '(payload)', rule: 'json', value: preview(payload.toString(), 40), message: `payload is not valid JSON: ${(err as Error).message}` });
  }
  if (json !== null && typeof json === 'object' && 'v' in json && json.v !== 1) {
    return reject({ code: 'E_UNSUPPORTED_VERSION', field: 'v', rule: 'const', value: preview(json.v), message: `v must be 1; version ${String(preview(json.v))} is not supported` });
  }
  if (!validateEnvelope(json)) return { accepted: [], rejects: validateEnvelope.issues(json) };
  const maxReadings = opts.maxReadings ?? LIMITS.maxReadingsPerBatch;
  if (json.readings.length > maxReadings) {
    return reject({ code: 'E_TOO_MANY_READINGS', field: 'readings', rule: 'maxItems', value: json.readings.length, message: `batch has ${json.readings.length} readings; the limit is ${maxReadings}` });
  }
  if (opts.gateway !== undefined && json.gateway !== opts.gateway) {
    return reject({ code: 'E_GATEWAY_MISMATCH', field: 'gateway', rule: 'topic', value: json.gateway, message: `gateway "${json.gateway}" differs from the topic gateway "${opts.gateway}"` });
  }
  const batch = { gateway: json.gateway, seq: json.seq, count: json.readings.length };
  const accepted: Reading[] = [];
  const acceptedIndex: number[] = [];
  const rejects: ReadingIssue[] = [];
  const latest = opts.now + (opts.maxFutureMs ?? LIMITS.maxFutureMs);
  json.readings.forEach((r, i) => {
    const base = `readings[${i}]`;
    if (!validateReading(r)) {
      const instrument = namedInstrument(r);
      rejects.push(...validateReading.issues(r, base).map((issue) => ({ ...issue, index: i, ...(instrument ? { instrument } : {}) })));
      return;
    }
    if (!isUnit(r.unit)) {
      rejects.push({ code: 'E_UNKNOWN_UNIT', field: `${base}.unit`, rule: 'ucum', value: r.unit, index: i, instrument: r.instrument, message: `${base}.unit "${r.unit}" is not a known unit code` });
    } else if (r.ts > latest) {
      rejects.push({
        code: 'E_TS_IN_FUTURE', field: `${base}.ts`, rule: 'maxFuture', value: r.ts, index: i, instrument: r.instrument,
        message: `${base}.ts is ${Math.round((r.ts - opts.now) / 1000)} s ahead of the server clock; at most ${Math.round((latest - opts.now) / 1000)} s is allowed`,
      });
    } else {
      accepted.push(r);
      acceptedIndex.push(i);
    }
  });
  return { batch, accepted, acceptedIndex, rejects };
}

/** The instrument id a schema-invalid reading names, when it names a valid one (to file the reject under it). */
function namedInstrument(r: unknown): string | undefined {
  const id = r !== null && typeof r === 'object' ? (r as { instrument?: unknown }).instrument : undefined;
  return isId(id) ? id : undefined;
}

function reject(issue: Issue): ParsedReadings {
  return { accepted: [], rejects: [issue] };
}
