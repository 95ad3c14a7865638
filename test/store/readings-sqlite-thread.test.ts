import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isTransientStoreError, openSqliteReadings, type StoredReading } from '../../store/index.js';
import { readingsContract } from './readings-contract.js';

/** The SQLite readings store writes on a worker thread by default; the inline writer stays for `:memory:`. */
const dir = mkdtempSync(join(tmpdir(), 'metronet-readings-thread-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

readingsContract('sqlite, inline writes', async () => openSqliteReadings(join(dir, `inline-${n++}.db`), { thread: false }));

const r = (ts: number, value: number, extra: Partial<StoredReading> = {}): StoredReading => ({
  instrument: 'SC-1',
  channel: 'mass',
  ts,
  value,
  unit: 'kg',
  status: 'ok',
  org: 'o',
  ...extra,
});

describe('sqlite readings writer thread', () => {
  it('applies concurrent writes in call order: the first copy of an identity stays', async () => {
    const store = openSqliteReadings(join(dir, `order-${n++}.db`));
    const writes = Array.from({ length: 20 }, (_, k) => store.write(Array.from({ length: 1000 }, (_, i) => r(i, k))));
    await Promise.all(writes);
    expect(await store.count()).toBe(1000);
    const [series] = await store.query({ instrument: 'SC-1', from: 0, to: 1000 });
    expect(new Set(series?.points.map((p) => p.value))).toEqual(new Set([0]));
    await store.close();
  });

  it('fails only the batch the database refuses, as a SqliteError, and keeps working', async () => {
    const store = openSqliteReadings(join(dir, `error-${n++}.db`));
    // A fractional ts breaks the STRICT INTEGER column. Three writes at once, so the thread commits them together first.
    const results = await Promise.allSettled([store.write([r(1, 1)]), store.write([r(2.5, 2)]), store.write([r(3, 3)])]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const err = (results[1] as PromiseRejectedResult).reason as Error & { code?: string };
    expect(Object.prototype.isPrototypeOf.call(Database.SqliteError.prototype, err)).toBe(true);
    expect(err.code).toMatch(/^SQLITE_CONSTRAINT/);
    expect(isTransientStoreError(err)).toBe(false);
    await store.write([r(4, 4)]);
    expect(await store.count()).toBe(3);
    await store.close();
  });

  it('resolves a write only once it is committed and visible to queries', async () => {
    const store = openSqliteReadings(join(dir, `visible-${n++}.db`));
    for (let k = 0; k < 5; k++) {
      await store.write([r(k, k)]);
      expect(await store.count()).toBe(k + 1);
    }
    await store.close();
  });

  it('close() waits for the writes already sent, then refuses more', async () => {
    const file = join(dir, `close-${n++}.db`);
    const store = openSqliteReadings(file);
    const pending = store.write(Array.from({ length: 5000 }, (_, i) => r(i, i)));
    await store.close();
    await pending;
    await expect(store.write([r(1, 1)])).rejects.toThrow(/closed/);
    const again = openSqliteReadings(file);
    expect(await again.count()).toBe(5000);
    await again.close();
  });
});
