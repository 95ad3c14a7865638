import { describe, expect, it } from 'vitest';
import type { Check } from '../../core/index.js';
import { startStationCycle, type SimulatorHandle } from '../../simulators/index.js';

/** A recording stand-in for the Modbus simulator: what the cycle pins, by point. */
function fakeSim() {
  const status: Array<number | null> = [];
  const values = new Map<string, number | null>();
  let silent = false;
  const sim = {
    setStatus: (_p: string, raw: number | null) => void status.push(raw),
    setValue: (p: string, v: number | null) => void values.set(p, v),
    setFaults: (f: { silent?: boolean }) => void (silent = !!f.silent),
  } as unknown as SimulatorHandle;
  return { sim, status, values, silent: () => silent };
}

const ICT_MIDNIGHT = Date.UTC(2026, 0, 4, 17); // 2026-01-05 00:00 ICT
const MIN = 60_000;

describe('station datalogger cycle', () => {
  it('calibrates daily (zero then span, status calibrating) and reports the results once', () => {
    const f = fakeSim();
    let now = ICT_MIDNIGHT + 29 * MIN;
    const reports: Check[][] = [];
    const c = startStationCycle({
      sim: f.sim,
      instrument: 'AQ-1',
      clock: () => now,
      tickMs: 1e9,
      calibration: { atMinute: 30, durationMs: 20 * MIN, gases: [{ channel: 'so2', zero: 0, span: 800, spanU: 16, spanError: 0.06 }] },
      onChecks: (x) => reports.push(x),
    });
    expect(c.state()).toBe('measuring');
    now = ICT_MIDNIGHT + 35 * MIN;
    c.tick();
    expect([c.state(), f.status.at(-1), f.values.get('so2')]).toEqual(['calibrating', 1, 0]);
    now = ICT_MIDNIGHT + 45 * MIN;
    c.tick();
    expect(f.values.get('so2')).toBeCloseTo(848, 6);
    now = ICT_MIDNIGHT + 51 * MIN;
    c.tick();
    c.tick();
    expect([c.state(), f.status.at(-1), f.values.get('so2')]).toEqual(['measuring', null, null]);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.map((k) => [k.channel, k.referenceValue, k.indicated])).toEqual([
      ['so2', 0, 0],
      ['so2', 800, 848],
    ]);
    c.stop();
  });

  it('plays pollution episodes, faults and gaps', () => {
    const f = fakeSim();
    let now = ICT_MIDNIGHT + 8 * 60 * MIN;
    const c = startStationCycle({
      sim: f.sim,
      instrument: 'AQ-1',
      clock: () => now,
      tickMs: 1e9,
      episodes: [{ from: now, to: now + 60 * MIN, levels: { pm25: 180 } }],
      faults: { chancePerTick: 0, durationMs: 5 * MIN },
    });
    expect(f.values.get('pm25')).toBe(180);
    now += 61 * MIN;
    c.tick();
    expect(f.values.get('pm25')).toBeNull();
    c.stop();
    const g = fakeSim();
    const d = startStationCycle({
      sim: g.sim,
      instrument: 'AQ-1',
      clock: () => now,
      tickMs: 1e9,
      gaps: { chancePerTick: 1, durationMs: 5 * MIN },
      faults: { chancePerTick: 1, durationMs: 5 * MIN },
    });
    expect(d.state()).toBe('gap');
    expect(g.silent()).toBe(true);
    expect(g.status.at(-1)).toBe(2);
    d.stop();
  });
});
