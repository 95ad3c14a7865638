import { parseReadingsMessage, type Issue, type Reading } from '../core/index.js';
import type { RejectRecord, StoredReading } from '../store/index.js';
import type { GatewayTopic, HandlerContext, Verdict } from './handlers.js';
import { admissionIssue, messageBudget } from './admission.js';

/**
 * `metronet/v1/{org}/{gateway}/readings`. Payload checks that need no registry (JSON, envelope,
 * schema, unit code, clock, gateway named in the topic) are core's `parseReadingsMessage`; the
 * registry checks are here:
 *
 * - Tenant isolation: a gateway writes only instruments of its own organisation (the topic's).
 *   An unknown instrument is created `unregistered` for that organisation; one owned by another
 *   organisation is refused, E_FOREIGN_INSTRUMENT, and never moved.
 * - Unknown instruments are created within bounds (admission.ts), never over a removed id:
 *   E_UNREGISTERED_LIMIT, E_INSTRUMENT_REMOVED.
 * - A channel's unit is fixed at its first sight or by registration; a reading in another unit
 *   is refused, E_UNIT_MISMATCH, rather than stored beside values it cannot be compared with.
 */
export function handleReadings(ctx: HandlerContext, topic: GatewayTopic, payload: Buffer): Verdict {
  const { now } = ctx;
  const parsed = parseReadingsMessage(payload, { now, maxFutureMs: ctx.maxFutureMs, gateway: topic.gateway });
  const base = { ts: now, org: topic.org, gateway: topic.gateway };
  const rejects: RejectRecord[] = parsed.rejects.map(({ index: _index, instrument, ...issue }) => ({ ...issue, ...base, instrument: instrument ?? null }));
  const readings: StoredReading[] = [];
  if (parsed.accepted.length > 0) ctx.lookups.gateway(topic.org, topic.gateway, now);

  // The hot loop: one reading at a time, no closures, no strings built unless a reading is refused.
  const { accepted, acceptedIndex } = parsed;
  const { org, gateway } = topic;
  const budget = messageBudget(ctx);
  for (let k = 0; k < accepted.length; k++) {
    const r = accepted[k] as Reading;
    const owner = ctx.lookups.instrument(org, r.instrument, gateway, now, undefined, budget);
    if ('refused' in owner) {
      refuse(rejects, base, r, admissionIssue(owner.refused, r.instrument, `readings[${acceptedIndex?.[k] ?? k}].instrument`, gateway, ctx));
      continue;
    }
    if (owner.org !== org) {
      const at = `readings[${acceptedIndex?.[k] ?? k}]`;
      refuse(rejects, base, r, {
        code: 'E_FOREIGN_INSTRUMENT',
        field: `${at}.instrument`,
        rule: 'tenant',
        value: r.instrument,
        message: `${at}.instrument "${r.instrument}" belongs to another organisation; gateway "${gateway}" of "${org}" may write only its own organisation's instruments`,
      });
      continue;
    }
    if (r.ts < (owner.historySince ?? 0)) {
      // An id registered again (or reassigned): what is dated before belongs to no registration of it.
      const at = `readings[${acceptedIndex?.[k] ?? k}]`;
      refuse(rejects, base, r, {
        code: 'E_BEFORE_REGISTRATION',
        field: `${at}.ts`,
        rule: 'registration',
        value: r.ts,
        message: `${at}.ts ${new Date(r.ts).toISOString()} is before ${r.instrument}'s current registration began (${new Date(owner.historySince ?? 0).toISOString()}); it belongs to no registration of this id`,
        messageVi: `${at}.ts ${new Date(r.ts).toISOString()} sớm hơn thời điểm bắt đầu lần đăng ký hiện tại của ${r.instrument} (${new Date(owner.historySince ?? 0).toISOString()}); số đo này không thuộc lần đăng ký nào của mã này`,
      });
      continue;
    }
    const unit = ctx.lookups.unit(r.instrument, r.channel, r.unit, now);
    if (unit !== r.unit) {
      const at = `readings[${acceptedIndex?.[k] ?? k}]`;
      refuse(rejects, base, r, {
        code: 'E_UNIT_MISMATCH',
        field: `${at}.unit`,
        rule: 'channelUnit',
        value: r.unit,
        message: `${at}.unit of ${r.instrument}/${r.channel}: expected "${unit}" (the channel's unit), got "${r.unit}"`,
      });
      continue;
    }
    readings.push({ instrument: r.instrument, channel: r.channel, ts: r.ts, value: r.value, unit: r.unit, status: r.status, org });
  }

  return { readings, rejects, readingsIn: parsed.batch?.count ?? 0, seq: parsed.batch?.seq };
}

function refuse(rejects: RejectRecord[], base: { ts: number; org: string; gateway: string }, r: Reading, issue: Issue): void {
  rejects.push({ ...issue, ...base, instrument: r.instrument });
}
