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
  // instrument identity over time (issue 15, section 7)
  E_INSTRUMENT_REMOVED: { status: 410, text: 'instrument was removed from the registry; its id takes nothing until it is registered again' },
  E_UNREGISTERED_LIMIT: { status: 429, text: 'bound on unregistered instruments created from MQTT reached; register the instruments first' },
  E_BEFORE_REGISTRATION: { status: 400, text: "reading is dated before the instrument's current registration began" },
  E_INSTRUMENT_HELD: { status: 409, text: 'instrument id is held by another organisation; only the authority can reassign it' },
  // resources
  E_BAD_REQUEST: { status: 400, text: 'request is invalid' },
  E_ID_INVALID: { status: 400, text: 'id breaks the id grammar (core/ids.ts): 1–64 letters, digits, . _ -, not a reserved topic word' },
  E_UNAUTHORIZED: { status: 401, text: 'authentication required' },
  E_FORBIDDEN: { status: 403, text: 'not allowed' },
  E_CROSS_SITE: { status: 403, text: 'a state-changing request from another site was refused (cross-site request forgery protection)' },
  E_UNSUPPORTED_MEDIA_TYPE: { status: 415, text: 'the request body must be application/json' },
  E_RATE_LIMITED: { status: 429, text: 'too many attempts; wait and try again' },
  E_LOGIN_BUSY: { status: 503, text: 'too many sign-ins are being checked at once; try again shortly' },
  // caps and the password rule (issue 16, items 9 and 10)
  E_LIMIT_REACHED: { status: 429, text: 'a per-user limit is reached; close or revoke one first' },
  E_WEAK_PASSWORD: { status: 400, text: 'the password breaks the password rule' },
  E_NOT_FOUND: { status: 404, text: 'resource not found' },
  E_UNKNOWN_INSTRUMENT: { status: 404, text: 'instrument is not known' },
  E_UNKNOWN_CHANNEL: { status: 404, text: 'channel is not known for this instrument' },
  // administrative units after 1 July 2025 (issue 17, item 1; core/admin-units.ts)
  E_UNKNOWN_ADMIN_UNIT: { status: 400, text: 'province or commune code is not in the list of administrative units in force' },
  E_CONFLICT: { status: 409, text: 'resource already exists' },
  // analytics
  E_UNKNOWN_REFERENCE: { status: 404, text: 'reference standard is not known' },
  E_NO_REFERENCE_VALUE: { status: 400, text: 'check names no registry standard and carries no reference value' },
  E_NO_DECISION: { status: 400, text: 'no conformity decision is possible: under guarded acceptance the uncertainty is not below the MPE' },
  E_ALERT_STATE: { status: 409, text: 'alert is not in a state that allows this' },
  // prepackaged goods (core/legal/prepackaged.ts)
  E_SAMPLE_SIZE: { status: 400, text: "the sample is not the size the lot's sampling plan requires" },
  // webhooks (issue 16, items 2 and 9)
  E_WEBHOOK_TARGET: { status: 400, text: 'webhook URL does not resolve to an address webhooks may reach' },
  E_WEBHOOK_LIMIT: { status: 429, text: 'the organisation holds as many webhooks as it may; remove one first' },
  // what may be entered in a record (issue 15; docs/legal-records.md)
  E_RECORD_IN_FUTURE: { status: 400, text: 'a record is dated in the future beyond the clock tolerance' },
  E_STANDARD_QUANTITY: { status: 400, text: "the reference standard does not measure the channel's quantity" },
  E_STANDARD_EXPIRED: { status: 400, text: 'the reference standard was past its calibration due date on the record date' },
  E_STANDARD_UNCERTAINTY: { status: 400, text: "the reference standard's uncertainty exceeds one third of the MPE at the test load" },
  E_STANDARD_NOT_ALLOWED: { status: 403, text: 'the reference standard is not one the caller may use' },
  E_IDEMPOTENCY_MISMATCH: { status: 409, text: 'the idempotency key was used before for a different submission' },
  E_LOAD_OUT_OF_RANGE: { status: 400, text: "the test load lies outside the channel's range (below Min, above Max, below the MMQ)" },
  E_DESIGNATION_RANGE: { status: 403, text: "the instrument's range or accuracy class lies outside the verification body's designation" },
  // fuel dispenser runs into a test measure (core/legal/fuel-inspection.ts)
  E_TEST_MEASURE_VOLUME: { status: 400, text: "the test measure's nominal volume does not suit the run (not the MMQ, or too small for a flow run)" },
  E_TEST_MEASURE_CLASS: { status: 400, text: 'the test measure is not of a class accepted for the run, or its expansion coefficient is implausible' },
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
  E_DEVICE_DATA: { status: 502, text: 'device answered with data its profile does not allow' },
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
  /** The message in Vietnamese, for people (the API answers in the language the caller asks for). */
  messageVi?: string;
}

/** A message for people in both languages of the interface. */
export interface Texts2 {
  en: string;
  vi: string;
}

export class MetronetError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  /** The message in Vietnamese, when the thrower wrote one (users' refusals: record rules, permissions). */
  readonly messageVi?: string;

  constructor(code: ErrorCode, message?: string | Texts2, details?: unknown) {
    super(typeof message === 'object' ? message.en : (message ?? ERRORS[code].text));
    this.name = 'MetronetError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
    if (typeof message === 'object') this.messageVi = message.vi;
  }

  /** The message in a language of the interface (English when no Vietnamese one was written). */
  messageIn(lang: 'vi' | 'en'): string {
    return lang === 'vi' ? (this.messageVi ?? this.message) : this.message;
  }

  /** The issue as an error to throw: its code and message, its field, rule and value as `details` (the API's error.details). */
  static fromIssue(issue: Issue): MetronetError {
    const details = { field: issue.field, value: issue.value, ...(issue.rule ? { rule: issue.rule } : {}) };
    return new MetronetError(issue.code, issue.messageVi ? { en: issue.message, vi: issue.messageVi } : issue.message, details);
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
