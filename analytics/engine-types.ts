import type { AnalyticsConfig, Check, Issue, Logger } from '../core/index.js';
import { vnIsoDay } from '../core/index.js';
import type { AlertChange, AnalyticsStore, CheckRecord, Registry, TestPoint } from '../store/index.js';
import type { AlertSink } from './alert-sink.js';
import type { ChannelEvaluation } from './channel.js';
import type { ChannelStates } from './channel-states.js';
import type { Schedule } from './schedule.js';
import type { Traceability } from './traceability.js';
import type { StandardUser } from './entry-rules.js';
import type { DecisionRule } from './conformity.js';
import type { DueState, IntervalBasis } from './due.js';
import type { IntervalAdvice } from './interval.js';

/**
 * The analytics engine: takes checks and calibrations, keeps each channel's running state,
 * decides alerts, and runs the periodic time-based evaluation. It owns no I/O beyond the
 * registry; alert changes go to `onAlert` (the service publishes them on MQTT and webhooks).
 */
export type EngineConfig = Pick<
  AnalyticsConfig,
  'decisionRule' | 'nearLimitFraction' | 'dueSoonDays' | 'offlineAfterMs' | 'maxFutureMinutes' | 'sealBreakDays'
>;

export interface EngineOptions {
  registry: Registry;
  config?: Partial<EngineConfig>;
  now?: () => number;
  onAlert?: (change: AlertChange) => void;
  logger?: Logger;
  /**
   * Another process decides on the same registry (a split deployment: the dashboard records API
   * checks while the analytics process takes MQTT checks). A channel's running state is then
   * rebuilt from the stored checks at every check instead of kept in memory, since checks stored
   * by the other process would be missing from it. Checks are few (ARCHITECTURE.md: ~12/s for a
   * country), so a rebuild per check costs little.
   */
  sharedRegistry?: boolean;
}

export interface CheckSubmission {
  checks: Check[];
  source: 'mqtt' | 'api';
  /** Organisation the sender speaks for (from the MQTT topic); instruments of others are refused. */
  org?: string;
  /** Gateway id, or the person posting through the API: the checks' author (never a body field). */
  by?: string | null;
  /**
   * Who names the standards (entry-rules.ts standardUseIssue): a check naming a standard it may
   * not use is refused. Absent for the engine's own callers (the demo seed), which may use any.
   */
  caller?: StandardUser;
  /** Idempotency key of the submission (Idempotency-Key header, `idempotencyKey` of a checks message), with `by` as its scope. */
  idempotencyKey?: string;
}

export interface CheckResult {
  stored: CheckRecord[];
  /** The whole submission repeats an earlier one under the same idempotency key: nothing was stored again, the first answer is given. */
  duplicate?: boolean;
  duplicates: number;
  rejects: Array<Issue & { index: number }>;
  alerts: AlertChange[];
}

export interface CalibrationInput {
  type: 'calibration' | 'verification';
  date: number;
  lab?: string;
  certificate: string;
  procedure?: string | null;
  conditions?: Record<string, unknown> | null;
  results: TestPoint[];
  references: string[];
  decisionRule?: DecisionRule;
  statement?: string | null;
  authorisedBy: string;
  intervalDays?: number | null;
  /** The certificate's printed "valid until" (epoch ms), when it states one. */
  validUntil?: number | null;
}

/** `normalised` (from ChannelEvaluation): what sigma, trend and cusum are in (channel.ts `Normalised`). */
export interface DriftChannel extends ChannelEvaluation {
  channel: string;
  untraceable: number;
  underReview: number;
  /** Checks whose standard was not fit (expired, U > MPE/3: entry-rules.ts standardFitness). */
  unfit: number;
  traceability: { lastCheckTraceable: boolean | null; reason: string | null; fitness: string | null };
  /** normalised 'mpe-fraction' only: the MPE (in service) at each load (reference value) checked, smallest load first. */
  mpeByLoad?: Array<{ load: number; mpe: number }>;
}

export interface DriftView {
  instrument: string;
  lab: string | null;
  lastCalibration: number | null;
  nextDue: number | null;
  dueState: DueState;
  /** The verification interval, where it comes from and how directly its source was read. */
  interval: IntervalBasis;
  intervalAdvice: IntervalAdvice;
  channels: DriftChannel[];
}

/**
 * The parts of the engine that its decisions work with (engine.ts composes them); each module
 * takes the few it needs, never the engine itself.
 */
export interface EngineParts {
  registry: Registry;
  store: AnalyticsStore;
  cfg: EngineConfig;
  now: () => number;
  states: ChannelStates;
  alerts: AlertSink;
  schedule: Schedule;
  traceability: (referenceId: string, at: number) => Traceability;
}

/** A date in reasons written for people and parsed by the web UI (traceability reasons): YYYY-MM-DD, the day in Vietnam. */
export function iso(ts: number | null | undefined): string {
  return ts == null ? '—' : vnIsoDay(ts);
}
