import type { Check } from '../core/index.js';
import { mulberry32 } from './random.js';
import type { SimulatorHandle } from './simulator.js';
import { DAY } from '../core/time.js';

/**
 * What a monitoring station's datalogger does over a day (issue 8), played on a Modbus station
 * simulator by pinning its status and value registers:
 *
 * - a daily zero/span calibration at a fixed local time: status 1 (calibrating → `check`) for the
 *   whole cycle; the analyser channels read the zero gas for the first half and the span gas for
 *   the second; at the end the datalogger reports each result. Real dataloggers keep these results
 *   in their calibration log, and the status register only flags the records (Circular 10/2021
 *   Art. 39); here the results go to `onChecks`, which the demo publishes on the station gateway's
 *   `checks` topic as `referenceValue`/`referenceU` checks — the "simulator-side check publisher"
 *   stands in for that log export, so the gateway needs no calibration logic of any model;
 * - occasional device faults (status 2 → `fault`) and gaps (the device stops answering);
 * - pollution episodes: named channels pinned to given levels over a time window.
 *
 * Worked example: atMinute 30, durationMs 20 min → 00:30–00:50 ICT calibrating; 00:30–00:40 so2
 * reads ≈ 0 (zero gas), 00:40–00:50 ≈ 800 (span gas); at 00:50 two checks per channel go out.
 */
export interface CalibrationGas {
  channel: string;
  zero: number;
  span: number;
  /** Expanded uncertainty (k = 2) of the span gas. */
  spanU: number;
  /** Analyser error at the span, as a fraction (e.g. 0.06 = reads 6 % high); default 0. */
  spanError?: number;
}

export interface StationCycleOptions {
  sim: SimulatorHandle;
  instrument: string;
  statusPoint?: string;
  clock?: () => number;
  seed?: number;
  /** Minute of the Vietnam-local day the daily calibration starts; duration of the whole cycle. */
  calibration?: { atMinute: number; durationMs: number; gases: CalibrationGas[] };
  /** Chance per tick of a fault or a gap starting, and how long each lasts. */
  faults?: { chancePerTick: number; durationMs: number };
  gaps?: { chancePerTick: number; durationMs: number };
  episodes?: Array<{ from: number; to: number; levels: Record<string, number> }>;
  onChecks?: (checks: Check[]) => void;
  tickMs?: number;
}

const ICT = 7 * 3_600_000;

export interface StationCycle {
  /** Applies the state at the current clock (the timer calls it every tickMs). */
  tick(): void;
  state(): 'measuring' | 'calibrating' | 'fault' | 'gap';
  stop(): void;
}

export function startStationCycle(o: StationCycleOptions): StationCycle {
  const clock = o.clock ?? Date.now;
  const status = o.statusPoint ?? 'status';
  const random = mulberry32(o.seed ?? 8);
  let faultUntil = 0;
  let gapUntil = 0;
  let reported = -1; // start of the last cycle reported
  let pending: Check[] = [];
  let pinned = new Set<string>();
  let state: ReturnType<StationCycle['state']> = 'measuring';

  const pin = (levels: Record<string, number>) => {
    for (const ch of pinned) if (!(ch in levels)) o.sim.setValue(ch, null);
    for (const [ch, v] of Object.entries(levels)) o.sim.setValue(ch, v);
    pinned = new Set(Object.keys(levels));
  };

  const tick = () => {
    const now = clock();
    const cal = o.calibration;
    const dayStart = Math.floor((now + ICT) / DAY) * DAY - ICT;
    const calStart = cal ? dayStart + cal.atMinute * 60_000 : Infinity;
    const calEnd = cal ? calStart + cal.durationMs : -Infinity;
    if (now >= gapUntil && o.gaps && random() < o.gaps.chancePerTick) gapUntil = now + o.gaps.durationMs;
    if (now >= faultUntil && o.faults && random() < o.faults.chancePerTick) faultUntil = now + o.faults.durationMs;
    o.sim.setFaults({ silent: now < gapUntil ? true : undefined });

    if (cal && now >= calStart && now < calEnd) {
      state = 'calibrating';
      o.sim.setStatus(status, 1);
      const spanPhase = now >= calStart + cal.durationMs / 2;
      const levels: Record<string, number> = {};
      pending = [];
      for (const g of cal.gases) {
        levels[g.channel] = spanPhase ? g.span * (1 + (g.spanError ?? 0)) : g.zero;
        pending.push({
          instrument: o.instrument,
          channel: g.channel,
          ts: calStart + cal.durationMs / 2 - 1000,
          referenceValue: g.zero,
          referenceU: g.spanU,
          indicated: g.zero,
        });
        pending.push({
          instrument: o.instrument,
          channel: g.channel,
          ts: calEnd - 1000,
          referenceValue: g.span,
          referenceU: g.spanU,
          indicated: Math.round(g.span * (1 + (g.spanError ?? 0)) * 1000) / 1000,
        });
      }
      pin(levels);
    } else {
      if (cal && now >= calEnd && reported !== calStart && pending.length) {
        reported = calStart;
        o.onChecks?.(pending);
        pending = [];
      }
      const episode = o.episodes?.find((e) => now >= e.from && now < e.to);
      pin(episode?.levels ?? {});
      if (now < faultUntil) {
        state = 'fault';
        o.sim.setStatus(status, 2);
      } else {
        state = now < gapUntil ? 'gap' : 'measuring';
        o.sim.setStatus(status, null);
      }
    }
    if (now < gapUntil) state = 'gap';
  };

  tick();
  const timer = setInterval(tick, o.tickMs ?? 1000);
  timer.unref();
  return { tick, state: () => state, stop: () => clearInterval(timer) };
}
