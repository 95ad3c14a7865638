import { Type } from '@sinclair/typebox';
import { MetronetError, preview, type Issue } from './errors.js';
import { TOPIC_WORDS } from './topic-words.js';

/**
 * Identifiers of organisations, gateways, labs, instruments and channels appear as MQTT topic
 * levels, so they exclude `/`, `+`, `#` and white space [MQTT-4.7.1]. Letters, digits, `.`, `_`, `-`.
 * This is the shape of any id the code looks up (path parameters, payload fields): a lookup of an
 * id stored before the grammar below still works, so it can be found and removed.
 */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
export const ID_MAX_LENGTH = 64;
const idRe = new RegExp(ID_PATTERN);

export const Id = (description: string) => Type.String({ pattern: ID_PATTERN, description });

export function isId(value: unknown): value is string {
  return typeof value === 'string' && idRe.test(value);
}

/*
 * The id grammar (issue 16): what an organisation, lab, gateway or instrument may be named when it
 * is created. The first three are topic levels (`metronet/v1/{org}/{gateway}/{kind}`,
 * `metronet/v1/{org}/alerts`, `metronet/v1/labs/{lab}/alerts`); instruments are not yet but take
 * the same rule, so that they may become one. An id is
 *
 * - 1–64 ASCII letters, digits, `.`, `_`, `-`, beginning with a letter or digit (ID_PATTERN): no
 *   `/`, `+`, `#` (topic separators and wildcards [MQTT-4.7.1]), no `$` (broker topics such as
 *   `$SYS`, `$share` [MQTT-4.7.2]), no `%` (Mosquitto's `%u`/`%c` substitutions), no white space
 *   or control characters (lines of the Mosquitto ACL and password files), no `.` or `..` alone;
 * - not a reserved word: a fixed level of any metronet topic (core/topic-words.ts: `metronet`,
 *   `v1`, `labs`, `alerts`, `readings`, `checks`, `status`, `rejects`, `receipts`, `audit`,
 *   `checkpoint`), any version level `v` + digits (a later `metronet/v2`), and `undefined` and
 *   `null` (what a missing value becomes inside a template string).
 *
 * Reserved words are refused whatever their case (`Labs`, `ALERTS`). MQTT topics are
 * case-sensitive [MQTT-4.7.3-4] and so are aedes and Mosquitto, so `Labs` would not collide
 * today; but an id that reads as a topic word misleads people reading topics and logs, and a
 * bridge or store that folds case would make it collide.
 */

/** Words no new id may be, compared in lower case. */
export const RESERVED_IDS: readonly string[] = [...new Set([...TOPIC_WORDS, 'undefined', 'null'])].sort();
const reserved = new Set(RESERVED_IDS);
const versionWord = /^v[0-9]+$/i;

/** Which rule of the grammar an id breaks, if any. */
export type IdRule = 'type' | 'maxLength' | 'pattern' | 'reserved';

export function idRuleBroken(value: unknown): IdRule | undefined {
  if (typeof value !== 'string') return 'type';
  if (value.length > ID_MAX_LENGTH) return 'maxLength';
  if (!idRe.test(value)) return 'pattern';
  const lower = value.toLowerCase();
  if (reserved.has(lower) || versionWord.test(lower)) return 'reserved';
  return undefined;
}

/** An id a new organisation, lab, gateway or instrument may take (the whole grammar). */
export function isTopicId(value: unknown): value is string {
  return idRuleBroken(value) === undefined;
}

/** One character class per letter, so that the pattern refuses reserved words in any case without a flag. */
const anyCase = (word: string) => [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join('');

/**
 * The whole grammar as one JSON-schema pattern (no flags), for schemas that cannot call
 * isTopicId (configuration files). It accepts exactly what isTopicId accepts.
 */
export const TOPIC_ID_PATTERN = `^(?!(?:${[...RESERVED_IDS.map(anyCase), '[vV][0-9]+'].join('|')})$)${ID_PATTERN.slice(1)}`;

/** The grammar in one sentence, for schema descriptions (OpenAPI, configuration reference). */
export const ID_RULE_TEXT = `1–${ID_MAX_LENGTH} ASCII letters, digits, ".", "_" or "-", beginning with a letter or digit, and not a reserved word (${RESERVED_IDS.join(', ')}, v + digits; any case)`;

export const TopicId = (description: string) =>
  Type.String({ pattern: TOPIC_ID_PATTERN, maxLength: ID_MAX_LENGTH, description: `${description}; ${ID_RULE_TEXT}` });

/**
 * The id of something being created, in a request schema: the schema checks its shape; the
 * registry refuses a reserved word with E_ID_INVALID and a message in both languages.
 */
export const NewId = (description: string) => Type.String({ pattern: ID_PATTERN, maxLength: ID_MAX_LENGTH, description: `${description}; ${ID_RULE_TEXT}` });

/** The issue of an id that breaks the grammar (undefined when it does not); `field` names where it came from. */
export function idIssue(field: string, value: unknown): Issue | undefined {
  const rule = idRuleBroken(value);
  if (rule === undefined) return undefined;
  const shown = typeof value === 'string' ? `"${preview(value, 80)}"` : String(preview(value));
  const base = { code: 'E_ID_INVALID' as const, field, value: preview(value, 80), rule };
  if (rule === 'reserved') {
    return {
      ...base,
      message: `${field} ${shown} is a reserved word: ids of organisations, labs, gateways and instruments are MQTT topic levels and may not be a topic word (${RESERVED_IDS.join(', ')}, v + digits), in any case`,
      messageVi: `${field} ${shown} là từ dành riêng: mã của tổ chức, phòng thí nghiệm, gateway và phương tiện đo là một cấp của chủ đề MQTT nên không được trùng với từ của chủ đề (${RESERVED_IDS.join(', ')}, v + chữ số), dù viết hoa hay thường`,
    };
  }
  return {
    ...base,
    message: `${field} ${shown} is not an id: 1–${ID_MAX_LENGTH} ASCII letters, digits, ".", "_" or "-", beginning with a letter or digit`,
    messageVi: `${field} ${shown} không phải là mã hợp lệ: 1–${ID_MAX_LENGTH} ký tự gồm chữ cái Latin không dấu, chữ số, ".", "_" hoặc "-", bắt đầu bằng chữ cái hoặc chữ số`,
  };
}

/** Throws E_ID_INVALID (field, value, rule; English and Vietnamese) unless `value` follows the grammar. */
export function assertTopicId(field: string, value: unknown): asserts value is string {
  const issue = idIssue(field, value);
  if (issue) throw MetronetError.fromIssue(issue);
}

/** A string enum whose static type is the union of its values and whose schema is a plain `enum`. */
export const StringEnum = <T extends readonly string[]>(values: T, opts: { description?: string; default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
