import type { AnalyticsStore, Instrument } from '../store/index.js';
import { addInterval, dueDate, intervalOf, type Interval } from './due.js';

/**
 * Due dates of registered instruments, read from the registry and computed by the one rule in
 * due.ts: the interval of an instrument, its next due date, the date a prediction is judged
 * against, and an organisation's recall lead time.
 */
export class Schedule {
  constructor(
    private readonly store: AnalyticsStore,
    /** Recall lead time when an organisation sets none (analytics.dueSoonDays). */
    private readonly dueSoonDays: number,
  ) {}

  interval(inst: Pick<Instrument, 'id' | 'kind'>): Interval | null {
    return intervalOf(inst.kind, this.store.getService(inst.id)?.intervalDays);
  }

  nextDue(inst: Pick<Instrument, 'id' | 'kind'>): number | null {
    return dueDate(this.store.lastCalibration(inst.id), this.interval(inst));
  }

  /** The due date a prediction is judged against; without one, one interval (a year when none is known) from `at`. */
  effectiveDue(inst: Pick<Instrument, 'id' | 'kind'>, at: number): number {
    return this.nextDue(inst) ?? addInterval(at, this.interval(inst) ?? { months: 12 });
  }

  leadDays(org: string): number {
    return this.store.recallLeadDays(org) ?? this.dueSoonDays;
  }
}
