import { parseStatusMessage, type GatewayStatus, type Issue } from '../core/index.js';
import type { RejectRecord } from '../store/index.js';
import type { GatewayTopic, HandlerContext, Verdict } from './handlers.js';
import { admissionIssue, messageBudget } from './admission.js';

/**
 * The gateway's clock, read from a status it has just sent: `ts` is its clock at publication. A
 * gateway clock 10 minutes behind puts every reading 10 minutes in the past, which no check on a
 * reading can tell from a backlog; a clock ahead by more than maxFutureMs gets its readings
 * refused (E_TS_IN_FUTURE), less than that is accepted as is. Either way beyond maxClockSkewMs the
 * offset is recorded as an E_CLOCK_SKEW reject (counted, logged, in the API's rejects) so that the
 * readings' times can be judged and the clock fixed. Only an `online` status delivered live counts:
 * a retained one (delivered at subscription) and a last will were dated earlier on purpose. A
 * live status may still have waited in the broker while ingest was down; the message says so.
 */
function clockSkew(ctx: HandlerContext, status: GatewayStatus): Issue | undefined {
  if (ctx.retained || status.state !== 'online' || ctx.maxClockSkewMs === undefined) return undefined;
  const skew = status.ts - ctx.now;
  if (Math.abs(skew) <= ctx.maxClockSkewMs) return undefined;
  const s = Math.round(Math.abs(skew) / 1000);
  return {
    code: 'E_CLOCK_SKEW',
    field: 'ts',
    rule: 'maxClockSkew',
    value: status.ts,
    message: `gateway "${status.gateway}" clock is ${s} s ${skew > 0 ? 'ahead of' : 'behind'} the server clock (allowed ${ctx.maxClockSkewMs / 1000} s): its readings' times are off by as much${skew > 0 ? '' : ' (or this status waited in the broker)'}; fix the gateway's time source (NTP)`,
  };
}

/**
 * `metronet/v1/{org}/{gateway}/status` (retained; also the gateway's last will). Records the
 * gateway's state, creating the gateway for the topic's organisation when unknown, and makes the
 * instruments it announces known (`unregistered`) to that organisation. The envelope
 * (size, JSON, version, schema, topic gateway) is core's parseStatusMessage.
 */
export function handleStatus(ctx: HandlerContext, topic: GatewayTopic, payload: Buffer): Verdict {
  const { now, registry } = ctx;
  const base = { ts: now, org: topic.org, gateway: topic.gateway };
  const verdict = (issues: Issue[], instrument?: string): Verdict => ({
    readings: [],
    rejects: issues.map((i): RejectRecord => ({ ...i, ...base, instrument: instrument ?? null })),
    readingsIn: 0,
  });

  // An empty payload is how a retained status is deleted [MQTT-3.3.1-10]: nothing to record.
  if (payload.length === 0) return verdict([]);
  const { status, rejects } = parseStatusMessage(payload, { gateway: topic.gateway });
  if (!status) return verdict(rejects);
  const known = registry.getGateway(topic.gateway);
  if (known && known.org !== topic.org) {
    return verdict([
      {
        code: 'E_FORBIDDEN',
        field: 'gateway',
        rule: 'tenant',
        value: topic.gateway,
        // Names nothing of the other tenant (issue 15, section 7).
        message: `gateway "${topic.gateway}" belongs to another organisation, not "${topic.org}"`,
        messageVi: `gateway "${topic.gateway}" thuộc một tổ chức khác, không phải "${topic.org}"`,
      },
    ]);
  }
  if (!known) registry.upsertGateway({ id: topic.gateway, org: topic.org });
  // A gateway clock running ahead must not put lastSeen in the future.
  registry.setGatewayState(topic.gateway, status.state, Math.min(status.ts, now), status.version, status.spool);

  const out = verdict([]);
  const skew = clockSkew(ctx, status);
  if (skew) out.rejects.push({ ...base, instrument: null, ...skew });
  // Announced instruments unknown to the registry are created within the bounds (admission.ts).
  const budget = messageBudget(ctx);
  status.instruments?.forEach(({ instrument, profile }, i) => {
    const owner = ctx.lookups.instrument(topic.org, instrument, topic.gateway, now, profile, budget);
    if ('refused' in owner) {
      out.rejects.push({ ...base, instrument, ...admissionIssue(owner.refused, instrument, `instruments[${i}].instrument`, topic.gateway, ctx) });
      return;
    }
    if (owner.org !== topic.org) {
      out.rejects.push({
        ...base,
        instrument,
        code: 'E_FOREIGN_INSTRUMENT',
        field: `instruments[${i}].instrument`,
        rule: 'tenant',
        value: instrument,
        message: `instruments[${i}].instrument "${instrument}" belongs to another organisation; gateway "${topic.gateway}" of "${topic.org}" cannot announce it`,
        messageVi: `instruments[${i}].instrument "${instrument}" thuộc một tổ chức khác; gateway "${topic.gateway}" của "${topic.org}" không được khai báo phương tiện này`,
      });
    }
  });
  return out;
}
