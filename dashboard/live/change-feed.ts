import type { AlertRecord, Instrument, Registry } from '../../store/index.js';
import { offlineAfter, type OfflineRule } from '../states.js';

/** Where a reader of the feed stands: the registry's change counters and the time of its last look. */
export interface Cursor {
  instrumentsRev: number;
  alertsRev: number;
  at: number;
}

export interface Changes {
  /** Instruments seen, created or re-registered since the cursor. */
  instruments: Instrument[];
  /** Alerts opened, changed, acknowledged or cleared since the cursor. */
  alerts: AlertRecord[];
  /** Instruments whose last reading became older than their offline threshold since the cursor. */
  wentOffline: Instrument[];
  /** Where the next read starts. */
  cursor: Cursor;
}

/** Most changed rows read per look and table; a larger burst is read over the next looks. */
const BATCH = 5000;

/**
 * What changed in the registry since a cursor, from the change counters of registry migration 6
 * (instruments seen, created or re-registered; alerts opened, changed or cleared), so its cost
 * follows the changes, not the size of the fleet. Online → offline needs no write (it is the
 * passing of time): those are the instruments whose last reading crossed their threshold between
 * the two looks. Readers keep their own cursor; the feed keeps none.
 */
export class ChangeFeed {
  private readonly thresholds: number[];

  constructor(
    private readonly registry: Registry,
    private readonly offline: OfflineRule,
    private readonly batch = BATCH,
  ) {
    this.thresholds = [...new Set([offline.afterMs, ...Object.values(offline.byKind ?? {}).filter((v): v is number => v !== undefined)])];
  }

  /** Now: a reader starting here sees only what changes from now on. */
  cursor(now: number): Cursor {
    return { instrumentsRev: this.registry.instrumentsRev(), alertsRev: this.registry.analytics.alertsRev(), at: now };
  }

  /** What changed after `from` up to `now`, and the cursor to read on from. */
  since(from: Cursor, now: number): Changes {
    const { registry } = this;
    const instruments = registry.changedInstruments(from.instrumentsRev, this.batch);
    const alerts = registry.analytics.changedAlerts(from.alertsRev, this.batch);
    // lastSeen in (from.at − after, now − after]: crossed its threshold since the last look.
    const wentOffline: Instrument[] = [];
    for (const after of this.thresholds) {
      for (const i of registry.instrumentsSeenBetween(from.at - after + 1, now - after + 1)) {
        if (offlineAfter(this.offline, i.kind) === after) wentOffline.push(i);
      }
    }
    return { instruments: instruments.items, alerts: alerts.items, wentOffline, cursor: { instrumentsRev: instruments.rev, alertsRev: alerts.rev, at: now } };
  }
}
