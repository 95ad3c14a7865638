import type { AnalyticsConfig, Check, Issue, Logger } from '../core/index.js';
import type { AlertChange, AnalyticsStore, CheckRecord, Registry, TestPoint } from '../store/index.js';
import type { AlertSink } from './alert-sink.js';
import type { ChannelEvaluation } from './channel.js';
import type { ChannelStates } from './channel-states.js';
import type { Schedule } from './schedule.js';
import type { Traceability } from './traceability.js';
import type { DecisionRule } from './conformity.js';
import type { DueState } from './due.js';
import type { IntervalAdvice } from './interval.js';

/**
 * The analytics engine: takes checks and calibrations, keeps each channel's running state,
 * decides alerts, and runs the periodic time-based evaluation. It owns no I/O beyond the
 * registry; alert changes go to `onAlert` (the service publishes them on MQTT and webhooks).
 */
export type EngineConfig = Pick<AnalyticsConfig, 'decisionRule' | 'nearLimitFraction' | 'dueSoonDays' | 'offlineAfterMs'>;

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
  /** Gateway id, or the person posting through the API. */
  by?: string | null;
}

export interface CheckResult {
  stored: CheckRecord[];
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
}

export interface DriftChannel extends ChannelEvaluation {
  channel: string;
  untraceable: number;
  underReview: number;
  traceability: { lastCheckTraceable: boolean | null; reason: string | null };
}

export interface DriftView {
  instrument: string;
  lab: string | null;
  lastCalibration: number | null;
  nextDue: number | null;
  dueState: DueState;
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

/** A date in reasons written for people and parsed by the web UI (traceability reasons): YYYY-MM-DD, UTC. */
export function iso(ts: number | null | undefined): string {
  return ts == null ? '—' : new Date(ts).toISOString().slice(0, 10);
}
