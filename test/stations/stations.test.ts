import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { vnDayStart, type ReadingStatus } from '../../core/index.js';
import { completeness, exceedances, rollingAverage, StationMonitor } from '../../analytics/index.js';
import { Engine } from '../../analytics/engine.js';
import * as analytics from '../../analytics/index.js';
import { buildApp } from '../../dashboard/app.js';
import { waitFor } from '../support/wait.js';
import { DAY, HOUR, MIN, authorityAuth, stationStores } from './support.js';

/** 2026-01-05 00:00 in Vietnam (UTC+7) = 2026-01-04 17:00 UTC. */
const D0 = vnDayStart(Date.UTC(2026, 0, 5, 3));
const at = (h: number, m = 0) => D0 + h * HOUR + m * MIN;
const pt = (ts: number, value: number, status: ReadingStatus = 'ok') => ({ ts, value, status });

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('completeness and rolling averages (hand-computed fixtures)', () => {
  it('counts received ÷ expected per day, check and fault apart', () => {
    expect(D0).toBe(Date.UTC(2026, 0, 4, 17));
    // Hourly station: 24 expected. 18 ok, 2 check, 1 fault, 3 hours missing.
    const status = (h: number): ReadingStatus | null => (h < 18 ? 'ok' : h < 20 ? 'check' : h === 20 ? 'fault' : null);
    const points = Array.from({ length: 24 }, (_, h) => h)
      .filter((h) => status(h))
      .map((h) => pt(at(h), 10, status(h)!));
    points.push(pt(at(24, 30), 10)); // next day: not counted
    expect(completeness(points, D0, D0 + DAY, HOUR)).toEqual({ expected: 24, received: 18, check: 2, fault: 1, other: 0, ratio: 0.75 });
  });

  it('averages valid records only and needs 75 % of the expected ones', () => {
    const so2 = [pt(at(10, 15), 300), pt(at(10, 30), 400), pt(at(10, 45), 900, 'check'), pt(at(11), 410)];
    // (300 + 400 + 410) / 3 = 370; the 900 taken while calibrating is left out (with it: 502.5).
    expect(rollingAverage(so2, '1h', at(11), 15 * MIN)).toMatchObject({ n: 3, expected: 4, mean: 370 });
    // 24 h: 3 of 96 expected → no valid average.
    expect(rollingAverage(so2, '24h', at(11), 15 * MIN).mean).toBeNull();
    // Window (10:00, 11:00]: at 11:14 the 10:15 record is still in, 10:00 would not be.
    expect(rollingAverage(so2, '1h', at(11, 14), 15 * MIN).mean).toBe(370);
    expect(rollingAverage(so2, '1h', at(11, 16), 15 * MIN)).toMatchObject({ n: 2, mean: null });
    // Suspect data (analyser out of control since 10:20) are not valid either: 300 alone, 1 of 4.
    expect(rollingAverage(so2, '1h', at(11), 15 * MIN, { suspectSince: at(10, 20) }).mean).toBeNull();
  });

  it('names value, limit and period of each exceedance (QCVN 05:2023 defaults)', () => {
    const so2 = [pt(at(10, 15), 300), pt(at(10, 30), 400), pt(at(10, 45), 900, 'check'), pt(at(11), 410)];
    const pm25 = [pt(at(10, 15), 20), pt(at(10, 30), 30), pt(at(10, 45), 25), pt(at(11), 25)];
    const { exceeded, averages } = exceedances(
      new Map([
        ['so2', so2],
        ['pm25', pm25],
      ]),
      [
        { parameter: 'so2', period: '1h', max: 350, unit: 'ug/m3', source: 'QCVN 05:2023/BTNMT' },
        { parameter: 'pm25', period: '1h', max: 50, unit: 'ug/m3', source: 'test' },
      ],
      at(11),
      15 * MIN,
    );
    expect(exceeded).toEqual([
      {
        parameter: 'so2',
        period: '1h',
        value: 370,
        limit: 350,
        bound: 'max',
        unit: 'ug/m3',
        source: 'QCVN 05:2023/BTNMT',
        from: at(10),
        to: at(11),
        final: true,
      },
    ]);
    expect(averages.get('pm25')![0]!.mean).toBe(25);
  });
});

async function seed(s: ReturnType<typeof stationStores>, rows: Array<[string, number, number, ReadingStatus]>) {
  const readings = rows.map(([channel, ts, value, status]) => ({ org: 'so-tnmt', instrument: 'AQ-1', channel, ts, value, unit: 'ug/m3', status }));
  await s.readings.write(readings);
  s.registry.updateLatest(readings);
}

describe('the station monitor on real stores', () => {
  it('reports completeness and exceedances, alerts with value, limit and period, clears with hysteresis', async () => {
    const s = stationStores();
    cleanups.push(s.cleanup);
    let now = at(11);
    await seed(s, [
      ['so2', at(10, 15), 300, 'ok'],
      ['so2', at(10, 30), 400, 'ok'],
      ['so2', at(10, 45), 900, 'check'],
      ['so2', at(11), 410, 'ok'],
      ['pm25', at(11), 20, 'ok'],
    ]);
    const m = new StationMonitor({ registry: s.registry, readings: s.readings, now: () => now });
    const sum = (await m.summary(s.station))!;
    expect(sum.state).toBe('online');
    const so2 = sum.parameters.find((p) => p.channel === 'so2')!;
    // Day [00:00, 11:00] at 15 min: 44 expected; 3 ok, 1 check.
    expect(so2.completeness).toEqual({ expected: 44, received: 3, check: 1, fault: 0, other: 0, ratio: 3 / 44 });
    expect(so2.limitRatio).toBeCloseTo(370 / 350, 10);
    expect(sum.exceedances.map((e) => [e.parameter, e.period, e.value, e.limit])).toEqual([['so2', '1h', 370, 350]]);

    const r = await m.evaluate();
    const alert = r.changes.find((c) => c.alert.kind === 'limit_exceeded')!;
    expect(alert.event).toBe('opened');
    expect(alert.alert.channel).toBe('so2');
    expect(alert.alert.details).toMatchObject({ value: 370, limit: 350, period: '1h', unit: 'ug/m3' });
    expect(r.nextDeadline).toBe(at(11) + 20 * MIN + 1);

    // The hour moves on: the average falls below the limit; cleared on the second clean evaluation.
    await seed(s, [
      ['so2', at(11, 15), 100, 'ok'],
      ['so2', at(11, 30), 100, 'ok'],
      ['so2', at(11, 45), 100, 'ok'],
      ['so2', at(12), 100, 'ok'],
      ['pm25', at(12), 20, 'ok'],
    ]);
    now = at(12);
    expect((await m.evaluate()).changes).toEqual([]);
    expect((await m.evaluate()).changes.map((c) => [c.alert.kind, c.event])).toEqual([['limit_exceeded', 'cleared']]);
  });

  it('raises a gap alert once the station is quiet longer than interval plus tolerance', async () => {
    const s = stationStores();
    cleanups.push(s.cleanup);
    await seed(s, [
      ['so2', at(11), 50, 'ok'],
      ['pm25', at(11), 20, 'ok'],
    ]);
    let now = at(11, 20); // exactly interval (15 min) + tolerance (5 min): not yet
    const m = new StationMonitor({ registry: s.registry, readings: s.readings, now: () => now });
    expect((await m.evaluate()).changes).toEqual([]);
    now += 1;
    const r = await m.evaluate();
    expect(r.changes.map((c) => [c.alert.kind, c.event, c.alert.subject])).toEqual([['station_gap', 'opened', 'AQ-1']]);
    expect((await m.summary(s.station))!.state).toBe('gap');
  });

  it('the analytics service alerts a quiet station within its interval plus tolerance', async () => {
    const s = stationStores({ intervalMs: 400, toleranceMs: 300 });
    cleanups.push(s.cleanup);
    const t0 = Date.now();
    await seed(s, [
      ['so2', t0, 50, 'ok'],
      ['pm25', t0, 20, 'ok'],
    ]);
    const EVERY_MS = 60_000;
    const svc = await analytics.start({
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      analytics: { evaluateEveryMs: EVERY_MS } as never,
      registry: s.registry,
      readings: s.readings,
      subscribe: false,
      stationsEveryMs: EVERY_MS,
    });
    cleanups.unshift(() => svc.close());
    const deadline = t0 + 700;
    // Raised by the deadline timer at interval + tolerance, not by the 60 s period: awaited for
    // far less than a period, and opened no sooner than the deadline.
    const [alert] = await waitFor(
      () => {
        const live = s.registry.analytics.listAlerts({ kind: 'station_gap', state: 'open' }).items;
        return live.length > 0 && live;
      },
      { message: 'the station_gap alert', timeout: EVERY_MS / 4 },
    );
    expect(s.registry.analytics.listAlerts({ kind: 'station_gap', state: 'open' }).total).toBe(1);
    expect(alert!.openedAt).toBeGreaterThan(deadline - 1);
    expect(alert!.openedAt - deadline).toBeLessThan(EVERY_MS / 10); // the timer, however late a busy machine runs it
  });
});

describe('analyser quality', () => {
  it('a span check failing 5 days running declares the analyser out of control and flags its data as suspect', async () => {
    const s = stationStores();
    cleanups.push(s.cleanup);
    const now = Date.now();
    const d0 = now - 6 * DAY;
    s.registry.analytics.setChannelMetrology({
      instrument: 'AQ-1',
      channel: 'so2',
      tolerance: { model: 'analyser', span: 1000, gas: 'so2' },
      repeatability: 4,
      analyser: true,
    });
    const engine = new Engine({ registry: s.registry });
    const span = (ts: number, indicated: number) =>
      engine.submitChecks({ checks: [{ instrument: 'AQ-1', channel: 'so2', ts, referenceValue: 800, referenceU: 16, indicated }], source: 'api' });
    span(d0, 805); // +0.5 % of span: within the 2.5 % limit
    // Limit 2.5 % of span (EPA 40 CFR 60 App. B PS-2) → > 5 % on 5 consecutive days is out of control.
    for (let d = 1; d <= 4; d++) expect(span(d0 + d * DAY, 860).alerts.some((a) => a.alert.kind === 'analyser_out_of_control')).toBe(false);
    const fifth = span(d0 + 5 * DAY, 860);
    expect(fifth.alerts.map((a) => [a.alert.kind, a.event])).toContainEqual(['analyser_out_of_control', 'opened']);

    // Records after the last good check are suspect: marked, and left out of averages.
    await seed(s, [
      ['so2', now - 30 * MIN, 380, 'ok'],
      ['so2', now - 15 * MIN, 390, 'ok'],
      ['so2', now, 400, 'ok'],
    ]);
    const m = new StationMonitor({ registry: s.registry, readings: s.readings });
    expect(m.suspect('AQ-1')).toEqual(new Map([['so2', d0]]));

    const app = await buildApp({ registry: s.registry, readings: s.readings, analytics: engine });
    cleanups.unshift(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1`;
    const headers = await authorityAuth(s.registry);
    const one = (await (await fetch(`${base}/stations/AQ-1`, { headers })).json()) as any;
    const so2 = one.parameters.find((p: any) => p.channel === 'so2');
    expect(so2).toMatchObject({ suspect: true, suspectSince: d0, value: 400 });
    expect(so2.averages.find((a: any) => a.period === '1h').n).toBe(0);
    expect(one.exceedances).toEqual([]);
    expect(one.limits.find((l: any) => l.parameter === 'so2' && l.period === '1h').max).toBe(350);
    expect(one.daily).toHaveLength(7);

    const list = (await (await fetch(`${base}/stations`, { headers })).json()) as any;
    expect(list.items.map((i: any) => [i.id, i.medium, i.latitude])).toEqual([['AQ-1', 'air', 10.93]]);
    expect(Object.keys(list.items[0]).sort()).toEqual([
      'completeness',
      'day',
      'exceedances',
      'id',
      'intervalMs',
      'lastTs',
      'latitude',
      'limitSet',
      'longitude',
      'medium',
      'name',
      'org',
      'parameters',
      'site',
      'state',
      'toleranceMs',
      'unitRefusals',
    ]);
    expect((await fetch(`${base}/stations/NOPE`, { headers })).status).toBe(404);
    expect((await fetch(`${base}/stations`)).status).toBe(401);
  });
});
