import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../core/index.js';
import { openRegistry } from '../../store/index.js';
import { seedRegistry } from '../../cli/demo.js';
import { DEMO_PROVINCE } from '../../cli/province.js';
import { Engine } from '../../analytics/engine.js';

const dir = mkdtempSync(join(tmpdir(), 'metronet-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo seeding (npm start)', () => {
  it('starts with instruments in tolerance, one drifting with a predicted date, one out of tolerance, one overdue, one on an expired standard', () => {
    const registry = openRegistry(join(dir, 'registry.db'));
    const profiles = loadProfiles();
    seedRegistry(registry, DEMO_PROVINCE, profiles);
    seedRegistry(registry, DEMO_PROVINCE, profiles); // idempotent
    const engine = new Engine({ registry });
    engine.evaluatePeriodic();
    const live = registry.analytics.listAlerts({ state: 'live', limit: 1000 }).items;
    const of = (kind: string) => live.filter((a) => a.kind === kind).map((a) => a.subject);
    expect(of('predicted_out_of_tolerance')).toContain('SC-0003');
    expect(of('out_of_tolerance')).toEqual(['SC-0101']);
    expect(of('overdue')).toEqual(['FD-0004']);
    expect(of('not_traceable')).toEqual(['SC-0005']);
    expect(of('standard_expired')).toEqual(['REF-M1-20KG-B']);
    expect(of('under_review')).toEqual(['SC-0005']);
    for (const id of ['SC-0001', 'SC-0002', 'SC-0004', 'FD-0001', 'AQ-PT-01']) {
      const d = engine.drift(id);
      expect(d.dueState, id).toBe('ok');
      expect(d.channels[0]!.conformity!.zone, id).toBe('in');
      expect(
        live.filter((a) => a.subject === id),
        id,
      ).toEqual([]);
    }
    const drifting = engine.drift('SC-0003').channels[0]!;
    expect(drifting.trend!.predictedTs).toBeLessThan(engine.drift('SC-0003').nextDue!);
    expect(registry.analytics.listCalibrations('FD-0001')[0]).toMatchObject({
      procedure: 'ĐLVN 10:2017',
      result: 'adjusted',
      authorisedBy: expect.any(String),
    });
    registry.close();
  });
});
