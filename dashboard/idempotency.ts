import { Value } from '@sinclair/typebox/value';
import { IdempotencyKey, MetronetError } from '../core/index.js';

/**
 * The idempotency key of a submission: the `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header),
 * else the body's `idempotencyKey`; a header that breaks the key's pattern is refused.
 */
export function idempotencyKeyOf(header: string | string[] | undefined, body: string | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (h === undefined) return body;
  // The draft's example quotes the key as a structured-field string.
  const key = h.trim().replace(/^"(.*)"$/, '$1');
  if (!Value.Check(IdempotencyKey, key))
    throw new MetronetError(
      'E_BAD_REQUEST',
      {
        en: 'Idempotency-Key must be 1–128 characters of letters, digits and . _ : -',
        vi: 'Khóa Idempotency-Key phải gồm 1–128 ký tự chữ, số và . _ : -',
      },
      { field: 'Idempotency-Key', rule: 'pattern', value: h.slice(0, 200) },
    );
  return key;
}
