import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuditCheckpoint } from '../core/audit.js';
import { MetronetError, compile } from '../core/index.js';
import type { AuditLog, AuditVerdict, CheckpointLine } from './audit.js';

/**
 * The checkpoint file: one signed head per line (JSON lines), appended and fsynced, never
 * rewritten. It belongs outside the registry's volume (`audit.checkpointFile`): whoever can
 * rewrite the registry should not be able to rewrite this too.
 */
const valid = compile(AuditCheckpoint);

export function appendCheckpoint(file: string, cp: AuditCheckpoint): void {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'a', 0o644);
  try {
    writeSync(fd, `${JSON.stringify(cp)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Every line of a checkpoint file, parsed and checked against the schema; undefined when the file does not exist. */
export function readCheckpoints(file: string): CheckpointLine[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MetronetError('E_STORE_UNAVAILABLE', `cannot read the checkpoint file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const out: CheckpointLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return void out.push({ line: i + 1, error: 'not JSON' });
    }
    if (valid(value)) out.push({ line: i + 1, checkpoint: value });
    else
      out.push({
        line: i + 1,
        error: valid
          .issues(value)
          .map((x) => x.message)
          .join('; '),
      });
  });
  return out;
}

/** The newest checkpoint of a file (the publisher starts from it), if any. */
export function lastCheckpoint(file: string): AuditCheckpoint | undefined {
  const lines = readCheckpoints(file) ?? [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if ('checkpoint' in l) return l.checkpoint;
  }
  return undefined;
}

/** What `verifyAuditTrail` answers: the chain's verdict and whether signed checkpoints were there to check it against. */
export type AuditTrailVerdict = AuditVerdict & {
  /** The checkpoint file exists (null: none configured); without it the removal of the newest entries cannot be detected. */
  checkpointFile: boolean | null;
};

/**
 * The one audit verification, used by `metronet audit verify` and `GET /api/v1/audit/verify`:
 * the keyed hash chain from its first entry, then the signed head checkpoints of `file` (when it
 * exists), so truncation and an edited-and-recomputed chain are found the same way by both.
 */
export function verifyAuditTrail(audit: AuditLog, file: string | undefined): AuditTrailVerdict {
  const checkpoints = file === undefined ? undefined : readCheckpoints(file);
  return { ...audit.verify({ checkpoints }), checkpointFile: file === undefined ? null : checkpoints !== undefined };
}
