import { Type, type Static } from '@sinclair/typebox';
import { compile } from './validate.js';
import { ID_PATTERN, Id, StringEnum, isId } from './ids.js';
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
  const items = json.readings;
  for (let i = 0; i < items.length; i++) {
    const r = items[i];
    // Most readings have the contract's exact shape: a cheap check that implies the schema holds
    // (never accepts what the schema refuses); anything else goes to the schema validator, which
    // decides and names the issues.
    if (!isPlainReading(r) && !validateReading(r)) {
      const base = `readings[${i}]`;
      const instrument = namedInstrument(r);
      for (const issue of validateReading.issues(r, base)) rejects.push({ ...issue, index: i, ...(instrument ? { instrument } : {}) });
      continue;
    }
    const ok = r as Reading;
    if (!isUnit(ok.unit)) {
      const base = `readings[${i}]`;
      rejects.push({ code: 'E_UNKNOWN_UNIT', field: `${base}.unit`, rule: 'ucum', value: ok.unit, index: i, instrument: ok.instrument, message: `${base}.unit "${ok.unit}" is not a known unit code` });
    } else if (ok.ts > latest) {
      const base = `readings[${i}]`;
      rejects.push({
        code: 'E_TS_IN_FUTURE', field: `${base}.ts`, rule: 'maxFuture', value: ok.ts, index: i, instrument: ok.instrument,
        message: `${base}.ts is ${Math.round((ok.ts - opts.now) / 1000)} s ahead of the server clock; at most ${Math.round((latest - opts.now) / 1000)} s is allowed`,
      });
    } else {
      accepted.push(ok);
      acceptedIndex.push(i);
    }
  }
  return { batch, accepted, acceptedIndex, rejects };
}

const STATUSES: ReadonlySet<unknown> = new Set(READING_STATUSES);
const ID_RE = new RegExp(ID_PATTERN);
const MAX_EPOCH_MS = 8.64e15;

/**
 * True only for a reading that the `Reading` schema accepts: exactly its six fields, ids matching
 * the id pattern, an integer ts in range, a finite value, a unit of 1–16 UTF-16 units (so 1–16
 * code points), a known status. False means "ask the schema", not "invalid".
 */
function isPlainReading(r: unknown): boolean {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return false;
  const o = r as Record<string, unknown>;
  let keys = 0;
  for (const _ in o) keys++;
  if (keys !== 6) return false;
  const { instrument, channel, ts, value, unit, status } = o;
  return (
    typeof ts === 'number' && Number.isInteger(ts) && ts >= 0 && ts <= MAX_EPOCH_MS &&
    typeof value === 'number' && Number.isFinite(value) &&
    typeof unit === 'string' && unit.length >= 1 && unit.length <= 16 &&
    STATUSES.has(status) &&
    typeof instrument === 'string' && ID_RE.test(instrument) &&
    typeof channel === 'string' && ID_RE.test(channel)
  );
}

/** The instrument id a schema-invalid reading names, when it names a valid one (to file the reject under it). */
function namedInstrument(r: unknown): string | undefined {
  const id = r !== null && typeof r === 'object' ? (r as { instrument?: unknown }).instrument : undefined;
  return isId(id) ? id : undefined;
}

function reject(issue: Issue): ParsedReadings {
  return { accepted: [], rejects: [issue] };
}
