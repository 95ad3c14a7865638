import type { AlertRecord, Instrument, Registry } from '../../store/index.js';
import { canSeeInstrument, seesAlert, servingLabIn, type Principal } from '../auth/tenant.js';

/**
 * Which listener sees which live value, alert and state: the REST routes' rules (auth/tenant.ts),
 * asked of the registry at the moment of sending, so a change of serving lab shows at once.
 */
export class TenantFilter {
  private readonly servingLab: (instrument: string) => string | null;

  constructor(private readonly registry: Registry) {
    this.servingLab = servingLabIn(registry);
  }

  /** An instrument's values and state: its organisation, the lab serving it now, or everyone for the authority. */
  seesInstrument(p: Principal, inst: Pick<Instrument, 'id' | 'org'>): boolean {
    return canSeeInstrument(this.registry, p, inst);
  }

  /** An alert: the one rule of GET /alerts and GET /alerts/{id} (seesAlert). */
  seesAlert(p: Principal, a: AlertRecord): boolean {
    return seesAlert(p, a, this.servingLab);
  }

  /** Principals that see the same instruments and alerts share a key (states are computed once per key). */
  scope(p: Principal): string {
    return `${p.role}|${p.org ?? ''}`;
  }
}
