import { Type } from '@sinclair/typebox';
import { compile } from './validate.js';
import { ID_PATTERN, isId } from './ids.js';
import { isUnit } from './units.js';
import type { Issue } from './errors.js';
import { openEnvelope } from './envelope.js';
import {
  ChecksBatch,
  LIMITS,
  READING_STATUSES,
  ReadingsBatch,
  validateCheck,
  validateGatewayStatus,
  validateReading,
  type Check,
  type GatewayStatus,
  type Reading,
} from './payloads.js';

/**
 * One parser per gateway payload kind (readings, checks, status), each opening the message with
 * the one envelope parser (core/envelope.ts: size, JSON, version, schema, topic gateway) and then,
 * for a batch, judging each item alone so that one bad item spoils nothing else. Checks here need
 * no registry; registry checks belong to ingest and analytics.
 */

/**
 * A batch schema with its items left unchecked (judged one by one afterwards); everything else,
 * bounds included, is the batch schema's own.
 */
const ReadingsEnvelope = Type.Object({ ...ReadingsBatch.properties, readings: Type.Array(Type.Unknown()) }, { additionalProperties: false });
const ChecksEnvelope = Type.Object(
  { ...ChecksBatch.properties, checks: Type.Array(Type.Unknown(), { maxItems: ChecksBatch.properties.checks.maxItems }) },
  { additionalProperties: false },
);
const validateReadingsEnvelope = compile(ReadingsEnvelope);
const validateChecksEnvelope = compile(ChecksEnvelope);

/** An issue about one item of a batch: its position, and the instrument it names when readable. */
export interface ItemIssue extends Issue {
  index?: number;
  instrument?: string;
}

export interface ParsedReadings {
  /** Envelope fields, present when the envelope itself was valid. */
  batch?: { gateway: string; seq: number; count: number };
  accepted: Reading[];
  /** Position in the batch of each accepted reading (same order), so later checks can name `readings[i]`. */
  acceptedIndex?: number[];
  rejects: ItemIssue[];
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
 * Parses one readings message. Whole-message faults (see openEnvelope; more than maxReadings,
 * E_TOO_MANY_READINGS) reject everything with one issue; otherwise each reading is judged alone
 * (schema, known unit, clock) and the valid rest accepted.
 */
export function parseReadingsMessage(payload: Buffer | string, opts: ParseOptions): ParsedReadings {
  const env = openEnvelope(payload, { kind: 'readings', schema: validateReadingsEnvelope, maxBytes: opts.maxBytes, gateway: opts.gateway });
  if (!env.ok) return { accepted: [], rejects: env.issues };
  const json = env.value;
  const maxReadings = opts.maxReadings ?? LIMITS.maxReadingsPerBatch;
  if (json.readings.length > maxReadings) {
    const issue: Issue = {
      code: 'E_TOO_MANY_READINGS',
      field: 'readings',
      rule: 'maxItems',
      value: json.readings.length,
      message: `readings payload has ${json.readings.length} readings; the limit is ${maxReadings}`,
    };
    return { accepted: [], rejects: [issue] };
  }
  const batch = { gateway: json.gateway, seq: json.seq, count: json.readings.length };
  const accepted: Reading[] = [];
  const acceptedIndex: number[] = [];
  const rejects: ItemIssue[] = [];
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
      rejects.push({
        code: 'E_UNKNOWN_UNIT',
        field: `${base}.unit`,
        rule: 'ucum',
        value: ok.unit,
        index: i,
        instrument: ok.instrument,
        message: `${base}.unit "${ok.unit}" is not a known unit code`,
      });
    } else if (ok.ts > latest) {
      const base = `readings[${i}]`;
      rejects.push({
        code: 'E_TS_IN_FUTURE',
        field: `${base}.ts`,
        rule: 'maxFuture',
        value: ok.ts,
        index: i,
        instrument: ok.instrument,
        message: `${base}.ts is ${Math.round((ok.ts - opts.now) / 1000)} s ahead of the server clock; at most ${Math.round((latest - opts.now) / 1000)} s is allowed`,
      });
    } else {
      accepted.push(ok);
      acceptedIndex.push(i);
    }
  }
  return { batch, accepted, acceptedIndex, rejects };
}

export interface ParsedChecks {
  /** Envelope fields, present when the envelope itself was valid. */
  batch?: { gateway: string; count: number; idempotencyKey?: string };
  accepted: Check[];
  /** Position in the batch of each accepted check (same order), so later rejects can name `checks[i]`. */
  acceptedIndex: number[];
  rejects: ItemIssue[];
}

/**
 * Parses one checks message (`metronet/v1/{org}/{gateway}/checks`) against the ChecksBatch
 * schema: the envelope as a whole (at most LIMITS.maxChecksPerBatch checks), then each check
 * alone, its issues named `checks[i].field`; the valid rest is accepted.
 */
export function parseChecksMessage(payload: Buffer | string, opts: { gateway?: string; maxBytes?: number } = {}): ParsedChecks {
  const env = openEnvelope(payload, { kind: 'checks', schema: validateChecksEnvelope, maxBytes: opts.maxBytes, gateway: opts.gateway });
  if (!env.ok) return { accepted: [], acceptedIndex: [], rejects: env.issues };
  const { gateway, checks, idempotencyKey } = env.value;
  const batch = { gateway, count: checks.length, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) };
  const out: ParsedChecks = { batch, accepted: [], acceptedIndex: [], rejects: [] };
  checks.forEach((c, i) => {
    if (validateCheck(c)) {
      out.accepted.push(c);
      out.acceptedIndex.push(i);
      return;
    }
    const instrument = namedInstrument(c);
    for (const issue of validateCheck.issues(c, `checks[${i}]`)) out.rejects.push({ ...issue, index: i, ...(instrument ? { instrument } : {}) });
  });
  return out;
}

/** Parses one gateway status (`metronet/v1/{org}/{gateway}/status`): the whole payload is its envelope. */
export function parseStatusMessage(payload: Buffer | string, opts: { gateway?: string; maxBytes?: number } = {}): { status?: GatewayStatus; rejects: Issue[] } {
  const env = openEnvelope(payload, { kind: 'status', schema: validateGatewayStatus, maxBytes: opts.maxBytes, gateway: opts.gateway });
  return env.ok ? { status: env.value, rejects: [] } : { rejects: env.issues };
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
    typeof ts === 'number' &&
    Number.isInteger(ts) &&
    ts >= 0 &&
    ts <= MAX_EPOCH_MS &&
    typeof value === 'number' &&
    Number.isFinite(value) &&
    typeof unit === 'string' &&
    unit.length >= 1 &&
    unit.length <= 16 &&
    STATUSES.has(status) &&
    typeof instrument === 'string' &&
    ID_RE.test(instrument) &&
    typeof channel === 'string' &&
    ID_RE.test(channel)
  );
}

/** The instrument id a schema-invalid item names, when it names a valid one (to file the reject under it). */
function namedInstrument(r: unknown): string | undefined {
  const id = r !== null && typeof r === 'object' ? (r as { instrument?: unknown }).instrument : undefined;
  return isId(id) ? id : undefined;
}
