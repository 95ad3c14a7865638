import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReadingStatus } from '../../core/index.js';
import type { ReadingsStore, StoredReading } from '../../store/types.js';

/**
 * The contract every readings store passes (STYLE.md #11: one suite, every implementation).
 * `open` returns a fresh, empty store; the suite closes it.
 */
export function readingsContract(name: string, open: () => Promise<ReadingsStore>): void {
  describe(`readings store contract: ${name}`, () => {
    const T0 = 1_795_351_200_000; // a whole hour, UTC
    const MIN = 60_000;
    let store: ReadingsStore;
    let closed = false;

    const r = (channel: string, ts: number, value: number, extra: Partial<StoredReading> = {}): StoredReading => ({
      instrument: 'SC-0001',
      channel,
      ts,
      value,
      unit: 'kg',
      status: 'ok',
      org: 'org-a',
      ...extra,
    });

    beforeEach(async () => {
      store = await open();
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await store.close();
    });

    it('reads back what was written, per channel, in ascending ts, with status', async () => {
      await store.write([r('mass', T0 + 2 * MIN, 20.2), r('mass', T0, 20.0, { status: 'unstable' }), r('tare', T0 + MIN, 0.5), r('mass', T0 + MIN, 20.1)]);
      const series = await store.query({ instrument: 'SC-0001', from: T0, to: T0 + 10 * MIN });
      expect(series.map((s) => s.channel).sort()).toEqual(['mass', 'tare']);
      const mass = series.find((s) => s.channel === 'mass');
      expect(mass?.points).toEqual([
        { ts: T0, value: 20.0, status: 'unstable' },
        { ts: T0 + MIN, value: 20.1, status: 'ok' },
        { ts: T0 + 2 * MIN, value: 20.2, status: 'ok' },
      ]);
      expect(await store.count()).toBe(4);
      expect(await store.count('SC-0001')).toBe(4);
      expect(await store.count('SC-9999')).toBe(0);
    });

    it('stores a reading sent twice once, keeping the first copy', async () => {
      await store.write([r('mass', T0, 20.0)]);
      await store.write([r('mass', T0, 99.0), r('mass', T0 + MIN, 20.1)]);
      await store.write([r('mass', T0 + MIN, 20.1), r('mass', T0 + MIN, 20.1)]); // duplicate within one write too
      expect(await store.count('SC-0001')).toBe(2);
      const [mass] = await store.query({ instrument: 'SC-0001', channel: 'mass', from: T0, to: T0 + MIN + 1 });
      expect(mass?.points.map((p) => p.value)).toEqual([20.0, 20.1]);
    });

    it('treats from as inclusive and to as exclusive', async () => {
      await store.write([r('mass', T0 - 1, 1), r('mass', T0, 2), r('mass', T0 + MIN - 1, 3), r('mass', T0 + MIN, 4)]);
      const [mass] = await store.query({ instrument: 'SC-0001', from: T0, to: T0 + MIN });
      expect(mass?.points.map((p) => p.value)).toEqual([2, 3]);
      expect(await store.query({ instrument: 'SC-0001', from: T0 + MIN, to: T0 + MIN })).toEqual([]);
      expect(await store.query({ instrument: 'SC-0001', from: T0 + 5 * MIN, to: T0 + 6 * MIN })).toEqual([]);
    });

    it('filters by channel and keeps instruments apart', async () => {
      await store.write([r('mass', T0, 1), r('tare', T0, 2), r('mass', T0, 3, { instrument: 'SC-0002', org: 'org-b' })]);
      const only = await store.query({ instrument: 'SC-0001', channel: 'tare', from: T0, to: T0 + MIN });
      expect(only).toEqual([{ channel: 'tare', points: [{ ts: T0, value: 2, status: 'ok' }] }]);
      expect(await store.query({ instrument: 'SC-0001', channel: 'nope', from: T0, to: T0 + MIN })).toEqual([]);
      const other = await store.query({ instrument: 'SC-0002', from: T0, to: T0 + MIN });
      expect(other).toEqual([{ channel: 'mass', points: [{ ts: T0, value: 3, status: 'ok' }] }]);
    });

    it("filters by the owner's organisation: an id held by two organisations in turn shows each only its own (registry migration 10)", async () => {
      await store.write([r('mass', T0, 1), r('mass', T0 + MIN, 2, { org: 'org-b' })]);
      expect(await store.query({ instrument: 'SC-0001', from: T0, to: T0 + 2 * MIN, org: 'org-b' })).toEqual([
        { channel: 'mass', points: [{ ts: T0 + MIN, value: 2, status: 'ok' }] },
      ]);
      const buckets = await store.query({ instrument: 'SC-0001', from: T0, to: T0 + 2 * MIN, every: 2 * MIN, org: 'org-a' });
      expect(buckets).toEqual([{ channel: 'mass', points: [{ ts: T0, value: 1, min: 1, max: 1, count: 1 }] }]);
      expect(await store.query({ instrument: 'SC-0001', from: T0, to: T0 + 2 * MIN })).toMatchObject([{ points: [{ value: 1 }, { value: 2 }] }]);
    });

    it('limits raw points per channel, dropping the newest', async () => {
      await store.write([0, 1, 2, 3, 4].flatMap((i) => [r('mass', T0 + i * MIN, i), r('tare', T0 + i * MIN, 10 + i)]));
      const series = await store.query({ instrument: 'SC-0001', from: T0, to: T0 + 10 * MIN, limit: 2 });
      expect(series.find((s) => s.channel === 'mass')?.points.map((p) => p.value)).toEqual([0, 1]);
      expect(series.find((s) => s.channel === 'tare')?.points.map((p) => p.value)).toEqual([10, 11]);
    });

    it('aggregates buckets aligned on from: mean, min, max, count, ts = bucket start, empty buckets left out', async () => {
      // Worked example, every = 10 min from T0: bucket 0 holds 1, 2, 6 (mean 3); bucket 1 is
      // empty; bucket 2 holds 10 (at its first ms); the reading at `to` is outside.
      await store.write([
        r('mass', T0, 1),
        r('mass', T0 + 3 * MIN, 2),
        r('mass', T0 + 10 * MIN - 1, 6),
        r('mass', T0 + 20 * MIN, 10),
        r('mass', T0 + 30 * MIN, 99),
        r('tare', T0 + MIN, 0.5),
      ]);
      const series = await store.query({ instrument: 'SC-0001', from: T0, to: T0 + 30 * MIN, every: 10 * MIN });
      const mass = series.find((s) => s.channel === 'mass');
      expect(mass?.points).toEqual([
        { ts: T0, value: 3, min: 1, max: 6, count: 3 },
        { ts: T0 + 20 * MIN, value: 10, min: 10, max: 10, count: 1 },
      ]);
      expect(series.find((s) => s.channel === 'tare')?.points).toEqual([{ ts: T0, value: 0.5, min: 0.5, max: 0.5, count: 1 }]);
      // Alignment follows `from`: shifted by 5 min, the first three readings split 2 + 1.
      const [shifted] = await store.query({ instrument: 'SC-0001', channel: 'mass', from: T0 - 5 * MIN, to: T0 + 15 * MIN, every: 10 * MIN });
      expect(shifted?.points).toEqual([
        { ts: T0 - 5 * MIN, value: 1.5, min: 1, max: 2, count: 2 },
        { ts: T0 + 5 * MIN, value: 6, min: 6, max: 6, count: 1 },
      ]);
    });

    it('writes many readings in one call', async () => {
      const statuses: ReadingStatus[] = ['ok', 'check', 'fault', 'unstable', 'overload', 'maintenance'];
      const many = Array.from({ length: 20_000 }, (_, i) =>
        r(`ch${i % 4}`, T0 + Math.floor(i / 4) * 1000, i / 10, {
          instrument: `SC-${String(i % 5).padStart(4, '0')}`,
          status: statuses[i % statuses.length] as ReadingStatus,
        }),
      );
      await store.write(many);
      expect(await store.count()).toBe(20_000);
      const per = await store.count('SC-0003');
      expect(per).toBe(4000);
      const series = await store.query({ instrument: 'SC-0003', from: T0, to: T0 + 86_400_000, every: 3_600_000 });
      expect(series.reduce((n, s) => n + s.points.reduce((m, p) => m + (p.count ?? 0), 0), 0)).toBe(4000);
    });

    it('refuses malformed queries with E_BAD_REQUEST naming the field', async () => {
      await expect(store.query({ instrument: 'SC-0001', from: T0, to: T0 + MIN, every: 0 })).rejects.toMatchObject({
        code: 'E_BAD_REQUEST',
        details: { field: 'every' },
      });
      await expect(store.query({ instrument: 'SC-0001', from: Number.NaN, to: T0 })).rejects.toMatchObject({
        code: 'E_BAD_REQUEST',
        details: { field: 'from' },
      });
    });

    it('closes, and close twice is harmless', async () => {
      await store.write([r('mass', T0, 1)]);
      await store.close();
      await store.close();
      closed = true;
      await expect(store.count()).rejects.toThrow();
    });
  });
}
