import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadProfileFile, loadProfiles, validateProfile } from '../../core/index.js';
import { planRecords, recordReads } from '../../gateway/plan.js';
import { seqDistance } from '../../gateway/records.js';

const PROFILE = loadProfiles().get('checkweigher-tcp')!;
const bad = (change: (p: any) => void) => {
  const p = structuredClone(PROFILE) as unknown as Record<string, any>;
  change(p);
  return p;
};
const refusal = (profile: unknown, file = 'line.yaml'): string => {
  try {
    validateProfile(profile, file);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the profile was accepted');
};

describe('checkweigher profile: the records block', () => {
  it('the shipped profile plans one header request and ten 12-register records per request', () => {
    expect(PROFILE.kind).toBe('checkweigher');
    const plan = planRecords(PROFILE)!;
    expect(plan).toMatchObject({ table: 'holding', fc: 3, start: 1000, slots: 50, size: 12, perRead: 10, modulus: 2 ** 32 });
    expect(plan.header).toEqual({ start: 100, length: 3, latestAt: 0, latestType: 'uint32', headAt: 2 });
    // A device with a small buffer, and one that refuses block reads.
    expect(planRecords(PROFILE, { maxRegisters: 60 })!.perRead).toBe(5);
    expect(planRecords(PROFILE, { onePerPoint: true })!.perRead).toBe(1);
  });

  it('reads a run of slots in as few requests as the ring allows (worked examples of recordReads)', () => {
    const plan = planRecords(PROFILE)!;
    expect(recordReads(plan, 47, 7)).toEqual([
      { start: 1564, length: 36, slot: 47, count: 3 },
      { start: 1000, length: 48, slot: 0, count: 4 },
    ]);
    expect(recordReads(plan, 0, 25).map((r) => r.length)).toEqual([120, 120, 60]);
    expect(recordReads(plan, -3, 5)).toEqual([
      { start: 1564, length: 36, slot: 47, count: 3 },
      { start: 1000, length: 24, slot: 0, count: 2 },
    ]);
    expect(recordReads(plan, 10, 500).reduce((n, r) => n + r.count, 0)).toBe(50);
  });

  it('counts sequence distances across the counter wrap', () => {
    expect(seqDistance(2, 2 ** 32 - 3, 2 ** 32)).toBe(5);
    expect(seqDistance(5, 5, 2 ** 32)).toBe(0);
    expect(seqDistance(3, 10, 2 ** 16)).toBe(2 ** 16 - 7);
  });

  it('refuses a bad records block naming the file, the path and the rule', () => {
    const message = refusal(
      bad((p) => {
        delete p.records.head; // slot = sequence mod 50 jumps when a 32-bit counter wraps
        p.records.fields[3].at = 11; // net (int32) would run past the 12-register record
        p.records.fields.push({ name: 'seq2', at: 11, type: 'uint32', role: 'sequence', unit: '1' });
        p.records.fields[2].unit = 's'; // no millisecond time left
        p.records.fields[4].unit = 'kilo';
        p.points[1].address = 1003; // inside the ring
      }),
    );
    expect(message).toMatch(/^invalid device profile line\.yaml:/);
    expect(message).toMatch(/line\.yaml: records\.slots must divide 4294967296 .* \(ring-wrap\)/);
    expect(message).toMatch(/line\.yaml: records\.fields\[3\]\.at puts the field \(2 registers\) past the end of its 12-register record \(inside\)/);
    expect(message).toMatch(/line\.yaml: records\.fields need exactly one field with role sequence .*got 2 \(one-sequence\)/);
    expect(message).toMatch(/line\.yaml: records\.fields need a field with role time and unit ms.* \(time-ms\)/);
    expect(message).toMatch(/line\.yaml: records\.fields\[4\]\.unit "kilo" is not a known unit code \(ucum\)/);
    expect(message).toMatch(/line\.yaml: points\[1\]\.address lies inside the records ring \(overlap\)/);
  });

  it('refuses the schema breaches with their rule, and records in a serial profile', () => {
    expect(refusal(bad((p) => (p.records.size = 200)))).toMatch(/records\.size must be <= 125 \(maximum\)/);
    expect(refusal(bad((p) => (p.records.latest.type = 'int16')))).toMatch(/records\.latest\.type must be one of uint16, uint32/);
    expect(refusal(bad((p) => (p.records.fields[0].type = 'uint16')))).toMatch(
      /records\.fields\[0\]\.type must be uint32, the type of records\.latest.* \(width\)/,
    );
    expect(refusal(bad((p) => (p.records.head.address = 101)))).toMatch(/records\.head\.address overlaps records\.latest \(overlap\)/);
    expect(refusal(bad((p) => (p.records.fields[7].statuses = undefined)))).toMatch(/records\.fields\[7\]\.statuses is required for a status field \(role\)/);
    expect(
      refusal(
        bad((p) => {
          const serial = loadProfiles().get('scale-ad-serial')!;
          delete p.modbus;
          p.serial = serial.serial;
          p.points = serial.points;
        }),
      ),
    ).toMatch(/records is only for Modbus profiles \(modbus\)/);
  });

  it('a profile file with a bad records block is refused with its file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
    const file = join(dir, 'checkweigher-tcp.yaml');
    writeFileSync(file, stringify(bad((p) => (p.records.slots = 0))));
    expect(() => loadProfileFile(file)).toThrow(`${file}: records.slots must be >= 1`);
  });
});
