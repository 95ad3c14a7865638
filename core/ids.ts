import { Type } from '@sinclair/typebox';

/**
 * Identifiers of organisations, gateways, labs, instruments and channels appear as MQTT topic
 * levels, so they exclude `/`, `+`, `#` and white space [MQTT-4.7.1]. Letters, digits, `.`, `_`, `-`.
 */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const idRe = new RegExp(ID_PATTERN);

export const Id = (description: string) => Type.String({ pattern: ID_PATTERN, description });

export function isId(value: unknown): value is string {
  return typeof value === 'string' && idRe.test(value);
}

/** A string enum whose static type is the union of its values and whose schema is a plain `enum`. */
export const StringEnum = <T extends readonly string[]>(values: T, opts: { description?: string; default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
