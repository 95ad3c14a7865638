import { createHash, createHmac, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * Secrets at rest.
 *
 * - Passwords: scrypt with N = 2^17, r = 8, p = 1, 32-byte key, 16-byte salt — the OWASP
 *   Password Storage Cheat Sheet minimum for scrypt. Stored as `scrypt$N$r$p$salt$key` (base64),
 *   so parameters can be raised later without breaking old hashes.
 * - MQTT secrets: PBKDF2-HMAC-SHA512 in Mosquitto's own `$7$iterations$salt$hash` format
 *   (mosquitto_passwd, Mosquitto ≥ 2.0), 12-byte salt, 64-byte hash. Mosquitto's default is 101
 *   iterations; 10 000 is used here (the format carries the count). One format means the export
 *   copies the registry's strings and both brokers check the same secret the same way.
 * - API tokens and sessions: 256 random bits, looked up by SHA-256 (see auth-schema.ts).
 * - The audit key: 256 random bits in a file outside the registry (store/audit-key.ts); audit
 *   entries and checkpoints carry HMAC-SHA256 under it (RFC 2104).
 */
const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

const SCRYPT = { N: 2 ** 17, r: 8, p: 1, len: 32 };
export const MQTT_PBKDF2_ITERATIONS = 10_000;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize('NFC'), salt, SCRYPT.len, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 256 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64');
  const got = await scryptAsync(password.normalize('NFC'), Buffer.from(salt, 'base64'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * 1024 * 1024,
  });
  return timingSafeEqual(got, want);
}

/** A Mosquitto `$7$` PBKDF2-SHA512 string for `secret`. */
export async function hashMqttSecret(secret: string, iterations = MQTT_PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(12);
  const hash = await pbkdf2Async(secret, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyMqttSecret(secret: string, stored: string): Promise<boolean> {
  const m = /^\$7\$(\d+)\$([^$]+)\$([^$]+)$/.exec(stored);
  if (!m) return false;
  const want = Buffer.from(m[3]!, 'base64');
  const got = await pbkdf2Async(secret, Buffer.from(m[2]!, 'base64'), Number(m[1]), want.length, 'sha512');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A fresh secret for a token, session or MQTT login (256 bits, URL-safe). */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** HMAC-SHA256 of `text` under `key`, hex (RFC 2104; the audit chain's keyed rule). */
export function hmacSha256(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** Equality of two hex digests in time independent of where they differ. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
