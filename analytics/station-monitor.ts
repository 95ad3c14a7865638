import { DRIFT_DEFAULTS, effectiveLimits, isTopicId, topics, vnDate, vnDayStart, vnHourStart, vnYearStart, type ReadingStatus } from '../core/index.js';
import type { AlertChange, Channel, Instrument, ReadingsStore, Registry, StationRow } from '../store/index.js';
import { AlertSink } from './alert-sink.js';
import {
  completeness,
  dailyMean,
  exceedances,
  gapDeadline,
  hourlyMeans,
  isGap,
  type Average,
  type Completeness,
  type Exceedance,
  type StationPoint,
  type UnitRefusal,
} from './stations.js';
import { AQI_CHANNELS, dailyAqi, hourlyAqi, type AqiResult, type ChannelHours } from './aqi.js';
import { DAY, HOUR } from '../core/time.js';

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
  /** Limits not judged: the channel's unit cannot be compared with the limit's (issue 17). */
  unitRefusals: UnitRefusal[];
}

/** What is published on `metronet/v1/{org}/aqi/{station}` (docs/stations.md, "VN_AQI"). */
export interface AqiMessage extends Omit<AqiResult, 'category'> {
  v: 1;
  station: string;
  org: string;
  category: { key: string; vi: string; en: string; hex: string } | null;
}

export interface StationMonitorOptions {
  registry: Registry;
  readings: ReadingsStore;
  now?: () => number;
  /** Delivers alert changes (the analytics service's MQTT and webhooks); none: stored only. */
  notify?: (changes: AlertChange[]) => void;
  /** Publishes a station's VN_AQI (the analytics service's MQTT client); none: not published. */
  publish?: (topic: string, payload: string, o: { retain: boolean }) => void;
}

export class StationMonitor {
  private readonly now: () => number;
  /** Daily means of past days for annual averages, by instrument|channel|day|interval|suspectSince. */
  private readonly dayMeanCache = new Map<string, number | null>();
  private cacheYear = 0;
  /** Per instrument, the year's daily means as last assembled, and for which day and inputs: built once a day, not at every evaluation. */
  private readonly yearMeans = new Map<string, { key: string; means: Map<string, Array<number | null>> }>();
  /** Hour (and day) last published per station. */
  private readonly published = new Map<string, { hour: number; day: number }>();

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
    // From the start of the day before: the latest valid daily mean may be that day's.
    const from = Math.min(vnDayStart(vnHourStart(now) - 1) - DAY, now - DAY);
    const byChannel = await this.records(inst.id, from, now + 1);
    const suspect = this.suspect(inst.id);
    const limits = effectiveLimits(station.limitSet, this.o.registry.stations.limitOverrides(inst.id), now);
    const units = new Map(channels.map((c) => [c.channel, c.unit]));
    const annual = [...new Set(limits.filter((l) => l.period === '1y' && units.has(l.parameter)).map((l) => l.parameter))];
    const dayMeans = annual.length ? await this.yearDayMeans(inst.id, annual, now, station.intervalMs, suspect) : undefined;
    const { averages, exceeded, refused } = exceedances(byChannel, limits, now, station.intervalMs, suspect, { units, dayMeans });
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
      unitRefusals: refused,
    };
  }

  /**
   * Valid daily means of the calendar year's complete days before today, per channel, for annual
   * averages. A past day is computed once (from its records) and kept; the cache is emptied when
   * the year turns. The assembled year is kept until the day, the interval or a channel's
   * suspectSince changes, so the 30 s evaluations between read no day of it again.
   */
  async yearDayMeans(
    instrument: string,
    channels: readonly string[],
    now: number,
    intervalMs: number,
    suspect: ReadonlyMap<string, number | null>,
  ): Promise<ReadonlyMap<string, readonly (number | null)[]>> {
    const today = vnDayStart(now);
    const inputs = `${today}|${intervalMs}|${channels.map((c) => `${c}:${suspect.get(c) ?? ''}`).join(',')}`;
    const kept = this.yearMeans.get(instrument);
    if (kept?.key === inputs) return kept.means;
    const year = vnYearStart(today - 1);
    if (year !== this.cacheYear) {
      this.dayMeanCache.clear();
      this.yearMeans.clear();
      this.cacheYear = year;
    }
    const key = (ch: string, d: number) => `${instrument}|${ch}|${d}|${intervalMs}|${suspect.get(ch) ?? ''}`;
    const out = new Map<string, Array<number | null>>(channels.map((c) => [c, []]));
    for (let d = year; d < today; d += DAY) {
      if (channels.some((c) => !this.dayMeanCache.has(key(c, d)))) {
        const byChannel = await this.records(instrument, d + 1, d + DAY + 1);
        for (const c of channels) this.dayMeanCache.set(key(c, d), dailyMean(byChannel.get(c) ?? [], d, intervalMs, suspect.get(c) ?? null));
      }
      for (const c of channels) out.get(c)!.push(this.dayMeanCache.get(key(c, d)) ?? null);
    }
    this.yearMeans.set(instrument, { key: inputs, means: out });
    return out;
  }

  /**
   * VN_AQI of a station (Decision 1459/QĐ-TCMT): `hour` — the clock hour ending at or before `at`;
   * `day` — the calendar day (ICT) before the one holding `at` (the last complete day), or the day
   * given by `at` when `at` is a day's start. From valid records (not suspect), one per ts.
   */
  async aqi(station: StationRow, period: 'hour' | 'day', at = this.now()): Promise<AqiResult> {
    const inst = station.instrument;
    const channels = this.o.registry.listChannels(inst).filter((c) => (AQI_CHANNELS as readonly string[]).includes(c.channel));
    const suspect = this.suspect(inst);
    const end = period === 'hour' ? vnHourStart(at) : vnDayStart(at);
    const first = period === 'hour' ? end - 12 * HOUR : end - DAY - 7 * HOUR;
    const byChannel = await this.records(inst, first - HOUR + 1, end + 1);
    const hours = new Map<string, ChannelHours>();
    for (const c of channels)
      hours.set(c.channel, {
        unit: c.unit,
        hours: hourlyMeans(byChannel.get(c.channel) ?? [], first - HOUR, end, station.intervalMs, { suspectSince: suspect.get(c.channel) ?? null }),
      });
    return period === 'hour' ? hourlyAqi(hours, end) : dailyAqi(hours, end - DAY);
  }

  /** The message published for a station's index. */
  aqiMessage(station: StationRow, org: string, r: AqiResult): AqiMessage {
    const c = r.category;
    return { v: 1, station: station.instrument, org, ...r, category: c ? { key: c.key, vi: c.vi, en: c.en, hex: c.hex } : null };
  }

  /** Publishes each air station's hourly index once per hour (retained) and its daily index once per day. */
  async publishAqi(): Promise<number> {
    const pub = this.o.publish;
    if (!pub) return 0;
    let sent = 0;
    const now = this.now();
    for (const station of this.o.registry.stations.listStations()) {
      if (station.medium !== 'air') continue;
      const inst = this.o.registry.getInstrument(station.instrument);
      if (!inst || !isTopicId(inst.org) || !isTopicId(station.instrument)) continue;
      const last = this.published.get(station.instrument) ?? { hour: 0, day: 0 };
      const topic = topics.stationAqi(inst.org, station.instrument);
      if (last.hour !== vnHourStart(now)) {
        pub(topic, JSON.stringify(this.aqiMessage(station, inst.org, await this.aqi(station, 'hour', now))), { retain: true });
        last.hour = vnHourStart(now);
        sent++;
      }
      if (last.day !== vnDayStart(now)) {
        pub(topic, JSON.stringify(this.aqiMessage(station, inst.org, await this.aqi(station, 'day', now))), { retain: false });
        last.day = vnDayStart(now);
        sent++;
      }
      this.published.set(station.instrument, last);
    }
    return sent;
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
          {
            value: worst.value,
            limit: worst.limit,
            period: worst.period,
            unit: worst.unit,
            source: worst.source,
            clause: worst.clause,
            final: worst.final,
            from: worst.from,
            to: worst.to,
            all: ex,
          },
        );
      }
    }
    const changes = batch.changes;
    this.o.notify?.(changes);
    await this.publishAqi();
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
