import type { AlertKind } from '../core/index.js';
import type { AlertChange, AnalyticsStore } from '../store/index.js';
import { ALERT_CATALOGUE, alertText, englishMessage } from './alert-catalogue.js';

/** Whom an alert is about and for: its subject (instrument, standard or station), channel, owner and lab. */
export interface AlertTarget {
  subject: string;
  instrument: string | null;
  channel: string | null;
  reference?: string | null;
  org: string | null;
  lab: string | null;
}

/**
 * Where analytics raises and relieves alerts. Severity and the English message come from the
 * alert catalogue (alert-catalogue.ts), so a decision names only the kind, its target and its
 * details. Changes are gathered in a batch and delivered together (`onAlert`: MQTT and webhooks
 * in the service) when the batch is flushed.
 */
export class AlertSink {
  constructor(
    private readonly store: AnalyticsStore,
    private readonly now: () => number,
    private readonly onAlert?: (change: AlertChange) => void,
  ) {}

  batch(): AlertBatch {
    return new AlertBatch(this.store, this.now(), (changes) => this.notify(changes));
  }

  /** Delivers changes made elsewhere (acknowledgements, stations). */
  notify(changes: AlertChange[]): AlertChange[] {
    if (this.onAlert) for (const c of changes) this.onAlert(c);
    return changes;
  }
}

export class AlertBatch {
  readonly changes: AlertChange[] = [];

  constructor(
    private readonly store: AnalyticsStore,
    readonly now: number,
    private readonly deliver: (changes: AlertChange[]) => AlertChange[],
  ) {}

  /** Raises (or updates) the live alert of this kind on the target. */
  raise(kind: AlertKind, target: AlertTarget, details: Record<string, unknown>): void {
    const entry = ALERT_CATALOGUE[kind];
    const message = englishMessage(alertText({ kind, details, ...target }), this.now);
    this.add(this.store.raiseAlert({ ...target, kind, severity: entry.severityOf?.(details) ?? entry.severity, message, details }, this.now));
  }

  /** Counts a check on which the condition no longer holds; the alert clears after `clearAfter` of them (0: at once). */
  relieve(kind: AlertKind, subject: string, channel: string | null, clearAfter: number): void {
    this.add(this.store.relieveAlert(subject, channel, kind, clearAfter, this.now));
  }

  /** Raised when `on` is true, relieved when false, left alone when null (nothing to judge). */
  set(kind: AlertKind, on: boolean | null, target: AlertTarget, details: () => Record<string, unknown>, clearAfter: number): void {
    if (on === true) this.raise(kind, target, details());
    else if (on === false) this.relieve(kind, target.subject, target.channel, clearAfter);
  }

  add(change: AlertChange | null): void {
    if (change) this.changes.push(change);
  }

  /** Delivers the batch's changes and returns them. */
  flush(): AlertChange[] {
    return this.deliver(this.changes);
  }
}
