import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.js';
import { openRegistry, openSqliteReadings, type ReadingsStore, type StoredReading } from '../../store/index.js';
import { BatchWriter } from '../../ingest/writer.js';
import { waitFor } from '../support/wait.js';

/** The batch writer with several writes in flight (stores with ordered writes): acks stay in order. */
const dir = mkdtempSync(join(tmpdir(), 'metronet-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const batch = (k: number, n: number): StoredReading[] =>
  Array.from({ length: n }, (_, i) => ({ instrument: 'SC-1', channel: 'mass', ts: k * n + i, value: k, unit: 'kg', status: 'ok', org: 'o' }));

describe('BatchWriter, writes in flight', () => {
  it('hands full batches to the store while one is written, and resolves tickets in order even when a later write ends first', async () => {
    const registry = openRegistry(join(dir, 'registry.db'));
    registry.ensureInstrument('o', 'SC-1', null, 0);
    registry.ensureChannel('SC-1', 'mass', 'kg');
    const real = openSqliteReadings(join(dir, 'readings.db'));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    /** Writes other than the first that have ended. */
    let laterEnded = 0;
    const store: ReadingsStore & { orderedWrites: true } = {
      orderedWrites: true,
      async write(readings) {
        const first = calls++ === 0;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        const done = real.write(readings); // applied in call order
        if (first) await gate; // the first write answers last
        await done;
        concurrent--;
        if (!first) laterEnded++;
      },
      query: (q) => real.query(q),
      count: (i) => real.count(i),
      close: () => real.close(),
    };
    const writer = new BatchWriter({
      readings: store,
      registry,
      batchSize: 100,
      flushMs: 1000,
      maxPending: 10_000,
      writesInFlight: 4,
      retry: { minMs: 10, maxMs: 10 },
      log: silentLogger,
    });
    const order: number[] = [];
    const tickets = Array.from({ length: 6 }, (_, k) => writer.submit(batch(k, 100), []).then(() => order.push(k)));
    await waitFor(() => laterEnded > 0, 'a later write to end while the first is held');
    expect(order).toEqual([]); // the first write holds every later ticket
    expect(maxConcurrent).toBeGreaterThan(1);
    release();
    await Promise.all(tickets);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await real.count()).toBe(600);
    expect(registry.getChannel('SC-1', 'mass')?.lastTs).toBe(599);
    expect(await writer.close(1000)).toBe(0);
    await real.close();
    registry.close();
  });
});
