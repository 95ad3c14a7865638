import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MetronetError } from '../../core/index.js';

/**
 * The files attached to an inspection visit (photos, scans): kept under the data folder by the
 * SHA-256 of their bytes, never by the name the uploader gave (no path can be chosen from
 * outside), written to a temporary file, fsynced and renamed (a crash leaves no half file).
 *
 * Safe by construction rather than by scanning: only JPEG, PNG and PDF are taken, each recognised
 * by its own leading bytes (the declared type must agree); a file is never executed, never served
 * inline and never sniffed: it is sent back as a download (Content-Disposition: attachment) with
 * its recorded type, `X-Content-Type-Options: nosniff` and a CSP that sandboxes anything a
 * browser might still open.
 */
export const ATTACHMENT_TYPES = {
  'image/jpeg': { magic: [0xff, 0xd8, 0xff], ext: 'jpg' },
  'image/png': { magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], ext: 'png' },
  'application/pdf': { magic: [0x25, 0x50, 0x44, 0x46, 0x2d], ext: 'pdf' },
} as const;
export type AttachmentType = keyof typeof ATTACHMENT_TYPES;
/** The largest file taken (decoded bytes): a phone photo or a few scanned pages. */
export const MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024;
/** The most files one visit may hold. */
export const MAX_ATTACHMENTS_PER_VISIT = 50;

export const ATTACHMENT_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'",
  'cache-control': 'private, no-store',
};

/** The file's bytes from base64, checked against the type and the size limit; refusals name field, value and rule. */
export function decodeAttachment(type: AttachmentType, base64: string): Buffer {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0 || bytes.toString('base64').replace(/=+$/, '') !== base64.replace(/\s+/g, '').replace(/=+$/, '')) {
    throw new MetronetError(
      'E_BAD_REQUEST',
      { en: 'data is not base64 text of the file', vi: 'Trường data phải là nội dung tệp mã hóa base64.' },
      { field: 'data', rule: 'base64', value: base64.slice(0, 20) },
    );
  }
  if (bytes.length > MAX_ATTACHMENT_BYTES) {
    throw new MetronetError(
      'E_PAYLOAD_TOO_LARGE',
      {
        en: `the file has ${bytes.length} bytes; at most ${MAX_ATTACHMENT_BYTES} are taken`,
        vi: `Tệp có ${bytes.length} byte, vượt giới hạn ${MAX_ATTACHMENT_BYTES} byte.`,
      },
      { field: 'data', rule: 'maxBytes', value: bytes.length },
    );
  }
  const magic = ATTACHMENT_TYPES[type].magic;
  if (!magic.every((b, i) => bytes[i] === b)) {
    throw new MetronetError(
      'E_BAD_REQUEST',
      {
        en: `the file is not a ${type} file: its first bytes do not match the type declared`,
        vi: `Tệp không phải là tệp ${type}: các byte đầu không khớp với kiểu đã khai báo.`,
      },
      { field: 'type', rule: 'magic-bytes', value: type },
    );
  }
  return bytes;
}

/** Files by content under one folder (`attachments/` in the data folder). */
export class AttachmentFiles {
  constructor(private readonly dir: string) {}

  /** Stores the bytes (once per content) and returns their SHA-256. */
  put(bytes: Buffer): string {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file = this.path(sha256);
    if (existsSync(file)) return sha256;
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${sha256}.${randomBytes(4).toString('hex')}.tmp`);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return sha256;
  }

  get(sha256: string): Buffer {
    return readFileSync(this.path(sha256));
  }

  private path(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new MetronetError('E_INTERNAL', 'attachment digest is not a SHA-256');
    return join(this.dir, `${sha256}.bin`);
  }
}
