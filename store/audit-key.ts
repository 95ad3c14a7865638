import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MetronetError } from '../core/index.js';
import { hmacSha256 } from './secrets.js';

/**
 * The audit key (issue 8 of "Records a province can rely on"): the secret the audit chain and
 * its checkpoints are keyed with, kept OUT of the registry so that someone who can edit the
 * database file cannot recompute a valid chain after an edit.
 *
 * Where it comes from, first match wins:
 * - `key`: the key itself, hex (≥ 32 bytes), e.g. `METRONET_AUDIT__KEY` filled from a secret store;
 * - `keyFile`: a file holding it as hex; default `{registry folder}/audit.key`. When absent it is
 *   created on first use with 32 random bytes, mode 0600 (written aside, then hard-linked into
 *   place, so two processes creating it at once agree on one key).
 * A registry in memory (tests) gets a random key that lives as long as the process.
 *
 * Each key has an id, `HMAC(key, "metronet audit key id")` cut to 16 hex digits, stored with every
 * keyed entry: `audit verify` can then tell "this key is not the one the chain was written with"
 * from "this entry was edited". The id reveals nothing of the key.
 */
export interface AuditKeyOptions {
  /** File of the key (hex). Default `{folder of registry.db}/audit.key`. */
  keyFile?: string;
  /** The key itself, hex, at least 64 digits; wins over keyFile. Secret: never logged. */
  key?: string;
}

/** A loaded key: what it signs with, never its bytes. */
export interface Key {
  id: string;
  mac(text: string): string;
}

/** The key and checkpoint file of a configuration's `audit` section, defaults in `dataDir`. */
export function auditFiles(
  audit: { keyFile?: string; key?: string; checkpointFile?: string },
  dataDir: string,
): { key: AuditKeyOptions; checkpointFile: string } {
  const key = audit.key !== undefined ? { key: audit.key } : { keyFile: resolve(audit.keyFile ?? join(dataDir, 'audit.key')) };
  return { key, checkpointFile: resolve(audit.checkpointFile ?? join(dataDir, 'audit-checkpoints.jsonl')) };
}

const KEY_BYTES = 32;
const HEX_KEY = /^[0-9a-fA-F]{64,}$/;

export class AuditKey {
  private loaded?: Key;

  private constructor(
    private readonly file: string | undefined,
    private readonly given: Buffer | undefined,
  ) {}

  /** The key source for a registry file (`:memory:` and `file:` URIs get a process-lifetime key). */
  static forRegistry(registryFile: string, opts: AuditKeyOptions = {}): AuditKey {
    if (opts.key !== undefined) return new AuditKey(undefined, parseHexKey(opts.key, 'audit.key'));
    if (opts.keyFile !== undefined) return new AuditKey(opts.keyFile, undefined);
    if (registryFile === ':memory:' || registryFile.startsWith('file:')) return new AuditKey(undefined, randomBytes(KEY_BYTES));
    return new AuditKey(join(dirname(registryFile), 'audit.key'), undefined);
  }

  /** No key at all: verification reports keyed entries as unverifiable; appending refuses. */
  static none(): AuditKey {
    return new AuditKey(undefined, undefined);
  }

  /** Where the key is looked for, for messages (never the key). */
  describe(): string {
    return this.file ? `key file ${this.file}` : this.given ? 'the configured audit.key' : 'no audit key configured';
  }

  /** The key when it exists; undefined when its file does not (yet). */
  get(): Key | undefined {
    if (this.loaded) return this.loaded;
    if (this.given) return (this.loaded = toKey(this.given));
    if (!this.file) return undefined;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new MetronetError(
        'E_STORE_UNAVAILABLE',
        `cannot read the audit key file ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    return (this.loaded = toKey(parseHexKey(text.trim(), this.file)));
  }

  /** The key, creating its file (32 random bytes, 0600) when there is none. */
  getOrCreate(): Key {
    const k = this.get();
    if (k) return k;
    if (!this.file) throw new MetronetError('E_STORE_UNAVAILABLE', 'no audit key configured (audit.keyFile or audit.key)');
    mkdirSync(dirname(this.file), { recursive: true });
    const aside = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(aside, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(aside, this.file); // atomic: fails with EEXIST when another process got there first
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new MetronetError('E_STORE_UNAVAILABLE', `cannot create the audit key file ${this.file}: ${(err as Error).message}`);
    } finally {
      rmSync(aside, { force: true });
    }
    return this.get() as Key;
  }
}

function parseHexKey(text: string, where: string): Buffer {
  if (!HEX_KEY.test(text) || text.length % 2 !== 0) {
    throw new MetronetError('E_CONFIG_INVALID', `${where}: an audit key is hex, at least ${KEY_BYTES * 2} digits (${KEY_BYTES} bytes)`);
  }
  return Buffer.from(text, 'hex');
}

function toKey(bytes: Buffer): Key {
  const key = Buffer.from(bytes);
  return { id: hmacSha256(key, 'metronet audit key id').slice(0, 16), mac: (text) => hmacSha256(key, text) };
}
