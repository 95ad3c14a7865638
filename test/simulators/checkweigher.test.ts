import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../core/index.js';
import { startCheckweigher, type CheckweigherHandle, type PackageRecord } from '../../simulators/index.js';
import { closeClient, connectClient } from './support.js';

const run = promisify(execFile);
const PROFILE = loadProfiles().get('checkweigher-tcp')!;
const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
/** Debian's python3-pymodbus (scripts/install-test-deps.sh), under Debian's own Python. */
const PYTHON = '/usr/bin/python3';

/**
 * The documented register map (profiles/checkweigher-tcp.yaml, docs/gateway.md "Records"),
 * decoded here by hand, big-endian words (ABCD): latest uint32 at 100, head at 102, slot k at
 * 1000 + 12k = seq uint32, time s uint32, time ms, net int32 (0.01 g), product, lot uint32, reject, weighing.
 */
function decodeByHand(header: number[], ring: number[]) {
  const u32 = (r: number[], i: number) => r[i]! * 65536 + r[i + 1]!;
  const i32 = (r: number[], i: number) => (u32(r, i) >= 2 ** 31 ? u32(r, i) - 2 ** 32 : u32(r, i));
  const records: PackageRecord[] = [];
  for (let k = 0; k < 50; k++) {
    const r = ring.slice(12 * k, 12 * k + 12);
    if (r.every((x) => x === 0)) continue;
    records.push({ sequence: u32(r, 0), ts: u32(r, 2) * 1000 + r[4]!, net: i32(r, 5) / 100, product: r[7]!, lot: u32(r, 8), reject: r[10]! });
  }
  return { latest: u32(header, 0), head: header[2]!, records: records.sort((a, b) => a.ts - b.ts) };
}

describe('checkweigher simulator', () => {
  const open: CheckweigherHandle[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  /** A line on a clock the test moves: packages appear when a read or a tick sees the time. */
  async function line(opts: Omit<Parameters<typeof startCheckweigher>[0], 'profile' | 'clock'> = {}) {
    let now = T0;
    const sim = await startCheckweigher({ profile: PROFILE, clock: () => now, seed: 3, ...opts });
    open.push(sim);
    return { sim, advance: (ms: number) => (now += ms) };
  }

  it('fills the ring and the sequence registers in the documented layout', async () => {
    const { sim, advance } = await line({ firstSequence: 2 ** 32 - 5, line: { speed: 300, mean: 500, spread: 3, rejectBelow: 497, lot: 9, lotSize: 4 } });
    advance(12_000); // 60 packages: the 50-slot ring has wrapped once
    const client = await connectClient(sim.port);
    try {
      const header = (await client.readHoldingRegisters(100, 3)).data;
      const ring: number[] = [];
      for (let k = 0; k < 5; k++) ring.push(...(await client.readHoldingRegisters(1000 + 120 * k, 120)).data);
      const target = (await client.readHoldingRegisters(0, 3)).data;
      const seen = decodeByHand(header, ring);
      expect(sim.made).toHaveLength(60);
      expect(seen.latest).toBe(54); // 2^32 − 5 + 59, wrapped
      expect(seen.head).toBe((((2 ** 32 - 6) % 50) + 60) % 50);
      expect(seen.records).toEqual(sim.made.slice(-50));
      expect(target).toEqual([0, 50000, 300]); // Qn 500.00 g, 300 packages/min
      expect(sim.made.map((p) => p.ts - T0).slice(0, 3)).toEqual([200, 400, 600]);
      expect(sim.made.slice(0, 9).map((p) => p.lot)).toEqual([9, 9, 9, 9, 10, 10, 10, 10, 11]);
      expect(sim.made.filter((p) => p.reject).every((p) => p.net < 497)).toBe(true);
    } finally {
      await closeClient(client);
    }
  });

  it('mean, spread, drift and speed change at run time', async () => {
    const { sim, advance } = await line({ line: { speed: 60, mean: 500, spread: 0, driftPerHour: 60 } });
    advance(60_000);
    sim.setLine({}); // makes what is due
    expect(sim.made).toHaveLength(60);
    expect(sim.made[29]!.net).toBe(500.5); // 30 s at +60 g/h
    expect(sim.made[59]!.net).toBe(501);
    sim.setLine({ mean: 480, driftPerHour: 0, speed: 600 });
    advance(1000);
    sim.setLine({ spread: 2 });
    expect(sim.made.slice(60).map((p) => p.net)).toEqual(new Array(10).fill(480));
    advance(60_000);
    sim.setLine({ speed: 0 });
    const fills = sim.made.slice(70).map((p) => p.net);
    expect(fills).toHaveLength(600);
    const mean = fills.reduce((a, b) => a + b, 0) / fills.length;
    const sd = Math.sqrt(fills.reduce((a, b) => a + (b - mean) ** 2, 0) / (fills.length - 1));
    expect(Math.abs(mean - 480)).toBeLessThan(0.3);
    expect(sd).toBeGreaterThan(1.7);
    expect(sd).toBeLessThan(2.3);
    advance(60_000);
    sim.setLine({});
    expect(sim.made).toHaveLength(670); // a stopped line makes nothing
  });

  it('pymodbus reads the ring in the documented layout', async () => {
    // Unit id 0: the simulator answers any unit, whatever pymodbus sends by default.
    const { sim, advance } = await line({ unitId: 0, line: { speed: 300, mean: 500, spread: 3 } });
    advance(4000);
    const script = `
import json, sys
from pymodbus.client import ModbusTcpClient
c = ModbusTcpClient('127.0.0.1', port=int(sys.argv[1]))
c.connect()
read = lambda a, n: list(c.read_holding_registers(a, count=n).registers)
header = read(100, 3)
ring = []
for k in range(5):
    ring += read(1000 + 120 * k, 120)
c.close()
print(json.dumps({'header': header, 'ring': ring}))
`;
    const { stdout } = await run(PYTHON, ['-c', script, String(sim.port)]);
    const { header, ring } = JSON.parse(stdout) as { header: number[]; ring: number[] };
    const seen = decodeByHand(header, ring);
    expect(seen.latest).toBe(20);
    expect(seen.records).toEqual(sim.made);
  });
});
