import { Type, type Static } from '@sinclair/typebox';

/**
 * A signed head checkpoint of the audit chain: how many entries it had, the id and hash of the
 * newest, when, and an HMAC-SHA256 under the audit key over the canonical JSON of every other
 * field (keys sorted). The analytics service appends one to a file outside the registry and
 * publishes it retained on `topics.auditCheckpoint` whenever the head moved, every
 * `audit.checkpointEveryMs` and at shutdown; `metronet audit verify --checkpoints FILE` checks
 * the registry against them (store/audit.ts): an entry removed after a checkpoint, or a chain
 * rewritten before it, no longer matches the signed head.
 */
const hex64 = (description: string) => Type.String({ pattern: '^[0-9a-f]{64}$', description });

export const AuditCheckpoint = Type.Object(
  {
    v: Type.Literal(1),
    entries: Type.Integer({ minimum: 0, description: 'entries in the chain' }),
    headId: Type.Integer({ minimum: 0, description: 'id of the newest entry (0: empty chain)' }),
    head: hex64('hash of the newest entry (64 zeros: empty chain)'),
    ts: Type.Integer({ description: 'when it was taken, epoch ms' }),
    keyId: Type.String({ pattern: '^[0-9a-f]{16}$', description: 'id of the audit key that signed it' }),
    signature: hex64('HMAC-SHA256(audit key, canonical JSON of the other fields)'),
  },
  { additionalProperties: false },
);
export type AuditCheckpoint = Static<typeof AuditCheckpoint>;
