import { describe, expect, it } from 'vitest';
import { encode, fromEngineering, loadProfiles, validateProfile, type NumericType, type Profile } from '../../core/index.js';
import { createDeviceDecoder, decoderFor, planRequests, type ReadRequest, type ReadResult } from '../../gateway/index.js';
import { shortestFloat32 } from '../../gateway/decode.js';

const profiles = loadProfiles();

/** The registers a device with these engineering values would answer to each request. */
function answers(profile: Profile, requests: ReadRequest[], values: Record<string, number>, ts = 1_000): ReadResult[] {
  const defaultOrder = profile.modbus?.wordOrder ?? 'ABCD';
  return requests.map((request) => {
    const registers = new Array<number>(request.length).fill(0);
    for (const { point, address } of request.points) {
      const v = values[point.name] ?? point.sim?.value ?? 0;
      const regs = encode(fromEngineering(v, point.scale ?? 1, point.offset ?? 0), point.type as NumericType, point.wordOrder ?? defaultOrder);
      regs.forEach((r, i) => (registers[address - request.start + i] = r));
    }
    return { request, registers, ts };
  });
}

function deviceDecoder(profile: Profile, instrument = 'INST-1') {
  const requests = planRequests(profile);
  const decoder = createDeviceDecoder(profile, instrument, requests);
  return { requests, decode: (values: Record<string, number>, ts?: number) => decoder.decode(answers(profile, requests, values, ts)) };
}

const byChannel = <T extends { channel: string }>(readings: T[]): Record<string, T | undefined> => Object.fromEntries(readings.map((r) => [r.channel, r]));

describe('point decoders', () => {
  it('shows a float32 as the shortest decimal that is the same float32', () => {
    expect(shortestFloat32(Math.fround(20.004))).toBe(20.004);
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(Math.fround(123456.789))).toBe(123456.79);
    expect(shortestFloat32(Number.NaN)).toBeNaN();
  });

  it('applies the point word order over the device default', () => {
    const p = validateProfile(
      {
        id: 'orders',
        name: 'orders',
        kind: 'other',
        modbus: { wordOrder: 'CDAB' },
        points: [
          { name: 'dev', address: 0, type: 'float32', unit: 'kg' },
          { name: 'abcd', address: 2, type: 'float32', wordOrder: 'ABCD', unit: 'kg' },
          { name: 'badc', address: 4, type: 'float32', wordOrder: 'BADC', unit: 'kg' },
          { name: 'dcba', address: 6, type: 'uint32', wordOrder: 'DCBA', unit: 'kg' },
        ],
      },
      'test',
    );
    const [dev, abcd, badc, dcba] = p.points.map((pt) => decoderFor(p, pt));
    expect(dev!(encode(20.004, 'float32', 'CDAB'), 0)).toBe(20.004);
    expect(abcd!(encode(20.004, 'float32', 'ABCD'), 0)).toBe(20.004);
    expect(abcd!(encode(20.004, 'float32', 'CDAB'), 0)).not.toBe(20.004); // the override matters
    expect(badc!([0, 0, ...encode(-7.5, 'float32', 'BADC')], 2)).toBe(-7.5);
    expect(dcba!(encode(305419896, 'uint32', 'DCBA'), 0)).toBe(305419896);
  });

  it('scales integer registers and rounds to the decimals of scale and offset', () => {
    const p = validateProfile(
      {
        id: 'scaled',
        name: 'scaled',
        kind: 'other',
        modbus: {},
        points: [
          { name: 'litres', address: 0, type: 'uint32', scale: 0.01, unit: 'L' },
          { name: 'kelvin', address: 2, type: 'int16', scale: 0.1, offset: 273.15, unit: 'K' },
          { name: 'plain', address: 3, type: 'int16', unit: '1' },
          { name: 'grams', address: 4, type: 'float32', scale: 0.001, unit: 't' },
        ],
      },
      'test',
    );
    const [litres, kelvin, plain, grams] = p.points.map((pt) => decoderFor(p, pt));
    expect(litres!(encode(1234567, 'uint32'), 0)).toBe(12345.67);
    expect(kelvin!(encode(-5, 'int16'), 0)).toBe(272.65);
    expect(plain!(encode(-5, 'int16'), 0)).toBe(-5);
    expect(grams!(encode(20.004, 'float32'), 0)).toBe(0.020004); // kg register published in t
  });
});

describe('device decoder', () => {
  const scale = profiles.get('weighing-indicator-tcp')!;
  const station = profiles.get('air-station-tcp')!;

  it('publishes value points every poll with unit and ts, never status points', () => {
    const d = deviceDecoder(scale, 'SC-0001');
    const { readings } = d.decode({ gross: 20.004, net: 19.5 }, 1_795_351_601_000);
    expect(readings.map((r) => r.channel)).toEqual(['gross', 'net', 'division', 'capacity']);
    expect(readings[0]).toEqual({ instrument: 'SC-0001', channel: 'gross', ts: 1_795_351_601_000, value: 20.004, unit: 'kg', status: 'ok' });
    expect(d.decode({}).readings.map((r) => r.channel)).toEqual(['gross', 'net']);
  });

  it('publishes parameter points at the first poll and when they change', () => {
    const d = deviceDecoder(scale);
    expect(byChannel(d.decode({}).readings).capacity).toMatchObject({ value: 30, unit: 'kg' });
    expect(byChannel(d.decode({}).readings).capacity).toBeUndefined();
    expect(byChannel(d.decode({ capacity: 60 }).readings).capacity).toMatchObject({ value: 60 });
    expect(byChannel(d.decode({ capacity: 60 }).readings).capacity).toBeUndefined();
  });

  it('maps status registers through the first matching rule, for value points only', () => {
    const d = deviceDecoder(scale);
    const status = (values: Record<string, number>) => {
      const r = byChannel(d.decode(values).readings);
      return [r.gross?.status, r.net?.status];
    };
    expect(status({ stable: 1, overload: 0 })).toEqual(['ok', 'ok']);
    expect(status({ stable: 0, overload: 0 })).toEqual(['unstable', 'unstable']);
    expect(status({ stable: 0, overload: 1 })).toEqual(['overload', 'overload']); // overload is the first rule
    const first = deviceDecoder(scale).decode({ overload: 1 }).readings;
    expect(byChannel(first).capacity).toMatchObject({ status: 'ok' }); // parameters are not covered by default
  });

  it('maps the station states: 1 calibrating → check, 2 device error → fault', () => {
    const d = deviceDecoder(station, 'AQ-01');
    expect(new Set(d.decode({ status: 0 }).readings.map((r) => r.status))).toEqual(new Set(['ok']));
    expect(new Set(d.decode({ status: 1 }).readings.map((r) => r.status))).toEqual(new Set(['check']));
    const fault = d.decode({ status: 2, pm25: 31.5 }).readings;
    expect(fault).toHaveLength(8);
    expect(byChannel(fault).pm25).toMatchObject({ value: 31.5, unit: 'ug/m3', status: 'fault' });
    expect(byChannel(d.decode({ status: 7 }).readings).pm25).toMatchObject({ status: 'ok' }); // unmapped value
  });

  it('applies a rule to the channels it lists, including parameters, and uses channel names', () => {
    const p = validateProfile(
      {
        id: 'rules',
        name: 'rules',
        kind: 'other',
        modbus: {},
        points: [
          { name: 'a', address: 0, type: 'uint16', unit: '1' },
          { name: 'b_raw', channel: 'b', address: 1, type: 'uint16', unit: '1' },
          { name: 'limit', address: 2, type: 'uint16', unit: '1', role: 'parameter' },
          { name: 'st', address: 3, type: 'uint16', unit: '1', role: 'status' },
        ],
        statusRules: [{ point: 'st', values: { '3': 'maintenance' }, channels: ['b', 'limit'] }],
      },
      'test',
    );
    const { readings } = deviceDecoder(p).decode({ st: 3 });
    expect(readings.map((r) => [r.channel, r.status])).toEqual([
      ['a', 'ok'],
      ['b', 'maintenance'],
      ['limit', 'maintenance'],
    ]);
  });

  it('loses only the points of a failed request; their rules fall back to ok', () => {
    const p = validateProfile(
      {
        id: 'split',
        name: 'split',
        kind: 'other',
        modbus: {},
        points: [
          { name: 'v1', address: 0, type: 'float32', unit: 'kg' },
          { name: 'v2', address: 100, type: 'float32', unit: 'kg' },
          { name: 'st', address: 200, type: 'uint16', unit: '1', role: 'status' },
        ],
        statusRules: [{ point: 'st', values: { '1': 'fault' } }],
      },
      'test',
    );
    const requests = planRequests(p);
    expect(requests).toHaveLength(3);
    const decoder = createDeviceDecoder(p, 'X', requests);
    const all = answers(p, requests, { v1: 1, v2: 2, st: 1 });
    all[0]!.ts = 5;
    all[1]!.ts = 6;
    expect(decoder.decode(all).readings.map((r) => [r.channel, r.ts, r.status])).toEqual([
      ['v1', 5, 'fault'],
      ['v2', 6, 'fault'],
    ]);
    expect(decoder.decode([all[1]!]).readings.map((r) => [r.channel, r.status])).toEqual([['v2', 'ok']]);
  });

  it('skips points whose registers hold NaN and names them', () => {
    const d = deviceDecoder(station);
    const { readings, invalid } = d.decode({ pm25: Number.NaN });
    expect(invalid).toEqual(['pm25']);
    expect(readings.map((r) => r.channel)).not.toContain('pm25');
    expect(readings).toHaveLength(7);
  });
});
