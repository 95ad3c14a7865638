import { preview, type Issue } from './errors.js';
import { LIMITS } from './payloads.js';
import type { Validator } from './validate.js';

/** What a gateway publishes; named in every whole-message reject. */
export type PayloadKind = 'readings' | 'checks' | 'status';

export interface EnvelopeOptions<T> {
  kind: PayloadKind;
  /** Schema of the envelope: a batch schema whose items are judged later one by one, or the whole payload's. */
  schema: Validator<T>;
  /** Default LIMITS.maxMessageBytes. */
  maxBytes?: number | undefined;
  /** The gateway named by the topic; the payload's `gateway` must agree. */
  gateway?: string | undefined;
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/**
 * The one parser of the envelope of every gateway payload (readings, checks, status). In this
 * order, each fault refuses the whole message:
 *
 * | check | code | field | rule |
 * | --- | --- | --- | --- |
 * | size ≤ maxBytes | E_PAYLOAD_TOO_LARGE | (payload) | maxBytes |
 * | UTF-8 JSON | E_MALFORMED_JSON | (payload) | json |
 * | `v` is 1 (when present) | E_UNSUPPORTED_VERSION | v | const |
 * | envelope schema | E_SCHEMA, one issue per field | the field | the schema keyword |
 * | `gateway` = topic gateway | E_GATEWAY_MISMATCH | gateway | topic |
 *
 * The version is looked at before the schema so that a newer payload gets one reason ("version 2
 * is not supported") rather than a list of fields this server does not know.
 */
export function openEnvelope<T extends { gateway: string }>(payload: Buffer | string, o: EnvelopeOptions<T>): Envelope<T> {
  const what = `${o.kind} payload`;
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const maxBytes = o.maxBytes ?? LIMITS.maxMessageBytes;
  if (size > maxBytes) {
    return refuse({
      code: 'E_PAYLOAD_TOO_LARGE',
      field: '(payload)',
      rule: 'maxBytes',
      value: size,
      message: `${what} is ${size} bytes; the limit is ${maxBytes}`,
    });
  }
  const text = payload.toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return refuse({
      code: 'E_MALFORMED_JSON',
      field: '(payload)',
      rule: 'json',
      value: preview(text, 40),
      message: `${what} is not valid JSON: ${(err as Error).message}`,
    });
  }
  if (json !== null && typeof json === 'object' && 'v' in json && json.v !== 1) {
    const v = preview(json.v);
    return refuse({
      code: 'E_UNSUPPORTED_VERSION',
      field: 'v',
      rule: 'const',
      value: v,
      message: `${what}: v must be 1; version ${String(v)} is not supported`,
    });
  }
  if (!o.schema(json)) return { ok: false, issues: o.schema.issues(json) };
  if (o.gateway !== undefined && json.gateway !== o.gateway) {
    return refuse({
      code: 'E_GATEWAY_MISMATCH',
      field: 'gateway',
      rule: 'topic',
      value: json.gateway,
      message: `${what}: gateway "${json.gateway}" differs from the topic gateway "${o.gateway}"`,
    });
  }
  return { ok: true, value: json };
}

function refuse(issue: Issue): { ok: false; issues: Issue[] } {
  return { ok: false, issues: [issue] };
}
