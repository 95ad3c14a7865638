import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { loadProfiles, channelOf, topics } from '../../core/index.js';
import { periods, waitFor } from '../support/wait.js';
import { DEMO_INSTRUMENTS, startDemoStack, type DemoStack } from './stack.js';
import { scalePoints } from '../../cli/demo.js';
import { withPointSims } from '../../simulators/index.js';

/**
 * The whole pipeline over real sockets: Modbus TCP simulators → gateways → embedded MQTT broker
 * → ingest → SQLite → REST API, composed exactly as `npm start` composes it.
 */
let stack: DemoStack;
const profiles = loadProfiles();

interface ChannelView {
  channel: string;
  unit: string;
  value: number | null;
  ts: number | null;
  status: string | null;
}
interface InstrumentView {
  id: string;
  org: string;
  registration: string;
  lastSeen: number | null;
  channels: ChannelView[];
}

const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const res = await stack.api(`api/v1/${path}`);
  return { status: res.status, body: (await res.json()) as T };
};
const instrument = async (id: string) => (await api<InstrumentView>(`instruments/${id}`)).body;
const channel = async (id: string, ch: string) => (await instrument(id)).channels.find((c) => c.channel === ch);
/** Statuses of the readings stored for a channel since `from`, oldest first. */
const storedStatuses = async (id: string, ch: string, from: number) =>
  (await stack.readings.query({ instrument: id, channel: ch, from, to: Date.now() + 1 }))[0]?.points.map((p) => p.status) ?? [];
/** A wait for what `n` device-to-API cycles bring (poll, publish, ingest flush). */
const cycles = (n: number, message: string) => ({ message, timeout: periods(n, stack.cycleMs) });

beforeAll(async () => {
  stack = await startDemoStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('simulated province end to end', () => {
  it('every instrument of every profile reports each published channel with its unit', async () => {
    for (const inst of DEMO_INSTRUMENTS) {
      // The profile's simulation as the demo runs it (a demo scale states its own e, d and Max).
      const profile = withPointSims(profiles.get(inst.profile)!, 'scale' in inst && inst.scale ? scalePoints(inst.scale) : undefined);
      const expected = profile.points.filter((p) => (p.role ?? 'value') !== 'status');
      const view = await waitFor(
        async () => {
          const v = await instrument(inst.id);
          return v.channels.filter((c) => c.value !== null).length === expected.length && v;
        },
        cycles(3, `all channels of ${inst.id}`),
      );
      expect(view.org).toBe(inst.org);
      expect(view.registration).toBe('registered');
      for (const p of expected) {
        const c = view.channels.find((x) => x.channel === channelOf(p))!;
        expect(c.unit, `${inst.id}.${c.channel}`).toBe(p.unit);
        if (p.sim?.noise === undefined && p.sim?.ratePerSecond === undefined && p.sim?.dailyAmplitude === undefined && p.sim) {
          expect(c.value, `${inst.id}.${c.channel}`).toBeCloseTo(p.sim.value, 3);
        }
      }
    }
    // Decoded through each profile's word order and scale: plausible engineering values.
    expect((await channel('SC-0001', 'gross'))!.value).toBeCloseTo(20, 1);
    expect((await channel('FD-0001', 'n1_unit_price'))!.value).toBe(20830);
    expect((await channel('FD-0001', 'n1_totaliser'))!.value).toBeGreaterThan(124_000);
    expect((await channel('AQ-PT-01', 'humidity'))!.value).toBeGreaterThan(0);
  });

  it('serves stored readings over a time range, raw and in buckets', async () => {
    const raw = await waitFor(
      async () => {
        const r = await api<{ series: Array<{ channel: string; unit: string; points: Array<{ ts: number; value: number }> }> }>(
          'instruments/SC-0001/readings?channel=gross&from=-5m',
        );
        return r.body.series[0] && r.body.series[0].points.length >= 3 && r.body;
      },
      cycles(5, 'three stored readings'),
    );
    expect(raw.series).toHaveLength(1);
    expect(raw.series[0]!.unit).toBe('kg');
    const ts = raw.series[0]!.points.map((p) => p.ts);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    const bucketed = await api<{ every: number; series: Array<{ points: Array<{ count: number; min: number; max: number; value: number }> }> }>(
      'instruments/SC-0001/readings?channel=gross&from=-5m&every=1h',
    );
    expect(bucketed.body.every).toBe(3_600_000);
    const total = bucketed.body.series[0]!.points.reduce((n, p) => n + p.count, 0);
    expect(total).toBeGreaterThanOrEqual(raw.series[0]!.points.length);
  });

  it('answers API errors with a code and a reason', async () => {
    expect(await api('instruments/NOPE-1')).toEqual({ status: 404, body: { error: expect.objectContaining({ code: 'E_UNKNOWN_INSTRUMENT' }) } });
    const badChannel = await api<{ error: { code: string; message: string } }>('instruments/SC-0001/readings?channel=volume');
    expect(badChannel.status).toBe(404);
    expect(badChannel.body.error.message).toMatch(/has no channel "volume"; it has .*gross/);
    const badTime = await api<{ error: { code: string } }>('instruments/SC-0001/readings?from=yesterday');
    expect(badTime).toMatchObject({ status: 400, body: { error: { code: 'E_BAD_REQUEST' } } });
    const health = await api<{ status: string }>('health');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('rejects malformed JSON, a wrong unit and a future timestamp with reasons, stores the valid rest, keeps running', async () => {
    // A gateway of the market with its own login (the embedded broker authenticates, issue 6).
    const { secret } = await stack.registry.identity.setMqttCredential({ username: 'gw-e2e', kind: 'gateway', subject: 'gw-e2e', org: 'cho-phan-thiet' });
    const client = await mqtt.connectAsync(stack.brokerUrl, { clientId: 'e2e-bad-gateway', username: 'gw-e2e', password: secret, reconnectPeriod: 0 });
    const topic = topics.readings('cho-phan-thiet', 'gw-e2e');
    const now = Date.now();
    const validTs = now - 60_000;
    await client.publishAsync(topic, '{"v":1,"gateway":"gw-e2e","seq":1,"readings":[', { qos: 1 });
    const reading = { instrument: 'SC-0001', channel: 'gross', status: 'ok' };
    await client.publishAsync(
      topic,
      JSON.stringify({
        v: 1,
        gateway: 'gw-e2e',
        seq: 2,
        readings: [
          { ...reading, ts: validTs, value: 20.125, unit: 'kg' },
          { ...reading, ts: validTs + 1, value: 20125, unit: 'g' },
          { ...reading, ts: now + 3_600_000, value: 20.1, unit: 'kg' },
        ],
      }),
      { qos: 1 },
    );
    await client.endAsync();

    const rejects = await waitFor(
      () => {
        const r = stack.registry.listRejects({ gateway: 'gw-e2e' });
        return r.length >= 3 && r;
      },
      cycles(2, 'three rejects'),
    );
    const byCode = new Map(rejects.map((r) => [r.code, r]));
    expect(byCode.get('E_MALFORMED_JSON')).toMatchObject({ org: 'cho-phan-thiet' });
    expect(byCode.get('E_UNIT_MISMATCH')).toMatchObject({ field: 'readings[1].unit', value: 'g' });
    expect(byCode.get('E_UNIT_MISMATCH')!.message).toMatch(/kg/);
    expect(byCode.get('E_TS_IN_FUTURE')).toMatchObject({ field: 'readings[2].ts' });
    expect(stack.ingest.stats().rejected).toMatchObject({ E_MALFORMED_JSON: 1, E_UNIT_MISMATCH: 1, E_TS_IN_FUTURE: 1 });

    const stored = await waitFor(
      async () => {
        const r = await api<{ series: Array<{ points: Array<{ ts: number; value: number }> }> }>(
          `instruments/SC-0001/readings?channel=gross&from=${validTs}&to=${validTs + 2}`,
        );
        return r.body.series[0]?.points.length && r.body.series[0].points;
      },
      cycles(2, 'the valid reading of the bad batch'),
    );
    expect(stored).toEqual([expect.objectContaining({ ts: validTs, value: 20.125 })]);

    // Still running: fresh readings keep arriving after the bad input.
    const before = (await channel('SC-0001', 'gross'))!.ts!;
    await waitFor(async () => (await channel('SC-0001', 'gross'))!.ts! > before, cycles(3, 'a fresh reading after bad input'));
  });

  it('a device that stops answering does not stop the others, and is read again when it answers', async () => {
    const silent = stack.simulators.get('SC-0002')!;
    const device = () => stack.gateways.flatMap((g) => g.stats().devices).find((d) => d.instrument === 'SC-0002')!;
    silent.setFaults({ silent: true });
    const silencedAt = Date.now();
    // Its gateway gives up on it once a request times out (timeoutMs 1000 in the demo).
    await waitFor(() => device().state !== 'ok', cycles(2, 'the silent scale to be marked not answering'));
    expect(device().lastError).toBeTruthy();
    const otherBefore = (await channel('SC-0003', 'gross'))!.ts!;
    await waitFor(async () => (await channel('SC-0003', 'gross'))!.ts! > otherBefore + 1500, cycles(10, 'the neighbour scale to keep reporting'));
    // Nothing answered after the fault; a reading answered just before it is stamped when the
    // gateway takes it in, which may be a moment later.
    expect((await channel('SC-0002', 'gross'))!.ts!).toBeLessThan(silencedAt + 1500);

    silent.setFaults({ silent: false });
    const resumedFrom = (await channel('SC-0002', 'gross'))!.ts!;
    // Back after the gateway's reconnect backoff, then a cycle.
    await waitFor(async () => (await channel('SC-0002', 'gross'))!.ts! > resumedFrom, cycles(10, 'the silent scale to recover'));
  });

  it('carries device states into reading statuses', async () => {
    // Judged on the readings stored since the change, not on the latest value: a batch holding
    // several polls moves the latest value past a short-lived status at once.
    const scale = stack.simulators.get('SC-0004')!;
    const station = stack.simulators.get('AQ-PT-01')!;
    const t0 = Date.now();
    scale.setStatus('overload', 1);
    await waitFor(async () => (await storedStatuses('SC-0004', 'gross', t0)).includes('overload'), cycles(3, 'an overload status stored'));
    // The demo runs AQ-PT-01's datalogger cycle, which writes the status register every second
    // (released while it measures): the pin is set again on every probe until a poll has seen it.
    const t1 = Date.now();
    await waitFor(
      async () => {
        station.setStatus('status', 1);
        return (await storedStatuses('AQ-PT-01', 'so2', t1)).includes('check');
      },
      cycles(3, 'a calibrating (check) status stored'),
    );
    station.setStatus('status', null);
    const t2 = Date.now();
    scale.setStatus('stable', 0);
    scale.setStatus('overload', 0);
    await waitFor(async () => (await storedStatuses('SC-0004', 'gross', t2)).includes('unstable'), cycles(3, 'an in-motion (unstable) status stored'));
  });
});
