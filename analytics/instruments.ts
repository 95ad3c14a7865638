import { MetronetError, type InstrumentKind } from '../core/index.js';
import type { Instrument } from '../store/index.js';
import type { Engine } from './engine.js';

/** What an organisation states about its instrument; absent fields keep their value, null clears. */
export interface InstrumentFacts {
  kind: InstrumentKind;
  name?: string | null;
  serial?: string | null;
  site?: string | null;
  /** Where it stands: province and commune codes in force since 1 July 2025 (core/admin-units.ts). */
  province?: string | null;
  commune?: string | null;
  /** The lab that verifies or calibrates it. */
  lab?: string | null;
  /** Verification interval override, days. */
  intervalDays?: number | null;
  /** The last verification, recorded as a verification record: the due date follows from it. */
  lastVerification?: { date: number; certificate: string; lab: string; authorisedBy?: string };
}

/**
 * Registers or completes an instrument (API and `metronet admin instrument`): its facts, its
 * serving lab and interval, and a last verification stated from its certificate, recorded as a
 * verification so the due date follows from it. One transaction; each part audited.
 */
export function registerInstrument(engine: Engine, id: string, org: string, b: InstrumentFacts): Instrument {
  const { registry } = engine;
  const store = registry.analytics;
  if (b.lab !== undefined && b.lab !== null && registry.getOrg(b.lab)?.kind !== 'lab') {
    throw new MetronetError('E_BAD_REQUEST', `serving lab "${b.lab}" is not a lab organisation`, { field: 'lab', value: b.lab });
  }
  const v = b.lastVerification;
  if (v && store.getCalibrationByCertificate(v.certificate)) {
    throw new MetronetError('E_CONFLICT', `certificate "${v.certificate}" is already recorded; certificate numbers are unique`, {
      field: 'lastVerification.certificate',
      value: v.certificate,
    });
  }
  store.transaction(() => {
    registry.upsertInstrument({
      id,
      org,
      registration: 'registered',
      kind: b.kind,
      name: b.name,
      serial: b.serial,
      site: b.site,
      province: b.province,
      commune: b.commune,
    });
    if (b.lab !== undefined || b.intervalDays !== undefined) {
      const cur = store.getService(id);
      store.setService({
        instrument: id,
        lab: b.lab === undefined ? (cur?.lab ?? null) : b.lab,
        intervalDays: b.intervalDays === undefined ? (cur?.intervalDays ?? null) : b.intervalDays,
      });
    }
    if (v) {
      // The certificate's test points are not entered here: the record carries none, and its
      // statement says where the verification comes from.
      engine.recordCalibration(id, {
        type: 'verification',
        date: v.date,
        lab: v.lab,
        certificate: v.certificate,
        results: [],
        references: [],
        authorisedBy: v.authorisedBy ?? 'not stated (entered at registration)',
        statement: `Verified by ${v.lab} on certificate ${v.certificate}; entered from the certificate when the instrument was registered (test points not entered)`,
      });
    }
  });
  return registry.getInstrument(id)!;
}
