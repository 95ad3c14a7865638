import type { AlertKind, AlertSeverity, AlertState, ToleranceSpec } from '../core/index.js';

/** The records analytics keeps in the registry (migration 2); the store is in analytics.ts. */
export interface ReferenceStandard {
  id: string;
  lab: string;
  quantity: string;
  unit: string;
  nominal: number;
  /** Conventional value from its certificate. */
  value: number;
  /** Expanded uncertainty U, with its coverage factor k. */
  U: number;
  k: number;
  class?: string | null;
  certificate?: string | null;
  calibratedOn?: number | null;
  due?: number | null;
  parent?: string | null;
  outOfTolerance?: boolean;
  createdAt?: number;
  updatedAt?: number;
}

export interface InstrumentService {
  instrument: string;
  lab: string | null;
  /** Override of the kind's interval, days. */
  intervalDays: number | null;
}

export interface ChannelMetrology {
  instrument: string;
  channel: string;
  tolerance: ToleranceSpec | null;
  repeatability: number | null;
  /** A gas analyser channel: zero/span drift judged by the EPA out-of-control rule. */
  analyser: boolean;
}

export interface CheckRecord {
  id: number;
  instrument: string;
  channel: string;
  ts: number;
  reference: string | null;
  referenceValue: number;
  referenceU: number | null;
  indicated: number;
  error: number;
  source: string;
  by: string | null;
  traceable: boolean;
  traceReason: string | null;
  review: string | null;
  receivedAt: number;
  /** Client-supplied check id, part of the check's identity (migration 9). */
  clientId: string | null;
  /** Why the standard was not fit for this check (expired, U > MPE/3: analytics/entry-rules.ts), or null. */
  fitness: string | null;
}
export type NewCheck = Omit<CheckRecord, 'id' | 'review'>;

/** The answer kept for an idempotency key (migration 9): what was submitted (digest) and what was answered. */
export interface CheckSubmissionRecord {
  digest: string;
  result: string;
}

export interface TestPoint {
  channel: string;
  unit: string;
  nominal: number;
  reference?: number | null;
  /** Error before adjustment (indicated − reference). */
  asFound: number;
  /** Error after adjustment; null when not adjusted. */
  asLeft?: number | null;
  /** Expanded uncertainty of the result, and its k. */
  U: number;
  k?: number;
  mpe?: number | null;
  /** The stage `mpe` is for (analytics/tolerance.ts): 'verification' when computed from the channel's tolerance; absent on older rows or a lab-stated MPE. */
  mpeStage?: 'verification' | 'in-service' | null;
  conformity?: 'pass' | 'fail' | null;
}

export interface CalibrationRecord {
  id: number;
  instrument: string;
  type: 'calibration' | 'verification';
  date: number;
  lab: string;
  certificate: string;
  procedure: string | null;
  conditions: Record<string, unknown> | null;
  results: TestPoint[];
  references: string[];
  result: 'pass' | 'fail' | 'adjusted';
  decisionRule: 'simple' | 'guarded';
  statement: string | null;
  authorisedBy: string;
  intervalDays: number | null;
  nextDue: number | null;
  review: string | null;
  createdAt: number;
  /** Correction state (migration 8, ISO/IEC 17025:2017 7.8.8): only valid records count for due dates and states. */
  status?: 'valid' | 'superseded' | 'voided';
}
export type NewCalibration = Omit<CalibrationRecord, 'id' | 'review' | 'createdAt'>;

export interface AlertRecord {
  id: number;
  kind: AlertKind;
  severity: AlertSeverity;
  state: AlertState;
  subject: string;
  instrument: string | null;
  channel: string | null;
  reference: string | null;
  org: string | null;
  lab: string | null;
  message: string;
  details: Record<string, unknown>;
  openedAt: number;
  updatedAt: number;
  ackedAt: number | null;
  ackedBy: string | null;
  clearedAt: number | null;
}

export interface AlertInput {
  kind: AlertKind;
  severity: AlertSeverity;
  subject: string;
  channel?: string | null;
  instrument?: string | null;
  reference?: string | null;
  org?: string | null;
  lab?: string | null;
  message: string;
  details?: Record<string, unknown>;
}

export interface AlertFilter {
  state?: AlertState | 'live';
  kind?: AlertKind;
  org?: string;
  lab?: string;
  /**
   * The alerts a lab sees: those sent to it, and those of the instruments it serves now (the
   * dashboard's alert-visibility rule, dashboard/auth/tenant.ts seesAlert, as a query).
   */
  visibleToLab?: string;
  instrument?: string;
  severity?: AlertSeverity;
  limit?: number;
  offset?: number;
}

export interface Webhook {
  id: number;
  org: string;
  url: string;
  secret: string;
  createdAt: number;
}

export interface Delivery {
  id: number;
  webhook: number;
  alert: number;
  event: string;
  payload: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAt: number;
  lastError: string | null;
  lastStatus: number | null;
  deliveredAt: number | null;
  createdAt: number;
}

/** [id, org, kind, gateway, lastSeen, lab, serviceIntervalDays, calDate, calNextDue, calIntervalDays] */
export type SweepRow = [string, string, string | null, string | null, number | null, string | null, number | null, number | null, number | null, number | null];

export type AlertChange = { alert: AlertRecord; event: 'opened' | 'updated' | 'acknowledged' | 'cleared' };
