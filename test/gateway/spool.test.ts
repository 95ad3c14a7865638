import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadingsBatch, compile, silentLogger, type Reading } from '../../core/index.js';
import { Spool } from '../../gateway/index.js';
import { readingJson, readingsPayloadFromJson } from '../../gateway/format.js';
import { removeDir, tempDir } from '../support/files.js';

const reading = (i: number, instrument = 'SC-1'): Reading => ({ instrument, channel: 'mass', ts: 1_700_000_000_000 + i, value: i, unit: 'kg', status: 'ok' });
/** The spool keeps readings as JSON texts (what the publisher spools). */
const r = (i: number) => readingJson(reading(i));

describe('spool', () => {
  let dir: string;
  const open = (extra: Partial<ConstructorParameters<typeof Spool>[0]> = {}) =>
    new Spool({ file: join(dir, 'gw.spool.db'), maxReadings: 1000, whenFull: 'drop-oldest', flushMs: 0, logger: silentLogger, ...extra });

  beforeEach(async () => {
    dir = await tempDir('metronet-spool-');
  });
  afterEach(() => removeDir(dir));

  it('hands out the oldest readings first and forgets them only when acknowledged', () => {
    const s = open();
    s.append([r(1), r(2), r(3)]);
    const b = s.next(2)!;
    expect(b.readings.map((x) => x.value)).toEqual([1, 2]);
    expect(s.size).toBe(3);
    s.markPending(0, b.ids[0]!, b.lastId);
    s.ack(b.lastId);
    expect(s.size).toBe(1);
    expect(s.next(10)!.readings.map((x) => x.value)).toEqual([3]);
    s.close();
  });

  it('survives a reopen: unacknowledged readings, and the pending batch with its seq and content', () => {
    const s = open();
    s.append([r(1), r(2), r(3), r(4)]);
    const b = s.next(3)!;
    s.markPending(41, b.ids[0]!, b.lastId);
    const b2 = s.next(1, b.lastId)!;
    s.markPending(42, b2.ids[0]!, b2.lastId);
    s.append([r(5)]);
    s.close(); // as after kill -9: nothing acknowledged
    const again = open();
    expect(again.size).toBe(5);
    expect(again.pending.map((p) => p.seq)).toEqual([41, 42]);
    const first = again.next(1000)!;
    expect([first.seq, first.readings.map((x) => x.value)]).toEqual([41, [1, 2, 3]]); // same batch, same seq
    const second = again.next(1000, first.lastId)!;
    expect([second.seq, second.readings.map((x) => x.value)]).toEqual([42, [4]]);
    again.ack(first.lastId);
    again.ack(second.lastId);
    expect(again.next(1000)!.readings.map((x) => x.value)).toEqual([5]);
    again.close();
  });

  it('drop-oldest: keeps the newest, never the batch in flight, counts and flags the loss', () => {
    const s = open({ maxReadings: 100 });
    s.append(Array.from({ length: 10 }, (_, i) => r(i)));
    const b = s.next(5)!;
    s.markPending(0, b.ids[0]!, b.lastId);
    s.append(Array.from({ length: 100 }, (_, i) => r(100 + i)));
    expect(s.size).toBe(100);
    expect(s.dropped).toBe(10);
    expect(s.full).toBe(true);
    expect(s.next(5)!.readings.map((x) => x.value)).toEqual([0, 1, 2, 3, 4]); // the pending batch intact
    s.ack(b.lastId);
    // The 10 dropped were the oldest not in flight: 5–9, then 100–104.
    expect(s.next(1)!.readings[0]!.value).toBe(105);
    expect(s.full).toBe(false);
    s.close();
  });

  it('drop-newest: keeps the start of the outage, refuses what does not fit', () => {
    const s = open({ maxReadings: 100, whenFull: 'drop-newest' });
    s.append(Array.from({ length: 150 }, (_, i) => r(i)));
    expect(s.size).toBe(100);
    expect(s.dropped).toBe(50);
    expect(s.next(1)!.readings[0]!.value).toBe(0);
    s.close();
  });

  it('builds the batch from the spooled texts, byte for byte what JSON.stringify of the batch gives', () => {
    const readings = [reading(1), reading(2, 'SC-2')];
    const payload = readingsPayloadFromJson('gw-1', 7, readings.map(readingJson));
    expect(payload).toBe(JSON.stringify({ v: 1, gateway: 'gw-1', seq: 7, readings }));
    expect(compile(ReadingsBatch)(JSON.parse(payload))).toBe(true);
  });
});
