import { DRIFT_DEFAULTS, effectiveLimits, vnDate, vnDayStart, type ReadingStatus } from '../core/index.js';
import type { AlertChange, Channel, Instrument, ReadingsStore, Registry, StationRow } from '../store/index.js';
import { AlertSink } from './alert-sink.js';
import { completeness, exceedances, gapDeadline, isGap, type Average, type Completeness, type Exceedance, type StationPoint } from './stations.js';
import { DAY } from '../core/time.js';

/**
 * What the province watches per station (issue 8), assembled from the registry (station facts,
 * latest values, analyser drift state) and the readings store (the last 24 h of records):
 * state, completeness, rolling averages from valid records, exceedances, suspect parameters.
 * `evaluate()` turns gaps and exceedances into alerts through the analytics alert lifecycle
 * (one live alert per station, parameter and kind; cleared after 2 clean evaluations).
 */
export type StationState = 'online' | 'calibrating' | 'fault' | 'gap' | 'no_data';

export interface StationParameter {
  channel: string;
  unit: string;
  value: number | null;
  ts: number | null;
  status: ReadingStatus | null;
  /** Analyser out of control: records after suspectSince are suspect and left out of averages. */
  suspect: boolean;
  suspectSince: number | null;
  completeness: Completeness;
  averages: Average[];
  /** Worst ratio of average to its limit (≥ 1 exceeds); null without limits or valid averages. */
  limitRatio: number | null;
}

export interface StationSummary {
  station: StationRow;
  instrument: Instrument;
  state: StationState;
  lastTs: number | null;
  /** Vietnam-local day of `completeness`. */
  day: string;
  completeness: Completeness;
  parameters: StationParameter[];
  exceedances: Exceedance[];
}

export interface StationMonitorOptions {
  registry: Registry;
  readings: ReadingsStore;
  now?: () => number;
  /** Delivers alert changes (the analytics service's MQTT and webhooks); none: stored only. */
  notify?: (changes: AlertChange[]) => void;
}

export class StationMonitor {
  private readonly now: () => number;

  constructor(private readonly o: StationMonitorOptions) {
    this.now = o.now ?? Date.now;
  }

  stations(org?: string): StationRow[] {
    const all = this.o.registry.stations.listStations();
    if (org === undefined) return all;
    return all.filter((s) => this.o.registry.getInstrument(s.instrument)?.org === org);
  }

  /** Channels whose analyser is out of control, with the time after which their data are suspect. */
  suspect(instrument: string): Map<string, number | null> {
    const out = new Map<string, number | null>();
    for (const d of this.o.registry.analytics.driftStates(instrument)) {
      const a = (d.state as { analyser?: { outOfControl?: boolean; suspectSince?: number | null } | null }).analyser;
      if (a?.outOfControl) out.set(d.channel, a.suspectSince ?? 0);
    }
    return out;
  }

  /** The last `ms` of records per channel. */
  async records(instrument: string, from: number, to: number): Promise<Map<string, StationPoint[]>> {
    const series = await this.o.readings.query({ instrument, from, to });
    return new Map(series.map((s) => [s.channel, s.points]));
  }

  async summary(station: StationRow): Promise<StationSummary | undefined> {
    const inst = this.o.registry.getInstrument(station.instrument);
    if (!inst) return undefined;
    const now = this.now();
    const channels = this.o.registry.listChannels(inst.id);
    const dayStart = vnDayStart(now);
    const from = Math.min(dayStart, now - DAY);
    const byChannel = await this.records(inst.id, from, now + 1);
    const suspect = this.suspect(inst.id);
    const limits = effectiveLimits(station.limitSet, this.o.registry.stations.limitOverrides(inst.id));
    const { averages, exceeded } = exceedances(byChannel, limits, now, station.intervalMs, suspect);
    const parameters = channels.map((c) =>
      this.parameter(c, byChannel.get(c.channel) ?? [], dayStart, now, station, suspect, averages.get(c.channel) ?? [], limits),
    );
    const total = sumCompleteness(parameters.map((p) => p.completeness));
    const lastTs = channels.reduce<number | null>((m, c) => (c.lastTs != null && (m === null || c.lastTs > m) ? c.lastTs : m), null);
    return {
      station,
      instrument: inst,
      state: stateOf(channels, lastTs, now, station),
      lastTs,
      day: vnDate(now),
      completeness: total,
      parameters,
      exceedances: exceeded,
    };
  }

  /** Completeness per Vietnam-local day over the last `days` days, per parameter and in total. */
  async dailyCompleteness(station: StationRow, days: number): Promise<Array<{ day: string; total: Completeness; parameters: Record<string, Completeness> }>> {
    const now = this.now();
    const out = [];
    for (let k = days - 1; k >= 0; k--) {
      const start = vnDayStart(now) - k * DAY;
      const end = Math.min(start + DAY, now);
      const byChannel = await this.records(station.instrument, start, end);
      const parameters: Record<string, Completeness> = {};
      for (const c of this.o.registry.listChannels(station.instrument))
        parameters[c.channel] = completeness(byChannel.get(c.channel) ?? [], start, end, station.intervalMs);
      out.push({ day: vnDate(start), total: sumCompleteness(Object.values(parameters)), parameters });
    }
    return out;
  }

  private parameter(
    c: Channel,
    points: StationPoint[],
    dayStart: number,
    now: number,
    station: StationRow,
    suspect: Map<string, number | null>,
    averages: Average[],
    limits: ReturnType<typeof effectiveLimits>,
  ): StationParameter {
    let ratio: number | null = null;
    for (const a of averages) {
      const l = limits.find((x) => x.parameter === c.channel && x.period === a.period);
      if (!l || a.mean === null) continue;
      const r = l.min !== undefined && a.mean < l.min ? 1 + (l.min - a.mean) / Math.max(Math.abs(l.min), 1e-9) : a.mean / l.max;
      ratio = ratio === null ? r : Math.max(ratio, r);
    }
    return {
      channel: c.channel,
      unit: c.unit,
      value: c.lastValue ?? null,
      ts: c.lastTs ?? null,
      status: c.lastStatus ?? null,
      suspect: suspect.has(c.channel),
      suspectSince: suspect.get(c.channel) ?? null,
      completeness: completeness(points, dayStart, now + 1, station.intervalMs),
      averages,
      limitRatio: ratio,
    };
  }

  /**
   * Raises or relieves `station_gap` (per station) and `limit_exceeded` (per station and
   * parameter, the worst period named) alerts. Returns when the next gap can start, so the caller
   * can wake exactly then: a station that stops sending is alerted at lastTs + interval + tolerance.
   */
  async evaluate(): Promise<{ changes: AlertChange[]; nextDeadline: number | null }> {
    const store = this.o.registry.analytics;
    const batch = new AlertSink(store, this.now).batch();
    let next: number | null = null;
    const clearAfter = DRIFT_DEFAULTS.clearAfterChecks;
    for (const station of this.o.registry.stations.listStations()) {
      const s = await this.summary(station);
      if (!s) continue;
      const inst = s.instrument;
      const target = { subject: inst.id, instrument: inst.id, channel: null, org: inst.org, lab: store.getService(inst.id)?.lab ?? null };
      if (isGap(s.lastTs, this.now(), station.intervalMs, station.toleranceMs)) {
        batch.raise('station_gap', target, { lastTs: s.lastTs, intervalMs: station.intervalMs, toleranceMs: station.toleranceMs });
      } else {
        batch.relieve('station_gap', inst.id, null, clearAfter);
        const d = gapDeadline(s.lastTs, station.intervalMs, station.toleranceMs);
        if (d !== null && (next === null || d < next)) next = d;
      }
      const byParam = new Map<string, Exceedance[]>();
      for (const e of s.exceedances) (byParam.get(e.parameter) ?? byParam.set(e.parameter, []).get(e.parameter)!).push(e);
      for (const p of s.parameters) {
        const ex = byParam.get(p.channel);
        if (!ex) {
          batch.relieve('limit_exceeded', inst.id, p.channel, clearAfter);
          continue;
        }
        const worst = ex.reduce((a, b) => (b.value / b.limit > a.value / a.limit ? b : a));
        batch.raise(
          'limit_exceeded',
          { ...target, channel: p.channel },
          { value: worst.value, limit: worst.limit, period: worst.period, unit: worst.unit, source: worst.source, from: worst.from, to: worst.to, all: ex },
        );
      }
    }
    const changes = batch.changes;
    this.o.notify?.(changes);
    return { changes, nextDeadline: next };
  }
}

function stateOf(channels: Channel[], lastTs: number | null, now: number, st: StationRow): StationState {
  if (lastTs === null) return 'no_data';
  if (isGap(lastTs, now, st.intervalMs, st.toleranceMs)) return 'gap';
  const latest = channels.filter((c) => c.lastTs === lastTs).map((c) => c.lastStatus);
  if (latest.includes('fault')) return 'fault';
  if (latest.includes('check')) return 'calibrating';
  return 'online';
}

function sumCompleteness(list: Completeness[]): Completeness {
  const t = list.reduce(
    (a, c) => ({
      expected: a.expected + c.expected,
      received: a.received + c.received,
      check: a.check + c.check,
      fault: a.fault + c.fault,
      other: a.other + c.other,
      ratio: null,
    }),
    { expected: 0, received: 0, check: 0, fault: 0, other: 0, ratio: null } as Completeness,
  );
  t.ratio = t.expected > 0 ? Math.min(1, t.received / t.expected) : null;
  return t;
}
