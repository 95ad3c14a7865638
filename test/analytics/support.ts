import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistry, type Registry, type TraceAnchor } from '../../store/index.js';

import { DAY } from '../../core/time.js';
export { DAY };
export const T0 = Date.UTC(2026, 0, 5);

/** A root standard's anchor (ILAC P10): an accredited certificate from the national metrology institute. */
export const TEST_ANCHOR: TraceAnchor = {
  kind: 'accredited_certificate',
  issuer: 'Viện Đo lường Việt Nam (VMI)',
  certificate: 'V01.KL-2025-0412',
  date: Date.UTC(2025, 8, 26),
};

/** A registry with one market, one lab, one authority, a class III scale and its standards. */
export function seededRegistry(): { registry: Registry; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'metronet-analytics-'));
  const registry = openRegistry(join(dir, 'registry.db'));
  registry.upsertOrg({ id: 'cho', name: 'Chợ', kind: 'enterprise' });
  registry.upsertOrg({ id: 'lab1', name: 'Lab', kind: 'lab' });
  registry.upsertOrg({ id: 'tdc', name: 'Chi cục TĐC', kind: 'authority' });
  for (const id of ['SC-1', 'SC-2']) {
    registry.upsertInstrument({ id, org: 'cho', registration: 'registered', kind: 'scale', name: id, gateway: 'gw-1' });
    registry.ensureChannel(id, 'gross', 'kg');
    registry.analytics.setService({ instrument: id, lab: 'lab1', intervalDays: 365 });
    // Class III, e = 10 g: at 20 kg (2 000 e) MPE in service = 2 × 1 e = 0.02 kg.
    registry.analytics.setChannelMetrology({
      instrument: id,
      channel: 'gross',
      tolerance: { model: 'oiml-r76', accuracyClass: 'III', e: 0.01 },
      repeatability: 0.002,
      analyser: false,
    });
  }
  const a = registry.analytics;
  a.upsertReference({
    id: 'REF-F1',
    lab: 'lab1',
    quantity: 'mass',
    unit: 'kg',
    nominal: 20,
    value: 20,
    U: 0.0003,
    k: 2,
    calibratedOn: T0 - 100 * DAY,
    due: T0 + 600 * DAY,
    parent: null,
  });
  registry.records.setAnchor('REF-F1', TEST_ANCHOR, T0);
  a.upsertReference({
    id: 'REF-20',
    lab: 'lab1',
    quantity: 'mass',
    unit: 'kg',
    nominal: 20,
    value: 20.0001,
    U: 0.0016,
    k: 2,
    calibratedOn: T0 - 30 * DAY,
    due: T0 + 500 * DAY,
    parent: 'REF-F1',
  });
  a.upsertReference({
    id: 'REF-OLD',
    lab: 'lab1',
    quantity: 'mass',
    unit: 'kg',
    nominal: 20,
    value: 20,
    U: 0.0016,
    k: 2,
    calibratedOn: T0 - 500 * DAY,
    due: T0 - 135 * DAY,
    parent: null,
  });
  registry.records.setAnchor('REF-OLD', TEST_ANCHOR, T0);
  return { registry, dir, cleanup: () => (registry.close(), rmSync(dir, { recursive: true, force: true })) };
}

/** A user of `role` (for `org`) with a live API token; the Authorization header to send (issue 6). */
export async function bearer(
  registry: Registry,
  user: { id: string; role: 'admin' | 'authority' | 'lab' | 'enterprise'; org?: string | null },
): Promise<{ authorization: string }> {
  if (!registry.identity.getUser(user.id)) await registry.identity.createUser({ ...user, password: `pw-${user.id}-0123456789` });
  return { authorization: `Bearer ${registry.identity.issueToken({ kind: 'api', user: user.id, ttlMs: 86_400_000 }).secret}` };
}
