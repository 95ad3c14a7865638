import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { periods, waitFor } from '../support/wait.js';
import { CYCLE_MS, FLUSH_MS, PUBLISH_MS, startStack, type Stack } from './stack.js';
import { LONG, spawnScript } from './support.js';

/**
 * A SQLite database locked by another process: a second process holds `BEGIN EXCLUSIVE` on the
 * gateway spool, the registry or the readings store for some seconds — longer than the busy
 * timeout (spool 250 ms, registry and readings 5 s) — while readings flow. Each service must
 * wait and retry, say so (log and counter), keep running, and lose nothing: every reading the
 * broker acknowledged to the gateway is stored once after the lock is released.
 */
const LOCK_CHILD = join(import.meta.dirname, 'fixtures', 'lock-child.ts');
const LOCK_MS = LONG ? 20_000 : 7000;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function holdLock(file: string, ms: number) {
  const proc = await spawnScript(LOCK_CHILD, [file, String(ms)], 'locked');
  return { released: proc.exited, t0: Date.now() };
}

function expectNothingLost(r: { acknowledged: number; stored: number; rows: number; lost: string[] }, label: string) {
  console.log(`[faults] ${label}: acknowledged ${r.acknowledged}, stored ${r.stored} (rows ${r.rows}), lost ${r.lost.length}, duplicates ${r.rows - r.stored}`);
  expect(r.acknowledged).toBeGreaterThan(100);
  expect(r.lost.slice(0, 5)).toEqual([]);
  expect(r.rows).toBe(r.stored);
}

describe('SQLite locked by another process', () => {
  it('gateway spool: writes retried, counted and logged; nothing lost', { timeout: 120_000 }, async () => {
    stack = await startStack();
    await waitFor(() => stack!.gateway.stats().published > 50, { message: 'readings flowing', timeout: periods(10, CYCLE_MS) });
    const lock = await holdLock(stack.spoolFile, LOCK_MS);
    // The spool's busy timeout is 250 ms, and it writes every flush (50 ms).
    await waitFor(() => stack!.gateway.stats().spoolWriteErrors > 0, { message: 'a refused spool write', timeout: periods(3, 250 + 50) });
    await lock.released;
    const published = stack.gateway.stats().published;
    const releasedAt = Date.now();
    await waitFor(() => stack!.gateway.stats().published > published, { message: 'publishing again', timeout: periods(5, CYCLE_MS) });
    const recovery = Date.now() - releasedAt;
    console.log(`[faults] spool locked ${LOCK_MS} ms: ${stack.gateway.stats().spoolWriteErrors} refused writes, publishing again ${recovery} ms after release`);
    // Logged once per episode, by whichever write met the lock first: a flush, or the record of a pending batch or of an acknowledgement.
    expect(stack.gwLog.lines.some((l) => l.level === 50 && /^spool (write failed|could not record)/.test(l.msg))).toBe(true);
    expect(stack.gwLog.lines.some((l) => l.msg === 'spool writes succeed again')).toBe(true);
    expect(stack.gateway.stats().dropped).toBe(0);
    expectNothingLost(await stack.settle(), `spool locked ${LOCK_MS} ms`);
  });

  for (const which of ['registry', 'readings'] as const) {
    it(`ingest ${which} store: commits retried, counted (metric) and logged; nothing lost`, { timeout: 120_000 }, async () => {
      stack = await startStack();
      await waitFor(() => stack!.ingest.stats().stored > 50, { message: 'readings stored', timeout: periods(10, CYCLE_MS) });
      const lock = await holdLock(which === 'registry' ? stack.registryDb : stack.readingsDb, LOCK_MS);
      await lock.released;
      // A commit held up by the lock fails after the store's busy timeout (5 s), before or soon after the release.
      await waitFor(() => stack!.ingest.stats().storeErrors > 0, { message: 'a failed commit counted', timeout: periods(2, 5000 + FLUSH_MS) });
      const stats = stack.ingest.stats();
      const metrics = (await stack.ingest.metrics()).body;
      expect(metrics).toMatch(/metronet_ingest_store_errors_total(\{[^}]*\})? [1-9]/);
      expect(stack.ingestLog.lines.some((l) => l.level === 50 && /store write failed|registry unavailable/.test(l.msg))).toBe(true);
      const storedAt = stats.stored;
      const releasedAt = Date.now();
      await waitFor(() => stack!.ingest.stats().stored > storedAt, { message: 'storing again', timeout: periods(5, PUBLISH_MS + 5000) });
      const recovery = Date.now() - releasedAt;
      console.log(`[faults] ${which} locked ${LOCK_MS} ms: ${stats.storeErrors} failed commits, storing again ${recovery} ms after release`);
      expectNothingLost(await stack.settle(), `${which} locked ${LOCK_MS} ms`);
    });
  }
});
