import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.js';
import { backoffDelay } from '../../gateway/index.js';
import { openSeqStore } from '../../gateway/seq.js';

// The in-memory reading queue gave way to the disk spool (issue 3): see spool.test.ts.

describe('device retry backoff', () => {
  it('doubles from the initial delay up to the cap, with ±20 % jitter', () => {
    const opts = { initialMs: 1000, maxMs: 60_000 };
    const mid = () => 0.5; // jitter factor 1.0
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoffDelay(n, opts, mid))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(backoffDelay(1, opts, () => 0)).toBe(800);
    expect(backoffDelay(1, opts, () => 0.999)).toBe(1200);
    expect(backoffDelay(9, opts, () => 0.999)).toBe(60_000); // never above the cap
  });
});

describe('persistent batch counter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'metronet-seq-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts at 0 and continues after a reopen', async () => {
    const a = await openSeqStore(dir, 'gw-1', silentLogger);
    expect(a.last).toBe(-1);
    expect([await a.next(), await a.next(), await a.next()]).toEqual([0, 1, 2]);
    expect(await readFile(join(dir, 'gw-1.seq'), 'utf8')).toBe('2\n');
    const b = await openSeqStore(dir, 'gw-1', silentLogger);
    expect(b.last).toBe(2);
    expect(await b.next()).toBe(3);
  });

  it('takes the newer value of a temporary file left by a crash, and ignores garbage', async () => {
    await writeFile(join(dir, 'gw-1.seq'), '41\n');
    await writeFile(join(dir, 'gw-1.seq.tmp'), '42\n');
    expect(await (await openSeqStore(dir, 'gw-1', silentLogger)).next()).toBe(43);
    await writeFile(join(dir, 'gw-2.seq'), 'not a number');
    expect((await openSeqStore(dir, 'gw-2', silentLogger)).last).toBe(-1);
  });

  it('names the state dir when it cannot be used', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(openSeqStore(join(dir, 'file', 'sub'), 'gw-1', silentLogger)).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
      message: expect.stringContaining('is not usable for the batch counter: ENOTDIR'),
    });
  });
});
