import type { AlertKind } from '../core/index.js';
import type { Instrument } from '../store/index.js';

/**
 * The state a person sees for an instrument: one word, the worst of its live alerts first. The
 * one place it is decided; the overview, the instrument page, the live stream and the reports
 * all show this word. Whether it reports data (online) is a separate axis: an offline scale can
 * still be in tolerance.
 */
export const INSTRUMENT_STATES = [
  'verification_failed',
  'out_of_tolerance',
  'overdue',
  'predicted_out_of_tolerance',
  'near_limit',
  'due_soon',
  'in_tolerance',
  'unregistered',
] as const;
export type InstrumentState = (typeof INSTRUMENT_STATES)[number];

/** Alert kinds that set the state, worst first (an instrument with several shows the worst). */
const BY_ALERT: ReadonlyArray<[AlertKind, InstrumentState]> = [
  // Not permitted in use until a passing verification (analytics/calibrate.ts).
  ['verification_failed', 'verification_failed'],
  ['out_of_tolerance', 'out_of_tolerance'],
  ['overdue', 'overdue'],
  ['predicted_out_of_tolerance', 'predicted_out_of_tolerance'],
  ['near_limit', 'near_limit'],
  ['due_soon', 'due_soon'],
];

/** The state of an instrument from the kinds of its live alerts (those the reader sees). */
export function instrumentState(inst: Pick<Instrument, 'registration'>, liveKinds: Iterable<AlertKind>): InstrumentState {
  if (inst.registration === 'unregistered') return 'unregistered';
  const kinds = new Set(liveKinds);
  return BY_ALERT.find(([k]) => kinds.has(k))?.[1] ?? 'in_tolerance';
}
