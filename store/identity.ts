import { randomBytes } from 'node:crypto';
import { assertTopicId, isId } from '../core/ids.js';
import { MetronetError } from '../core/errors.js';
import type { AuditLog } from './audit.js';
import type { Db } from './sqlite.js';
import { hashMqttSecret, hashPassword, newSecret, sha256, verifyMqttSecret, verifyPassword } from './secrets.js';

/**
 * Users, API tokens and web sessions, MQTT credentials (issue 6). Secrets are returned once, at
 * creation. Every change is audited in the transaction that makes it, by its facts only: never a
 * password, secret or their hashes (section 8 of "Records a province can rely on").
 */
export const ROLES = ['admin', 'authority', 'lab', 'enterprise', 'inspector'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  name: string | null;
  role: Role;
  /** The organisation a lab or enterprise user acts for; optional for authority, none for admin. */
  org: string | null;
  disabled: boolean;
  createdAt: number;
}

export interface TokenRecord {
  id: string;
  kind: 'api' | 'session';
  user: string;
  name: string | null;
  createdAt: number;
  expiresAt: number;
  lastUsed: number | null;
  revokedAt: number | null;
}

export const MQTT_KINDS = ['gateway', 'lab', 'org', 'service'] as const;
export type MqttKind = (typeof MQTT_KINDS)[number];

export interface MqttCredential {
  username: string;
  kind: MqttKind;
  /** Gateway, lab, organisation or service id. */
  subject: string;
  /** A gateway's organisation. */
  org: string | null;
  /** Mosquitto `$7$` PBKDF2-SHA512 string. */
  hash: string;
  createdAt: number;
  rotatedAt: number;
}

export const TOKEN_PREFIX = 'mtn_';

export class IdentityStore {
  private readonly s;

  constructor(
    private readonly db: Db,
    private readonly audit?: AuditLog,
  ) {
    this.s = {
      insertUser: db.prepare('INSERT INTO users (id, name, role, org, password, created_at) VALUES (@id, @name, @role, @org, @password, @now)'),
      updateUser: db.prepare('UPDATE users SET name = @name, role = @role, org = @org, disabled = @disabled WHERE id = @id'),
      setPassword: db.prepare('UPDATE users SET password = ? WHERE id = ?'),
      getUser: db.prepare('SELECT * FROM users WHERE id = ?'),
      listUsers: db.prepare('SELECT * FROM users WHERE (@org IS NULL OR org = @org) ORDER BY id'),
      deleteUser: db.prepare('DELETE FROM users WHERE id = ?'),
      insertToken: db.prepare(
        'INSERT INTO tokens (id, kind, user, name, hash, created_at, expires_at) VALUES (@id, @kind, @user, @name, @hash, @now, @expiresAt)',
      ),
      tokenByHash: db.prepare('SELECT * FROM tokens WHERE hash = ?'),
      getToken: db.prepare('SELECT * FROM tokens WHERE id = ?'),
      listTokens: db.prepare("SELECT * FROM tokens WHERE kind = 'api' AND (@user IS NULL OR user = @user) ORDER BY created_at, id"),
      countLiveTokens: db.prepare("SELECT COUNT(*) AS n FROM tokens WHERE kind = 'api' AND user = ? AND revoked_at IS NULL AND expires_at > ?"),
      revokeToken: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeUserSessions: db.prepare('UPDATE tokens SET revoked_at = ? WHERE user = ? AND revoked_at IS NULL'),
      touchToken: db.prepare('UPDATE tokens SET last_used = ? WHERE id = ?'),
      pruneTokens: db.prepare('DELETE FROM tokens WHERE expires_at < ?'),
      upsertCred: db.prepare(
        `INSERT INTO mqtt_credentials (username, kind, subject, org, hash, created_at, rotated_at) VALUES (@username, @kind, @subject, @org, @hash, @now, @now)
         ON CONFLICT (username) DO UPDATE SET kind = excluded.kind, subject = excluded.subject, org = excluded.org, hash = excluded.hash, rotated_at = excluded.rotated_at`,
      ),
      getCred: db.prepare('SELECT * FROM mqtt_credentials WHERE username = ?'),
      listCreds: db.prepare('SELECT * FROM mqtt_credentials ORDER BY kind, username'),
      deleteCred: db.prepare('DELETE FROM mqtt_credentials WHERE username = ?'),
    };
  }

  // users

  async createUser(u: { id: string; name?: string | null; role: Role; org?: string | null; password: string }, now = Date.now()): Promise<User> {
    const password = await hashPassword(u.password);
    return this.db
      .transaction(() => {
        this.s.insertUser.run({ id: u.id, name: u.name ?? null, role: u.role, org: u.org ?? null, password, now });
        const user = this.getUser(u.id)!;
        this.audit?.append('user.create', `user:${u.id}`, null, userFacts(user), now);
        return user;
      })
      .immediate();
  }

  getUser(id: string): User | undefined {
    const r = this.s.getUser.get(id) as UserRow | undefined;
    return r && toUser(r);
  }

  listUsers(org?: string): User[] {
    return (this.s.listUsers.all({ org: org ?? null }) as UserRow[]).map(toUser);
  }

  updateUser(id: string, patch: { name?: string | null; role?: Role; org?: string | null; disabled?: boolean }): User | undefined {
    return this.db
      .transaction(() => {
        const cur = this.getUser(id);
        if (!cur) return undefined;
        this.s.updateUser.run({
          id,
          name: patch.name === undefined ? cur.name : patch.name,
          role: patch.role ?? cur.role,
          org: patch.org === undefined ? cur.org : patch.org,
          disabled: (patch.disabled ?? cur.disabled) ? 1 : 0,
        });
        const revoked = patch.disabled ? this.s.revokeUserSessions.run(Date.now(), id).changes : 0;
        const after = this.getUser(id)!;
        if (JSON.stringify(userFacts(cur)) !== JSON.stringify(userFacts(after)) || revoked > 0) {
          this.audit?.append('user.update', `user:${id}`, userFacts(cur), { ...userFacts(after), ...(revoked > 0 ? { tokensRevoked: revoked } : {}) });
        }
        return after;
      })
      .immediate();
  }

  async setPassword(id: string, password: string): Promise<void> {
    const hash = await hashPassword(password);
    this.db
      .transaction(() => {
        if (this.s.setPassword.run(hash, id).changes === 0) return;
        const revoked = this.s.revokeUserSessions.run(Date.now(), id).changes; // a new password ends every session and token
        this.audit?.append('user.password', `user:${id}`, null, { passwordChanged: true, tokensRevoked: revoked });
      })
      .immediate();
  }

  deleteUser(id: string): boolean {
    return this.db
      .transaction(() => {
        const cur = this.getUser(id);
        if (!cur || this.s.deleteUser.run(id).changes === 0) return false;
        this.audit?.append('user.delete', `user:${id}`, userFacts(cur), null); // its tokens go with it (cascade)
        return true;
      })
      .immediate();
  }

  /** The user when the password is right and the account enabled. Always hashes, so timing does not tell which. */
  async checkPassword(id: string, password: string): Promise<User | undefined> {
    const r = this.s.getUser.get(id) as UserRow | undefined;
    const ok = await verifyPassword(password, r?.password ?? DUMMY_HASH);
    return r && ok && !r.disabled ? toUser(r) : undefined;
  }

  // tokens and sessions

  /**
   * Issues a token; the secret is in the result only. With `max` (API tokens, issue 16), refused
   * with E_LIMIT_REACHED when the user already has that many live ones (neither expired nor
   * revoked), counted in the transaction that inserts, so two processes cannot both pass.
   */
  issueToken(
    t: { kind: 'api' | 'session'; user: string; name?: string | null; ttlMs: number; max?: number },
    now = Date.now(),
  ): { token: TokenRecord; secret: string } {
    const id = randomBytes(6).toString('hex');
    const secret = newSecret(t.kind === 'api' ? TOKEN_PREFIX : '');
    return this.db
      .transaction(() => {
        if (t.max !== undefined && this.countLiveTokens(t.user, now) >= t.max) throw tokenLimit(t.user, t.max);
        this.s.insertToken.run({ id, kind: t.kind, user: t.user, name: t.name ?? null, hash: sha256(secret), now, expiresAt: now + t.ttlMs });
        const token = this.getToken(id)!;
        this.audit?.append('token.issue', `token:${id}`, null, tokenFacts(token), now);
        return { token, secret };
      })
      .immediate();
  }

  /** API tokens of a user that still work: neither expired nor revoked. */
  countLiveTokens(user: string, now = Date.now()): number {
    return (this.s.countLiveTokens.get(user, now) as { n: number }).n;
  }

  getToken(id: string): TokenRecord | undefined {
    const r = this.s.getToken.get(id) as TokenRow | undefined;
    return r && toToken(r);
  }

  listTokens(user?: string): TokenRecord[] {
    return (this.s.listTokens.all({ user: user ?? null }) as TokenRow[]).map(toToken);
  }

  revokeToken(id: string, now = Date.now()): boolean {
    return this.db
      .transaction(() => {
        const cur = this.getToken(id);
        if (!cur || this.s.revokeToken.run(now, id).changes === 0) return false;
        this.audit?.append('token.revoke', `token:${id}`, tokenFacts(cur), tokenFacts(this.getToken(id)!), now);
        return true;
      })
      .immediate();
  }

  /** The token and its user when the secret is live (not expired, not revoked, user enabled). */
  resolveToken(secret: string, kind: 'api' | 'session', now = Date.now()): { token: TokenRecord; user: User } | undefined {
    const r = this.s.tokenByHash.get(sha256(secret)) as TokenRow | undefined;
    if (!r || r.kind !== kind || r.revoked_at !== null || r.expires_at <= now) return undefined;
    const user = this.getUser(r.user);
    if (!user || user.disabled) return undefined;
    if (r.last_used === null || now - r.last_used > 60_000) this.s.touchToken.run(now, r.id);
    return { token: toToken(r), user };
  }

  pruneExpired(now = Date.now()): number {
    return this.s.pruneTokens.run(now - 30 * 86_400_000).changes;
  }

  // MQTT credentials

  /** Creates or rotates an MQTT login; the secret (generated unless given) is in the result only. */
  async setMqttCredential(
    c: { username: string; kind: MqttKind; subject: string; org?: string | null; secret?: string },
    now = Date.now(),
  ): Promise<{ credential: MqttCredential; secret: string }> {
    const secret = c.secret ?? newSecret();
    const hash = await hashMqttSecret(secret);
    return this.db
      .transaction(() => {
        const cur = this.getMqttCredential(c.username);
        if (!cur || cur.kind !== c.kind || cur.subject !== c.subject || (cur.org ?? null) !== (c.org ?? null)) checkLoginIds(c);
        this.s.upsertCred.run({ username: c.username, kind: c.kind, subject: c.subject, org: c.org ?? null, hash, now });
        const credential = this.getMqttCredential(c.username)!;
        // A new secret is a rotation even when nothing else changed; the secret and its hash stay out.
        this.audit?.append(cur ? 'mqtt.rotate' : 'mqtt.create', loginSubject(credential), cur ? credFacts(cur) : null, credFacts(credential), now);
        return { credential, secret };
      })
      .immediate();
  }

  getMqttCredential(username: string): MqttCredential | undefined {
    const r = this.s.getCred.get(username) as CredRow | undefined;
    return r && toCred(r);
  }

  listMqttCredentials(): MqttCredential[] {
    return (this.s.listCreds.all() as CredRow[]).map(toCred);
  }

  deleteMqttCredential(username: string): boolean {
    return this.db
      .transaction(() => {
        const cur = this.getMqttCredential(username);
        if (!cur || this.s.deleteCred.run(username).changes === 0) return false;
        this.audit?.append('mqtt.delete', loginSubject(cur), credFacts(cur), null);
        return true;
      })
      .immediate();
  }

  async checkMqttSecret(username: string, secret: string): Promise<MqttCredential | undefined> {
    const c = this.getMqttCredential(username);
    const ok = await verifyMqttSecret(secret, c?.hash ?? DUMMY_MQTT);
    return c && ok ? c : undefined;
  }
}

/** The refusal past dashboard.maxTokensPerUser: names the limit, the user and what frees a place. */
const tokenLimit = (user: string, max: number) =>
  new MetronetError(
    'E_LIMIT_REACHED',
    {
      en: `user ${user} already has ${max} active API tokens, the limit (dashboard.maxTokensPerUser); revoke one first`,
      vi: `người dùng ${user} đã có ${max} mã truy cập API còn hiệu lực, mức tối đa (dashboard.maxTokensPerUser); hãy thu hồi một mã trước`,
    },
    { field: 'user', value: user, rule: 'dashboard.maxTokensPerUser', max },
  );

// Hashes of a random secret, checked when the user is unknown so that case takes as long as a wrong password.
const DUMMY_HASH = `scrypt$${2 ** 17}$8$1$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;
const DUMMY_MQTT = `$7$10000$${randomBytes(12).toString('base64')}$${randomBytes(64).toString('base64')}`;

interface UserRow {
  id: string;
  name: string | null;
  role: string;
  org: string | null;
  password: string;
  disabled: number;
  created_at: number;
}
interface TokenRow {
  id: string;
  kind: string;
  user: string;
  name: string | null;
  hash: string;
  created_at: number;
  expires_at: number;
  last_used: number | null;
  revoked_at: number | null;
}
interface CredRow {
  username: string;
  kind: string;
  subject: string;
  org: string | null;
  hash: string;
  created_at: number;
  rotated_at: number;
}

const toUser = (r: UserRow): User => ({ id: r.id, name: r.name, role: r.role as Role, org: r.org, disabled: r.disabled === 1, createdAt: r.created_at });
const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  kind: r.kind as TokenRecord['kind'],
  user: r.user,
  name: r.name,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsed: r.last_used,
  revokedAt: r.revoked_at,
});
// What changes are audited by: facts, never a password, secret or hash.
const userFacts = (u: User) => ({ id: u.id, name: u.name, role: u.role, org: u.org, disabled: u.disabled });
const tokenFacts = (t: TokenRecord) => ({ id: t.id, kind: t.kind, user: t.user, name: t.name, expiresAt: t.expiresAt, revokedAt: t.revokedAt });
/**
 * The ids of a new or changed MQTT login (issue 16): the user name is a line of the Mosquitto
 * password and ACL files, so it takes the id shape (no white space, `:`, `+`, `#`, `/`); the lab,
 * organisation and gateway it names are topic levels, so they take the whole id grammar
 * (core/ids.ts). A service name is in no topic: the shape suffices. Rotating a login stored before
 * the grammar is still allowed (its ACL rules are empty until it is re-created, broker/acl.ts).
 */
function checkLoginIds(c: { username: string; kind: MqttKind; subject: string; org?: string | null }): void {
  if (!isId(c.username)) assertTopicId('username', c.username);
  if (c.kind === 'service') {
    if (!isId(c.subject)) assertTopicId('subject', c.subject);
    return;
  }
  assertTopicId('subject', c.subject);
  if (c.kind === 'gateway') assertTopicId('org', c.org);
}

const credFacts = (c: MqttCredential) => ({ username: c.username, kind: c.kind, subject: c.subject, org: c.org, rotatedAt: c.rotatedAt });
/** A gateway's login is audited under the gateway, with its creation and deletion; other logins under their username. */
const loginSubject = (c: MqttCredential) => (c.kind === 'gateway' ? `gateway:${c.subject}` : `mqtt:${c.username}`);

const toCred = (r: CredRow): MqttCredential => ({
  username: r.username,
  kind: r.kind as MqttKind,
  subject: r.subject,
  org: r.org,
  hash: r.hash,
  createdAt: r.created_at,
  rotatedAt: r.rotated_at,
});
