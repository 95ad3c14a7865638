import { isInstance } from './guards.js';

/**
 * The one catalogue of error codes used by ingest rejects, API errors, config and profile
 * loading, and logs. A code never changes meaning once released; add new ones instead.
 */
export const ERRORS = {
  // payloads and topics
  E_MALFORMED_JSON: { status: 400, text: 'payload is not valid UTF-8 JSON' },
  E_PAYLOAD_TOO_LARGE: { status: 413, text: 'payload exceeds the size limit' },
  E_TOO_MANY_READINGS: { status: 413, text: 'batch exceeds the readings limit' },
  E_UNSUPPORTED_VERSION: { status: 400, text: 'payload version is not supported' },
  E_SCHEMA: { status: 400, text: 'a field breaks the payload schema' },
  E_TOPIC_INVALID: { status: 400, text: 'topic does not follow metronet/v1/{org}/{gateway}/{kind}' },
  E_GATEWAY_MISMATCH: { status: 400, text: 'payload gateway differs from the topic gateway' },
  E_TS_IN_FUTURE: { status: 400, text: 'timestamp is too far ahead of the server clock' },
  E_CLOCK_SKEW: { status: 400, text: "the gateway's clock differs from the server clock by more than the allowed skew" },
  E_UNKNOWN_UNIT: { status: 400, text: 'unit is not a known UCUM-style code' },
  E_UNIT_MISMATCH: { status: 400, text: 'unit differs from the unit registered for the channel' },
  E_FOREIGN_INSTRUMENT: { status: 403, text: 'instrument belongs to another organisation' },
  // resources
  E_BAD_REQUEST: { status: 400, text: 'request is invalid' },
  E_UNAUTHORIZED: { status: 401, text: 'authentication required' },
  E_FORBIDDEN: { status: 403, text: 'not allowed' },
  E_RATE_LIMITED: { status: 429, text: 'too many attempts; wait and try again' },
  E_NOT_FOUND: { status: 404, text: 'resource not found' },
  E_UNKNOWN_INSTRUMENT: { status: 404, text: 'instrument is not known' },
  E_UNKNOWN_CHANNEL: { status: 404, text: 'channel is not known for this instrument' },
  E_CONFLICT: { status: 409, text: 'resource already exists' },
  // analytics
  E_UNKNOWN_REFERENCE: { status: 404, text: 'reference standard is not known' },
  E_NO_REFERENCE_VALUE: { status: 400, text: 'check names no registry standard and carries no reference value' },
  E_ALERT_STATE: { status: 409, text: 'alert is not in a state that allows this' },
  // environmental stations (issue 8)
  E_UNKNOWN_STATION: { status: 404, text: 'station is not known' },
  E_EXCHANGE_FORMAT: { status: 400, text: 'a station data file does not follow its template' },
  // configuration and device models
  E_CONFIG_INVALID: { status: 500, text: 'configuration is invalid' },
  E_PROFILE_INVALID: { status: 500, text: 'device profile is invalid' },
  E_PROFILE_UNKNOWN: { status: 500, text: 'device profile is not known' },
  // devices
  E_MODBUS_EXCEPTION: { status: 502, text: 'device answered with a Modbus exception' },
  E_DEVICE_TIMEOUT: { status: 504, text: 'device did not answer in time' },
  E_DEVICE_UNREACHABLE: { status: 502, text: 'device connection failed' },
  // everything else
  E_STORE_UNAVAILABLE: { status: 503, text: 'store is unavailable' },
  E_STORE_REFUSED: { status: 422, text: 'the readings store refused the reading for good (e.g. a field-type conflict)' },
  E_INTERNAL: { status: 500, text: 'internal error' },
} as const satisfies Record<string, { status: number; text: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** One reason something was refused: a person reading it knows which field, which value, which rule. */
export interface Issue {
  code: ErrorCode;
  message: string;
  /** Path of the offending field, e.g. `readings[3].unit` or `/dashboard/port`. */
  field?: string;
  value?: unknown;
  /** The rule broken, e.g. `type`, `maximum`, `enum`. */
  rule?: string;
}

export class MetronetError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERRORS[code].text);
    this.name = 'MetronetError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }

  /** The issue as an error to throw: its code and message, its field and value as `details` (the API's error.details). */
  static fromIssue(issue: Issue): MetronetError {
    return new MetronetError(issue.code, issue.message, { field: issue.field, value: issue.value });
  }
}

/*
 * One wording per "is not known" code, whoever finds it (ingest, analytics, the API, the CLI):
 * each builder returns the Issue, to list as a reject or to throw with MetronetError.fromIssue.
 * `field` names where the id came from (`id` for a path parameter, `checks[2].instrument`, …).
 */

export const unknownInstrument = (id: string, field = 'id'): Issue => ({
  code: 'E_UNKNOWN_INSTRUMENT',
  field,
  rule: 'registered',
  value: id,
  message: `instrument "${id}" is not known`,
});

export const unknownReference = (id: string, field = 'id'): Issue => ({
  code: 'E_UNKNOWN_REFERENCE',
  field,
  rule: 'registered',
  value: id,
  message: `reference standard "${id}" is not known`,
});

export const unknownStation = (id: string, field = 'id'): Issue => ({
  code: 'E_UNKNOWN_STATION',
  field,
  rule: 'registered',
  value: id,
  message: `station "${id}" is not known`,
});

/** A channel the instrument does not have; `known` (its channels) is listed when given. */
export const unknownChannel = (instrument: string, channel: string, o: { field?: string; known?: readonly string[] } = {}): Issue => ({
  code: 'E_UNKNOWN_CHANNEL',
  field: o.field ?? 'channel',
  rule: 'registered',
  value: channel,
  message: `instrument ${instrument} has no channel "${channel}"${o.known ? `; it has ${o.known.join(', ') || 'none yet'}` : ''}`,
});

export function isMetronetError(err: unknown): err is MetronetError {
  return isInstance(err, MetronetError);
}

/** A short, log-safe rendering of any value that was refused (never the whole payload). */
export function preview(value: unknown, max = 80): unknown {
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
