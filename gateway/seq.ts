import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { MetronetError, type Logger } from '../core/index.js';

/**
 * The per-gateway batch counter that survives restarts (ARCHITECTURE.md, readings batch `seq`).
 * The value is written before its batch is sent, so a restart never reuses a number; a crash
 * between writing and sending only leaves a gap, which ingest reads as "batch not received".
 */
export interface SeqStore {
  /** The last number handed out, −1 before the first. */
  readonly last: number;
  /** Hands out the next number once it is safely on disk. */
  next(): Promise<number>;
}

export async function openSeqStore(stateDir: string, gatewayId: string, logger: Logger): Promise<SeqStore> {
  const file = join(stateDir, `${gatewayId}.seq`);
  const tmp = `${file}.tmp`;
  let stored: number;
  try {
    await mkdir(stateDir, { recursive: true });
    // A crash between write and rename leaves the newer value in the temporary file: take the larger.
    stored = Math.max(await readSeq(file, logger), await readSeq(tmp, logger));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new MetronetError('E_CONFIG_INVALID', `gateway ${gatewayId}: stateDir ${stateDir} is not usable for the batch counter: ${reason}`);
  }
  let last = stored;
  let writing: Promise<void> = Promise.resolve();
  logger.info({ file, last }, 'batch counter loaded');

  const persist = async (value: number) => {
    // write, fsync, rename: the rename is atomic on POSIX file systems, and the fsync makes sure
    // the renamed file has its content after a power cut (ext4 and others may reorder otherwise).
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${value}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  };

  return {
    get last() {
      return last;
    },
    async next() {
      const value = ++last;
      // A failed write (disk full) fails its own batch only; the next call tries again.
      writing = writing.catch(() => undefined).then(() => persist(value));
      await writing;
      return value;
    },
  };
}

async function readSeq(file: string, logger: Logger): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value < 0) {
    logger.warn({ file, content: text.slice(0, 40) }, 'batch counter file is unreadable; ignoring it');
    return -1;
  }
  return value;
}
