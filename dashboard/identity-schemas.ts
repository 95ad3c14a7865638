import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN, NewId, Nullable, StringEnum } from '../core/index.js';
import { MQTT_KINDS, ROLES } from '../store/index.js';

/** Schemas of the identity resources (issue 6). No view carries a hash; secrets appear only in the one response that creates them. */
const Id = (description?: string) => Type.String({ pattern: ID_PATTERN, description });
// The password rule itself (length, common passwords, the user name) is core/password-policy.ts, checked by the
// routes so that a refusal names its rule (E_WEAK_PASSWORD); the schema only bounds the size.
const Password = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'at least 12 characters, not a common or easily guessed password, not containing the user name; secret, never logged',
});

export const LoginIn = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const UserView = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  role: StringEnum(ROLES),
  org: Nullable(Type.String()),
  disabled: Type.Boolean(),
  createdAt: Type.Integer(),
});
export const UserList = Type.Object({ items: Type.Array(UserView) });
export const UserCreate = Type.Object(
  {
    id: Id('login name'),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    role: StringEnum(ROLES),
    org: Type.Optional(Id('organisation of a lab or enterprise user')),
    password: Password,
  },
  { additionalProperties: false },
);
export const UserPatch = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    role: Type.Optional(StringEnum(ROLES)),
    org: Type.Optional(Nullable(Id())),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
  },
  { additionalProperties: false },
);
export const SessionView = Type.Object({ user: UserView, expiresAt: Type.Integer({ description: 'epoch ms when the session ends' }) });

export const TokenView = Type.Object({
  id: Type.String(),
  user: Type.String(),
  name: Nullable(Type.String()),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
  lastUsed: Nullable(Type.Integer()),
  revokedAt: Nullable(Type.Integer()),
});
export const TokenList = Type.Object({ items: Type.Array(TokenView) });
export const TokenCreate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100 })),
    ttlDays: Type.Integer({ minimum: 1, maximum: 365, default: 90, description: 'days until it expires' }),
    user: Type.Optional(Id('admin only: issue for this user')),
  },
  { additionalProperties: false },
);
export const TokenCreated = Type.Composite([
  TokenView,
  Type.Object({ secret: Type.String({ description: 'the token; shown this once, stored only as a hash' }) }),
]);

export const OrgView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: StringEnum(['enterprise', 'lab', 'authority'] as const),
  province: Nullable(Type.String({ description: 'province code (GET /admin-units)' })),
  commune: Nullable(Type.String({ description: 'commune, ward or special zone code' })),
  district: Nullable(Type.String({ description: 'history: the district entered before 1 July 2025' })),
});
export const OrgList = Type.Object({ items: Type.Array(OrgView) });
export const OrgIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    kind: StringEnum(['enterprise', 'lab', 'authority'] as const),
    province: Type.Optional(Nullable(Type.String({ pattern: '^[0-9]{2}$', description: 'province code in force since 1 July 2025 (GET /admin-units)' }))),
    commune: Type.Optional(Nullable(Type.String({ pattern: '^[0-9]{5}$', description: 'commune, ward or special zone code, inside `province`' }))),
    district: Type.Optional(Nullable(Type.String({ maxLength: 100, description: 'history only: the district before 1 July 2025 (districts were abolished)' }))),
  },
  { additionalProperties: false },
);
export const OrgCreate = Type.Composite([Type.Object({ id: NewId('organisation id, a topic level') }), OrgIn], { additionalProperties: false });

export const GatewayView = Type.Object({
  id: Type.String(),
  org: Type.String(),
  name: Nullable(Type.String()),
  state: StringEnum(['online', 'offline', 'unknown'] as const),
  lastSeen: Nullable(Type.Integer()),
  version: Nullable(Type.String()),
  credential: Type.Boolean({ description: 'whether it has MQTT credentials' }),
  rotatedAt: Nullable(Type.Integer({ description: 'when its secret was last set' })),
});
export const GatewayList = Type.Object({ items: Type.Array(GatewayView) });
export const GatewayCreate = Type.Object(
  { id: NewId('gateway id, also its MQTT user name and a topic level'), org: NewId('organisation id'), name: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
export const GatewayCreated = Type.Composite([
  GatewayView,
  Type.Object({
    mqtt: Type.Object({
      username: Type.String(),
      password: Type.String({ description: 'shown this once; stored only as a PBKDF2 hash' }),
      publishUnder: Type.String(),
    }),
  }),
]);

export const MqttCredentialView = Type.Object({
  username: Type.String(),
  kind: StringEnum(MQTT_KINDS),
  subject: Type.String(),
  org: Nullable(Type.String()),
  createdAt: Type.Integer(),
  rotatedAt: Type.Integer(),
});
export const MqttCredentialList = Type.Object({ items: Type.Array(MqttCredentialView) });
export const MqttCredentialCreate = Type.Object(
  { username: Id(), kind: StringEnum(['lab', 'org', 'service'] as const), subject: NewId('lab or organisation id (a topic level), or the service name') },
  { additionalProperties: false },
);
export const MqttCredentialCreated = Type.Composite([MqttCredentialView, Type.Object({ password: Type.String({ description: 'shown this once' }) })]);

export const AuditView = Type.Object({
  id: Type.Integer(),
  ts: Type.Integer(),
  actor: Type.String(),
  action: Type.String(),
  subject: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
  hash: Type.String(),
});
export const AuditList = Type.Object({ items: Type.Array(AuditView) });
export const AuditQuery = Type.Object(
  {
    subject: Type.Optional(Type.String({ maxLength: 200, description: 'e.g. instrument:SC-0001' })),
    after: Type.Integer({ minimum: 0, default: 0, description: 'entries after this id' }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);
export const AuditVerdictView = Type.Object({
  ok: Type.Boolean(),
  entries: Type.Integer(),
  head: Type.Optional(Type.String()),
  brokenAt: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  keyMissing: Type.Optional(Type.Boolean({ description: 'nothing found wrong, but keyed entries could not be checked (audit key missing or another)' })),
  checkpoints: Type.Optional(Type.Integer({ description: 'signed head checkpoints the chain matched' })),
  checkpointFile: Nullable(
    Type.Boolean({ description: 'the checkpoint file exists (null: none configured); without it the removal of the newest entries cannot be detected' }),
  ),
});

export type UserCreate = Static<typeof UserCreate>;
