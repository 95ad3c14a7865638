import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { LIMIT_SETS, airUnitConversion, effectiveLimits, loadConfig, MetronetConfig, topics, vnDayStart, type ReadingStatus } from '../../core/index.js';
import { AQI_BREAKPOINTS, AQI_I, AQI_PARAMETERS } from '../../core/legal/vn-aqi-1459.js';
import { calendarAverage, completeness, exceedances, hourlyMeans, StationMonitor } from '../../analytics/index.js';
import { aqiCategory, dailyAqi, hourlyAqi, maxEightHour, nowcast, roundAqi, subIndex, type ChannelHours } from '../../analytics/aqi.js';
import { ambientDriftCheck } from '../../analytics/analyser.js';
import * as analytics from '../../analytics/index.js';
import { Engine } from '../../analytics/engine.js';
import * as broker from '../../broker/index.js';
import { buildApp } from '../../dashboard/app.js';
import { waitFor } from '../support/wait.js';
import { DAY, HOUR, MIN, authorityAuth, stationStores } from './support.js';

/** 2026-01-05 00:00 in Vietnam (UTC+7). */
const D0 = vnDayStart(Date.UTC(2026, 0, 5, 3));
const at = (h: number, m = 0) => D0 + h * HOUR + m * MIN;
const pt = (ts: number, value: number, status: ReadingStatus = 'ok') => ({ ts, value, status });
/** One record per hour, stamped at the end of each hour ending in (from, to]. */
const hourly = (from: number, to: number, value: (end: number) => number | null) =>
  Array.from({ length: Math.round((to - from) / HOUR) }, (_, k) => from + (k + 1) * HOUR).flatMap((ts) => {
    const v = value(ts);
    return v === null ? [] : [pt(ts, v)];
  });

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('QCVN 05:2023/BTNMT limits as data', () => {
  it('holds every parameter and averaging period of Bảng 1 (and Pb of Bảng 2), with clause and evidence', () => {
    // Oracle: QCVN 05:2023 Bảng 1 and Bảng 2 (µg/Nm³), as transcribed from the signed PDF; PM2.5
    // 24 h is "50; 45(*)": 45 from 01/01/2026.
    const expected: Record<string, Partial<Record<'1h' | '8h' | '24h' | '1y', number>>> = {
      so2: { '1h': 350, '24h': 125, '1y': 50 },
      co: { '1h': 30_000, '8h': 10_000 },
      no2: { '1h': 200, '24h': 100, '1y': 40 },
      o3: { '1h': 200, '8h': 120 },
      tsp: { '1h': 300, '24h': 200, '1y': 100 },
      pm10: { '24h': 100, '1y': 50 },
      pm25: { '24h': 45, '1y': 25 },
      pb: { '24h': 1.5 },
    };
    const got: typeof expected = {};
    for (const r of effectiveLimits('qcvn-05-2023', [], D0)) (got[r.parameter] ??= {})[r.period] = r.max;
    expect(got).toEqual(expected);
    // Before 2026 the PM2.5 24-hour limit is 50.
    const dec2025 = D0 - 10 * DAY;
    expect(effectiveLimits('qcvn-05-2023', [], dec2025).find((l) => l.parameter === 'pm25' && l.period === '24h')!.max).toBe(50);
    expect(effectiveLimits('qcvn-05-2023', [], vnDayStart(Date.UTC(2026, 0, 1, 3))).find((l) => l.parameter === 'pm25' && l.period === '24h')!.max).toBe(45);
    for (const l of LIMIT_SETS['qcvn-05-2023']!) {
      expect(l).toMatchObject({ unit: 'ug/m3', source: 'QCVN 05:2023/BTNMT' });
      expect(l.clause).toMatch(l.parameter === 'pb' ? /mục 2\.2, Bảng 2/ : /mục 2\.1, Bảng 1/);
      expect(l.evidence).toBe('transcription');
      expect(l.source).not.toMatch(/verify/);
    }
  });

  it.each(effectiveLimits('qcvn-05-2023', [], D0).map((r) => [r.parameter, r.period, r.max] as const))(
    'judges %s over %s against %d',
    (parameter, period, max) => {
      const limit = effectiveLimits('qcvn-05-2023', [], D0).find((l) => l.parameter === parameter && l.period === period)!;
      const judge = (v: number) => {
        // A whole day of hourly records at v; judged at 24:00, when hour, 8 hours and day all end.
        const pts = hourly(D0, D0 + DAY, () => v);
        const dayMeans = new Map([[parameter, [v, v, v, v, v]]]); // 1–5 January: the year so far
        return exceedances(new Map([[parameter, pts]]), [limit], D0 + DAY, HOUR, new Map(), { dayMeans });
      };
      const at = judge(max);
      expect(at.averages.get(parameter)![0]!.mean).toBeCloseTo(max, 9);
      expect(at.exceeded).toEqual([]); // equal to the limit does not exceed it
      const over = judge(max * 1.001);
      expect(over.exceeded).toHaveLength(1);
      expect(over.exceeded[0]).toMatchObject({ parameter, period, limit: max, bound: 'max', unit: 'ug/m3', final: period !== '1y' }); // the year to date is provisional
      expect(over.exceeded[0]!.clause).toBe(limit.clause);
    },
  );
});

describe('calendar periods and minimum data', () => {
  it('24h: while the day so far has no valid mean, the latest valid one is the day before, final', () => {
    // The day before at 40 every 15 min; today only a half-covered first hour (2 of 4 records).
    const dayBefore = Array.from({ length: 96 }, (_, k) => pt(D0 - DAY + (k + 1) * 15 * MIN, 40));
    const pts = [...dayBefore, pt(at(0, 15), 90), pt(at(0, 30), 90)];
    expect(calendarAverage(pts, '24h', at(1, 10), 15 * MIN)).toMatchObject({ from: D0 - DAY, to: D0, mean: 40, final: true });
    // Once 75 % of today's hours are valid (3 of the 4 ending 01:00 … 04:00), today's provisional mean is the one.
    const more = [...pts, ...Array.from({ length: 12 }, (_, k) => pt(at(1, 15) + k * 15 * MIN, 90))];
    expect(calendarAverage(more, '24h', at(4, 10), 15 * MIN)).toMatchObject({ from: D0, to: at(4), mean: 90, final: false });
  });

  it('hour: the clock hour ending at the last full hour, not a rolling window', () => {
    const so2 = [pt(at(10, 15), 300), pt(at(10, 30), 400), pt(at(10, 45), 900, 'check'), pt(at(11), 410), pt(at(11, 15), 2000)];
    // At 11:40 the rolling window (10:40, 11:40] would hold 410 and 2000; the clock hour (10:00, 11:00] holds 300, 400, 410.
    expect(calendarAverage(so2, '1h', at(11, 40), 15 * MIN)).toMatchObject({ from: at(10), to: at(11), n: 3, expected: 4, mean: 370 });
  });

  it('8 hours: running mean of 8 hourly means, 6 of 8 needed', () => {
    const co = hourly(at(4), at(12), (e) => (e === at(5) || e === at(6) ? null : 8000 + (e - at(4)) / HOUR));
    // Hours ending 07:00 … 12:00 present (6 of 8): values 8003 … 8008 → mean 8005.5.
    expect(calendarAverage(co, '8h', at(12), HOUR)).toMatchObject({ n: 6, expected: 8, mean: 8005.5 });
    const fewer = co.filter((p) => p.ts !== at(7));
    expect(calendarAverage(fewer, '8h', at(12), HOUR).mean).toBeNull();
  });

  it('day: the calendar day (ICT) from its hourly means, 18 of 24; provisional while it runs', () => {
    const pm = hourly(D0, D0 + DAY, (e) => (e <= at(18) ? 40 : null)); // hours ending 01:00 … 18:00
    expect(calendarAverage(pm, '24h', D0 + DAY, HOUR)).toMatchObject({ from: D0, n: 18, expected: 24, mean: 40, final: true });
    expect(calendarAverage(pm.slice(1), '24h', D0 + DAY, HOUR).mean).toBeNull(); // 17 of 24
    // 06:20: the day so far holds hours ending 01:00 … 06:00; 5 of 6 ≥ 75 % → provisional mean.
    const early = pm.filter((p) => p.ts !== at(3));
    expect(calendarAverage(early, '24h', at(6, 20), HOUR)).toMatchObject({ n: 5, expected: 6, mean: 40, final: false });
    // Just after midnight the judged day is the one that ended, complete.
    expect(calendarAverage(pm, '24h', D0 + DAY + 20 * MIN, HOUR)).toMatchObject({ from: D0, final: true, mean: 40 });
  });

  it('year: the calendar year to date from daily means, 75 % of the days', () => {
    // At 6 January 00:10: 1–5 January elapsed (5 days); 4 needed.
    expect(calendarAverage([], '1y', at(24, 10), HOUR, { dayMeans: [10, 20, null, 30, 40] })).toMatchObject({ n: 4, expected: 5, mean: 25, final: false });
    expect(calendarAverage([], '1y', at(24, 10), HOUR, { dayMeans: [10, null, null, 30, 40] }).mean).toBeNull();
  });
});

describe('duplicates are counted once', () => {
  it('in completeness (same ts twice, the same ts under two statuses, two records in one interval)', () => {
    const pts = [pt(at(5), 10), pt(at(5), 10), pt(at(6), 10, 'check'), pt(at(6), 11), pt(at(7), 10), pt(at(7, 10), 12), pt(at(8), 10, 'fault')];
    expect(completeness(pts, D0, D0 + DAY, HOUR)).toEqual({ expected: 24, received: 3, check: 0, fault: 1, other: 0, ratio: 3 / 24 });
  });

  it('in averages (a record sent twice weighs once)', () => {
    const pts = [pt(at(10, 15), 100), pt(at(10, 15), 100), pt(at(10, 30), 200), pt(at(10, 45), 300), pt(at(11), 400)];
    expect(hourlyMeans(pts, at(10), at(11), 15 * MIN)).toEqual([{ end: at(11), n: 4, expected: 4, mean: 250 }]);
  });
});

describe("the channel's unit against the limit's", () => {
  it("converts a gas mixing ratio at the regulation's normal conditions, 25 °C and 101.325 kPa (clause 1.3.10), stated with the result", () => {
    // Vm = 8.314462618 × 298.15 / 101325 = 24.4654 L/mol; SO₂ 100 ppb × 64.064 / 24.4654 = 261.855 µg/m³.
    const c = airUnitConversion('so2', 'ppb', 'ug/m3');
    expect(c.ok && c.factor * 100).toBeCloseTo(261.855, 2);
    expect(c.ok && c.conditions).toMatch(/25 °C, 101.325 kPa \(transcription\)/);
    expect(airUnitConversion('so2', 'mg/Nm3', 'ug/m3')).toMatchObject({ ok: true, factor: 1000 });
    expect(airUnitConversion('co', 'mg/m3', 'ug/m3')).toMatchObject({ ok: true, factor: 1000 });
    const so2 = hourly(D0, D0 + DAY, () => 140); // 140 ppb ≈ 366.6 µg/m³ > 350
    const limit = LIMIT_SETS['qcvn-05-2023']!.find((l) => l.parameter === 'so2' && l.period === '1h')!;
    const r = exceedances(new Map([['so2', so2]]), [limit], D0 + DAY, HOUR, new Map(), { units: new Map([['so2', 'ppb']]) });
    expect(r.exceeded[0]!.value).toBeCloseTo(366.6, 1);
    expect(r.averages.get('so2')![0]!.conversion).toMatchObject({ from: 'ppb' });
  });

  it('refuses what cannot be compared, with a reason in both languages', () => {
    expect(airUnitConversion('pm25', 'ppb', 'ug/m3')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/molar mass/),
      reasonVi: expect.stringMatching(/khối lượng mol/),
    });
    expect(airUnitConversion('so2', 'mg/L', 'ug/m3')).toMatchObject({ ok: false });
    const pm = hourly(D0, D0 + DAY, () => 900);
    const r = exceedances(
      new Map([['pm25', pm]]),
      effectiveLimits('qcvn-05-2023', [], D0).filter((l) => l.parameter === 'pm25'),
      D0 + DAY,
      HOUR,
      new Map(),
      {
        units: new Map([['pm25', 'ppb']]),
      },
    );
    expect(r.exceeded).toEqual([]);
    expect(r.refused.map((x) => [x.parameter, x.period, x.unit, x.limitUnit])).toEqual([
      ['pm25', '24h', 'ppb', 'ug/m3'],
      ['pm25', '1y', 'ppb', 'ug/m3'],
    ]);
  });
});

/*
 * VN_AQI oracle: the decision's own worked examples (Hướng dẫn, mục 2.3 "Tính toán mẫu", and the
 * 8-hour O₃ example of mục 2.2.2.a), then boundary cases computed from its Bảng 2 and formulas.
 */
describe('VN_AQI (Decision 1459/QĐ-TCMT): breakpoints, NowCast, hourly and daily indices', () => {
  it("reproduces the decision's worked examples (mục 2.3 and the 8-hour O₃ table of 2.2.2.a)", () => {
    // 2.3.a: PM2.5 hourly means 09:00 … 20:00; c₁ is the current hour (20:00). w* = 16.5/26.9 = 0.61 → NowCast 20.3.
    const pm25 = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6].reverse();
    expect(nowcast(pm25)!).toBeCloseTo(20.3, 1);
    // 2.3.b hourly: O₃ 136.1 → 43, PM2.5 NowCast 20.3 → 41; NO₂ 118.7 → 59.35 by the decision's own
    // formula 1 ((100 − 50)/(200 − 100) × 18.7 + 50), which the decision prints as 60, and so AQIʰ = 60.
    // A whole-number rounding gives 59; no rounding rule gives 60 without breaking its daily example.
    expect(roundAqi(subIndex('o3_1h', 136.1)!)).toBe(43);
    expect(roundAqi(subIndex('pm25', 20.3)!)).toBe(41);
    expect(subIndex('no2', 118.7)!).toBeCloseTo(59.35, 9);
    // 2.3.c daily: O₃ highest 8 h 89.3 → 45, highest 1 h 114.6 → 36, NO₂ highest 1 h 130.8 → 65,
    // PM2.5 24-hour mean 55.7 → 110; AQIᵈ = 110.
    const daily = [subIndex('o3_8h', 89.3)!, subIndex('o3_1h', 114.6)!, subIndex('no2', 130.8)!, subIndex('pm25', 55.7)!].map(roundAqi);
    expect(daily).toEqual([45, 36, 65, 110]);
    expect(Math.max(...daily)).toBe(110);
    expect(aqiCategory(110).vi).toBe('Kém');
    // 2.2.2.a: O₃ hourly means from 18:00 of the day before to 00:00 after; the highest of the day's
    // 24 eight-hour means (ending 01:00 … 00:00) is 74.4 (ending 17:00), the first is 18.0.
    const o3 = [15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7, 22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6, 45.7, 49.2, 55.8, 69.6, 78.3, 91.5, 97.7, 81.2, 71.8];
    const tail = [43.5, 34.3, 21.5, 20.5, 19.4, 20.4, 21.3];
    const hours = new Map([...o3, ...tail].map((x, k) => [D0 + (k - 6) * HOUR, x] as const)); // 18:00 the day before is D0 − 6 h
    expect(maxEightHour(hours, D0)!).toBeCloseTo(74.4, 1);
    expect([...o3.slice(0, 8)].reduce((a, b) => a + b, 0) / 8).toBeCloseTo(18.0, 1);
  });

  it('gives Iᵢ exactly at each breakpoint BPᵢ of every column', () => {
    for (const p of AQI_PARAMETERS)
      AQI_BREAKPOINTS[p].forEach((bp, i) => {
        if (bp !== null) expect(subIndex(p, bp), `${p} at ${bp}`).toBeCloseTo(AQI_I[i]!, 9);
      });
  });

  it('rounds to a whole index and names the category at its boundaries', () => {
    expect(roundAqi(subIndex('pm25', 25.01)!)).toBe(50); // 50.02
    expect(aqiCategory(50)).toMatchObject({ vi: 'Tốt', hex: '#00e400' });
    expect(roundAqi(subIndex('pm25', 25.3)!)).toBe(51); // 50 + 2 × 0.3 = 50.6
    expect(aqiCategory(51)).toMatchObject({ vi: 'Trung bình', rgb: [255, 255, 0] });
    expect(roundAqi(subIndex('pm25', 50.3)!)).toBe(101); // 100 + 50/30 × 0.3 = 100.5
    expect(aqiCategory(101).vi).toBe('Kém');
    expect(aqiCategory(151).vi).toBe('Xấu');
    expect(aqiCategory(201)).toMatchObject({ vi: 'Rất xấu', rgb: [143, 63, 151] });
    expect(aqiCategory(301)).toMatchObject({ vi: 'Nguy hại', rgb: [126, 0, 35] });
    expect(subIndex('pm25', 800)).toBe(500); // above the table: the top of the scale
    expect(subIndex('o3_8h', 450)).toBeNull(); // beyond the 8-hour column: the 1-hour value is used
    expect(subIndex('so2', -2)).toBe(0);
  });

  it('NowCast: w = ½ when c_min/c_max ≤ ½, w* otherwise; needs 2 of the 3 latest hours', () => {
    // c_min/c_max = 20/40 = ½ → Σ ½ⁱcᵢ = 20 + 7.5 + 2.5 + 30·(½³ − ½¹²) = 33.742676
    expect(nowcast([40, 30, 20, 30, 30, 30, 30, 30, 30, 30, 30, 30])).toBeCloseTo(33.742676, 5);
    // w* = 30/40 = 0.75: (40 + 0.75·30 + 0.5625·35) / (1 + 0.75 + 0.5625) = 82.1875 / 2.3125 = 35.540541
    expect(nowcast([40, 30, 35])).toBeCloseTo(35.540541, 5);
    expect(nowcast([40, null, null, 30])).toBeNull();
    expect(nowcast([null, 30, 35])).toBeCloseTo((30 + (30 / 35) * 35) / (1 + 30 / 35), 9); // i counts from the current hour even when it is missing
  });

  const series = (unit: string, from: number, to: number, v: (end: number) => number | null): ChannelHours => ({
    unit,
    hours: Array.from({ length: Math.round((to - from) / HOUR) }, (_, k) => ({
      end: from + (k + 1) * HOUR,
      n: 4,
      expected: 4,
      mean: v(from + (k + 1) * HOUR),
    })),
  });

  it('hourly: PM2.5 37.5 → 75, PM10 60 → 55, SO₂ 100 → 40; VN_AQI 75 "Trung bình", main PM2.5', () => {
    const end = at(12);
    const r = hourlyAqi(
      new Map([
        ['pm25', series('ug/m3', at(0), end, () => 37.5)],
        ['pm10', series('ug/m3', at(0), end, () => 60)],
        ['so2', series('ug/m3', at(0), end, () => 100)],
      ]),
      end,
    );
    expect(r.parameters.map((p) => [p.channel, p.basis, p.aqi])).toEqual([
      ['pm25', 'nowcast', 75],
      ['pm10', 'nowcast', 55],
      ['so2', '1h', 40],
    ]);
    expect(r).toMatchObject({ aqi: 75, main: ['pm25'], category: { vi: 'Trung bình' }, from: at(11), to: end });
    // Without PM10 or PM2.5 there is no overall index.
    expect(hourlyAqi(new Map([['so2', series('ug/m3', at(0), end, () => 100)]]), end).aqi).toBeNull();
  });

  it('daily: PM2.5 24-hour mean 60 → 117 "Kém"; O₃ from its highest 8-hour mean 150 → 130', () => {
    const r = dailyAqi(
      new Map([
        ['pm25', series('ug/m3', D0, D0 + DAY, () => 60)],
        ['o3', series('ug/m3', D0 - 8 * HOUR, D0 + DAY, () => 150)],
      ]),
      D0,
    );
    // PM2.5: 100 + 50·(60 − 50)/(80 − 50) = 116.67 → 117. O₃: 1 h 150 → 46.9; 8 h 150 → 100 + 50·30/50 = 130.
    expect(r.parameters.map((p) => [p.channel, p.basis, p.aqi])).toEqual([
      ['pm25', '24h', 117],
      ['o3', 'max8h', 130],
    ]);
    expect(r).toMatchObject({ aqi: 130, main: ['o3'], category: { vi: 'Kém', hex: '#ff7e00' } });
    // 17 hourly means of 24: no daily index for that parameter.
    const few = dailyAqi(new Map([['pm25', series('ug/m3', D0, D0 + DAY, (e) => (e <= at(17) ? 60 : null))]]), D0);
    expect(few).toMatchObject({ aqi: null, missing: [{ channel: 'pm25' }] });
  });
});

describe('ambient analyser QA', () => {
  it('judges zero drift absolutely and span drift in % of the reference (EPA ambient criteria where Vietnamese rules are silent)', () => {
    expect(ambientDriftCheck({ gas: 'so2', unit: 'ppb', reference: 0, measured: 2, span: 500 })).toMatchObject({ level: 'zero', pass: true, limit: 3.1 });
    expect(ambientDriftCheck({ gas: 'so2', unit: 'ppb', reference: 0, measured: 4, span: 500, hoursSincePrevious: 72 })).toMatchObject({
      pass: true,
      limit: 5.1,
    });
    expect(ambientDriftCheck({ gas: 'so2', unit: 'ppb', reference: 400, measured: 436, span: 500 })).toMatchObject({ level: 'span', pass: true, drift: 9 });
    expect(ambientDriftCheck({ gas: 'so2', unit: 'ppb', reference: 400, measured: 445, span: 500 })).toMatchObject({ pass: false, limit: 10.1 });
    expect(ambientDriftCheck({ gas: 'o3', unit: 'ppb', reference: 400, measured: 430, span: 500 })!.pass).toBe(false); // 7.5 % > 7.1 %
    // A zero limit in µg/m³: 3.1 ppb SO₂ = 8.12 µg/m³.
    expect(ambientDriftCheck({ gas: 'so2', unit: 'ug/m3', reference: 0, measured: 8, span: 1000 })!.limit).toBeCloseTo(8.117, 2);
  });
});

async function seedAir(s: ReturnType<typeof stationStores>, channel: string, unit: string, from: number, to: number, value: number) {
  const readings = [];
  for (let ts = from + 15 * MIN; ts <= to; ts += 15 * MIN)
    readings.push({ org: 'so-tnmt', instrument: 'AQ-1', channel, ts, value, unit, status: 'ok' as const });
  await s.readings.write(readings);
  s.registry.updateLatest(readings);
}

describe("the year's daily means in the monitor", () => {
  it('reads the past days once a day, not at every evaluation', async () => {
    const s = stationStores();
    cleanups.push(s.cleanup);
    await seedAir(s, 'so2', 'ug/m3', D0 - 4 * DAY, at(12), 100);
    let queries = 0;
    const query = s.readings.query.bind(s.readings);
    s.readings.query = (q) => {
      queries++;
      return query(q);
    };
    const m = new StationMonitor({ registry: s.registry, readings: s.readings, now: () => at(12, 7) });
    const first = (await m.summary(s.station))!;
    expect(queries).toBe(1 + 4); // the summary's own records, then 1–4 January once each
    const so2Year = (sum: typeof first) => sum.parameters.find((p) => p.channel === 'so2')!.averages.find((a) => a.period === '1y');
    expect(so2Year(first)).toMatchObject({ n: 4, expected: 4, mean: 100 });
    const second = (await m.summary(s.station))!;
    expect(queries).toBe(1 + 4 + 1); // the next evaluation reads only its own records
    expect(so2Year(second)).toEqual(so2Year(first));
  });
});

describe('VN_AQI from stored station readings: API and MQTT', () => {
  it('answers GET /stations/{id}/aqi for the hour and the day, and refuses a unit it cannot compare', async () => {
    const s = stationStores();
    cleanups.push(s.cleanup);
    s.registry.ensureChannel('AQ-1', 'pm10', 'ug/m3');
    s.registry.ensureChannel('AQ-1', 'tsp', 'ppb'); // a misconfigured channel
    await seedAir(s, 'pm25', 'ug/m3', D0 - DAY, at(12), 37.5);
    await seedAir(s, 'pm10', 'ug/m3', D0 - DAY, at(12), 60);
    await seedAir(s, 'so2', 'ug/m3', D0 - DAY, at(12), 100);
    await seedAir(s, 'tsp', 'ppb', at(0), at(12), 10);
    const now = at(12, 7);
    const m = new StationMonitor({ registry: s.registry, readings: s.readings, now: () => now });
    const sum = (await m.summary(s.station))!;
    expect(sum.unitRefusals.map((r) => [r.parameter, r.period])).toEqual([
      ['tsp', '1h'],
      ['tsp', '24h'],
      ['tsp', '1y'],
    ]);
    const engine = new Engine({ registry: s.registry, now: () => now });
    const app = await buildApp({ registry: s.registry, readings: s.readings, analytics: engine, now: () => now });
    cleanups.unshift(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1`;
    const headers = await authorityAuth(s.registry);
    const hour = (await (await fetch(`${base}/stations/AQ-1/aqi?period=hour&at=${new Date(now).toISOString()}`, { headers })).json()) as any;
    expect(hour).toMatchObject({
      station: 'AQ-1',
      period: 'hour',
      aqi: 75,
      to: at(12),
      main: ['pm25'],
      category: { key: 'moderate', vi: 'Trung bình', hex: '#ffff00' },
    });
    expect(Object.keys(hour.category).sort()).toEqual(['en', 'hex', 'key', 'vi']);
    // The day before (4 January): PM2.5 37.5 all day → 75; PM10 60 → 55; SO₂ max 1 h 100 → 40.
    const day = (await (await fetch(`${base}/stations/AQ-1/aqi?period=day&at=${new Date(now).toISOString()}`, { headers })).json()) as any;
    expect(day).toMatchObject({ period: 'day', from: D0 - DAY, to: D0, aqi: 75 });
    expect(day.parameters.map((p: any) => [p.channel, p.basis, p.aqi])).toEqual([
      ['pm25', '24h', 75],
      ['pm10', '24h', 55],
      ['so2', 'max1h', 40],
    ]);
    expect((await fetch(`${base}/stations/AQ-1/aqi?period=week`, { headers })).status).toBe(400);
    expect((await fetch(`${base}/stations/NOPE/aqi`, { headers })).status).toBe(404);
  });

  it('publishes the hourly index, retained, on metronet/v1/{org}/aqi/{station} through the embedded broker; only that organisation may read it', async () => {
    const s = stationStores();
    cleanups.push(s.cleanup);
    const now = at(12, 7);
    await seedAir(s, 'pm25', 'ug/m3', at(0), at(12), 37.5);
    await seedAir(s, 'so2', 'ug/m3', at(0), at(12), 100);
    const svcLogin = await s.registry.identity.setMqttCredential({ username: 'svc-analytics', kind: 'service', subject: 'analytics' });
    const orgLogin = await s.registry.identity.setMqttCredential({ username: 'so-tnmt-mqtt', kind: 'org', subject: 'so-tnmt' });
    const otherLogin = await s.registry.identity.setMqttCredential({ username: 'other-mqtt', kind: 'org', subject: 'other-org' });
    const mq = await broker.start({ host: '127.0.0.1', port: 0, auth: broker.registryAuth(s.registry) });
    cleanups.unshift(() => mq.close());
    const config = loadConfig(MetronetConfig, { overrides: { 'analytics.clientId': 'analytics-aqi-test' } });
    const svc = await analytics.start({
      mqtt: { url: mq.url, username: 'svc-analytics', password: svcLogin.secret },
      analytics: config.analytics,
      registry: s.registry,
      readings: s.readings,
      now: () => now,
      stationsEveryMs: 60_000,
    });
    cleanups.unshift(() => svc.close());
    const topic = topics.stationAqi('so-tnmt', 'AQ-1');
    expect(topic).toBe('metronet/v1/so-tnmt/aqi/AQ-1');
    const sub = await mqtt.connectAsync(mq.url, { clientId: 'aqi-reader', username: 'so-tnmt-mqtt', password: orgLogin.secret, reconnectPeriod: 0 });
    cleanups.unshift(() => sub.endAsync());
    const got: any[] = [];
    sub.on('message', (t, p, packet) => got.push({ t, retain: packet.retain, msg: JSON.parse(p.toString()) }));
    await sub.subscribeAsync('metronet/v1/so-tnmt/aqi/+', { qos: 1 });
    const hourMsg = await waitFor(() => got.find((g) => g.msg.period === 'hour'), { message: 'the hourly AQI message', timeout: 10_000 });
    expect(hourMsg.t).toBe(topic);
    expect(hourMsg.msg).toMatchObject({ v: 1, station: 'AQ-1', org: 'so-tnmt', period: 'hour', aqi: 75, to: at(12), category: { vi: 'Trung bình' } });
    // Retained: a reader subscribing afterwards gets it at once, flagged retained.
    const late = await mqtt.connectAsync(mq.url, { clientId: 'aqi-late-reader', username: 'so-tnmt-mqtt', password: orgLogin.secret, reconnectPeriod: 0 });
    cleanups.unshift(() => late.endAsync());
    const kept: any[] = [];
    late.on('message', (_t, p, packet) => kept.push({ retain: packet.retain, msg: JSON.parse(p.toString()) }));
    await late.subscribeAsync(topic, { qos: 1 });
    const retained = await waitFor(() => kept.find((g) => g.msg.period === 'hour'), { message: 'the retained hourly AQI message', timeout: 10_000 });
    expect(retained).toMatchObject({ retain: true, msg: { aqi: 75, to: at(12) } });
    // Another organisation's login is refused the filter (SUBACK 0x80).
    const other = await mqtt.connectAsync(mq.url, { clientId: 'aqi-other', username: 'other-mqtt', password: otherLogin.secret, reconnectPeriod: 0 });
    cleanups.unshift(() => other.endAsync(true));
    const refused = await other.subscribeAsync('metronet/v1/so-tnmt/aqi/+', { qos: 1 }).then(
      () => null,
      (err: { packet?: { granted?: unknown[] } }) => err,
    );
    expect(refused?.packet?.granted).toEqual([128]);
  });
});
