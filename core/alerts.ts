import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './ids.js';
import { Nullable } from './schema.js';
import { compile } from './validate.js';

/**
 * The alert, as published on `metronet/v1/{org}/alerts` and `metronet/v1/labs/{lab}/alerts`,
 * posted to webhooks and served by `/api/v1/alerts`. One schema for all three.
 */
export const ALERT_KINDS = [
  'out_of_tolerance',
  'near_limit',
  'predicted_out_of_tolerance',
  'shift_detected',
  'analyser_out_of_control',
  'due_soon',
  'overdue',
  'standard_expired',
  'not_traceable',
  'under_review',
  'instrument_offline',
  // environmental stations (issue 8)
  'station_gap',
  'limit_exceeded',
  // legal records (verification failed: not permitted in use)
  'verification_failed',
  // seal register: a broken seal not followed by a verification in time
  'seal_broken',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATES = ['open', 'acknowledged', 'cleared'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_EVENTS = ['opened', 'updated', 'acknowledged', 'cleared'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export const Alert = Type.Object(
  {
    v: Type.Literal(1),
    id: Type.Integer({ minimum: 1 }),
    event: StringEnum(ALERT_EVENTS, { description: 'what happened to the alert in this message' }),
    kind: StringEnum(ALERT_KINDS),
    severity: StringEnum(ALERT_SEVERITIES),
    state: StringEnum(ALERT_STATES),
    subject: Type.String({ description: 'instrument id, or reference standard id for standard alerts' }),
    instrument: Nullable(Type.String()),
    channel: Nullable(Type.String()),
    reference: Nullable(Type.String()),
    org: Nullable(Type.String({ description: 'owner organisation' })),
    lab: Nullable(Type.String({ description: 'lab serving the instrument, or owning the standard' })),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
    openedAt: Type.Integer({ description: 'epoch ms' }),
    updatedAt: Type.Integer(),
    ackedAt: Nullable(Type.Integer()),
    ackedBy: Nullable(Type.String()),
    clearedAt: Nullable(Type.Integer()),
    code: Type.Optional(
      Type.String({ description: 'stable text code (alert.<kind>[.<variant>]) for a reader to write the alert in its language (analytics/message.ts)' }),
    ),
    params: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()]), {
        description: 'parameters of the text: numbers raw, times in epoch ms',
      }),
    ),
  },
  { additionalProperties: false },
);
export type Alert = Static<typeof Alert>;
export const validateAlert = compile(Alert);
