import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type Reading } from '../../core/index.js';
import { Spool } from '../../gateway/index.js';
import { readingJson } from '../../gateway/format.js';
import { removeDir, tempDir } from '../support/files.js';

/** The spool's replay window (gateway/spool.ts), which kill9.test.ts shows is needed after a broker crash. */
const r = (i: number) => readingJson({ instrument: 'SC-1', channel: 'mass', ts: 1_700_000_000_000 + i, value: i, unit: 'kg', status: 'ok' } satisfies Reading);

describe('spool replay window', () => {
  let dir: string;
  let now = 1_000_000;
  const open = (extra: Partial<ConstructorParameters<typeof Spool>[0]> = {}) =>
    new Spool({
      file: join(dir, 'gw.spool.db'),
      maxReadings: 1000,
      whenFull: 'drop-oldest',
      flushMs: 0,
      logger: silentLogger,
      replayMs: 60_000,
      replayReadings: 5,
      now: () => now,
      ...extra,
    });
  const sendAll = (s: Spool, seq: number) => {
    const b = s.next(100)!;
    s.markPending(seq, b.ids[0]!, b.lastId);
    s.ack(b.lastId);
    return b.readings.map((x) => x.value);
  };

  beforeEach(async () => {
    dir = await tempDir('metronet-replay-');
  });
  afterEach(() => removeDir(dir));

  it('keeps acknowledged readings within the time and size bounds, across a restart, and queues them again once', () => {
    let s = open();
    s.append([r(1), r(2), r(3)]);
    expect(sendAll(s, 0)).toEqual([1, 2, 3]);
    now += 50_000;
    s.append([r(4), r(5), r(6), r(7)]);
    expect(sendAll(s, 1)).toEqual([4, 5, 6, 7]);
    expect(s.size).toBe(0);
    expect(s.replayable).toBe(5); // the size bound dropped the oldest two
    s.close();

    s = open(); // the window survives a restart (kill -9 of the gateway, then a broker crash)
    now += 20_000; // 1..3 acknowledged 70 s ago: outside the 60 s window
    expect(s.replay()).toBe(4);
    expect(s.next(100)!.readings.map((x) => x.value)).toEqual([4, 5, 6, 7]);
    expect(s.replay()).toBe(0); // queued once; acknowledging them again refills the window
    expect(sendAll(s, 2)).toEqual([4, 5, 6, 7]);
    expect(s.replayable).toBe(4);
    expect(s.replayed).toBe(4);
    s.close();
  });

  it('keeps nothing with replayMs 0', () => {
    const s = open({ replayMs: 0 });
    s.append([r(1), r(2)]);
    sendAll(s, 0);
    expect(s.replayable).toBe(0);
    expect(s.replay()).toBe(0);
    s.close();
  });
});
