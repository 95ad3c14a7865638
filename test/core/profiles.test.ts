import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProfilesDir, loadProfileFile, loadProfiles, validateProfile } from '../../core/index.js';

describe('device profiles', () => {
  const profiles = loadProfiles();

  it('all shipped profiles validate, including the three the demo needs', () => {
    expect([...profiles.keys()]).toEqual(expect.arrayContaining(['weighing-indicator-tcp', 'fuel-dispenser-2n-tcp', 'air-station-tcp']));
  });

  it('the weighing indicator has float32 weights, stable and overload flags, e and Max', () => {
    const p = profiles.get('weighing-indicator-tcp')!;
    const byName = new Map(p.points.map((x) => [x.name, x]));
    expect(byName.get('gross')!.type).toBe('float32');
    expect(byName.get('net')!.type).toBe('float32');
    expect(byName.get('stable')!.role).toBe('status');
    expect(byName.get('overload')!.role).toBe('status');
    expect(byName.get('division')!.role).toBe('parameter');
    expect(byName.get('capacity')!.role).toBe('parameter');
  });

  it('the fuel dispenser has five quantities on each of two nozzles', () => {
    const channels = profiles.get('fuel-dispenser-2n-tcp')!.points.map((x) => x.name);
    for (const n of [1, 2]) for (const q of ['totaliser', 'last_delivery', 'unit_price', 'amount', 'state']) expect(channels).toContain(`n${n}_${q}`);
  });

  it('the air station maps its status register to ok, check and fault', () => {
    const rule = profiles.get('air-station-tcp')!.statusRules![0]!;
    expect(rule.values).toEqual({ '0': 'ok', '1': 'check', '2': 'fault' });
  });

  const base = () => structuredClone(profiles.get('weighing-indicator-tcp')!) as unknown as Record<string, any>;

  it('names file, field and rule of a broken profile', () => {
    const p = base();
    p.points[0].type = 'float16';
    expect(() => validateProfile(p, 'x.yaml')).toThrow(/x\.yaml: points\[0\]\.type must be one of int16/);
  });

  it('refuses overlapping registers, unknown units, dangling status rules', () => {
    const p = base();
    p.points[1].address = 1; // net (float32 at 1..2) overlaps gross (0..1)
    p.points[2].unit = 'kilo';
    p.statusRules[0].point = 'nope';
    let message = '';
    try {
      validateProfile(p, 'bad.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/points\[1\]\.address overlaps point "gross" at holding register 1 \(overlap\)/);
    expect(message).toMatch(/points\[2\]\.unit "kilo" is not a known unit code/);
    expect(message).toMatch(/statusRules\[0\]\.point names no point/);
  });

  it('requires the id to equal the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
    const file = join(dir, 'renamed.yaml');
    writeFileSync(file, JSON.stringify(base()));
    expect(() => loadProfileFile(file)).toThrow(/id "weighing-indicator-tcp" must equal the file name "renamed"/);
    expect(defaultProfilesDir()).toMatch(/profiles$/);
  });
});
