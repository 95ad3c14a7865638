import type { AlertBatch } from './alert-sink.js';
import type { EngineParts } from './engine-types.js';

/**
 * Impact analysis (reverse traceability): every check and calibration that relied on the
 * standard (or a standard calibrated against it) since its last good calibration is marked
 * "under review", and each instrument concerned gets an `under_review` alert for its owner and
 * lab, added to `batch`. The instruments' channel states are rebuilt without those checks.
 */
export function impact(e: Pick<EngineParts, 'registry' | 'store' | 'states'>, batch: AlertBatch, referenceId: string, reason: string, since?: number): void {
  const ref = e.store.getReference(referenceId);
  if (!ref) return;
  const from = since ?? ref.calibratedOn ?? 0;
  const refs = e.store.referenceSubtree(referenceId);
  const checks = e.store.checksUsing(refs, from).filter((c) => c.review === null);
  const cals = e.store.calibrationsUsing(refs, from).filter((c) => c.review === null);
  e.store.markChecksReview(
    checks.map((c) => c.id),
    reason,
  );
  e.store.markCalibrationsReview(
    cals.map((c) => c.id),
    reason,
  );
  const byInstrument = new Map<string, { checks: number; calibrations: string[] }>();
  const of = (id: string) => byInstrument.get(id) ?? byInstrument.set(id, { checks: 0, calibrations: [] }).get(id)!;
  for (const c of checks) of(c.instrument).checks++;
  for (const c of cals) of(c.instrument).calibrations.push(c.certificate);
  for (const [id, n] of byInstrument) {
    e.states.forget(id);
    const inst = e.registry.getInstrument(id);
    batch.raise(
      'under_review',
      { subject: id, instrument: id, channel: null, reference: referenceId, org: inst?.org ?? null, lab: e.store.getService(id)?.lab ?? ref.lab },
      { reference: referenceId, since: from, checks: n.checks, calibrations: n.calibrations, reason },
    );
  }
}
