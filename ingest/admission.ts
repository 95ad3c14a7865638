import { INGEST_DEFAULTS, idIssue, type Issue } from '../core/index.js';
import type { AdmissionRefusal } from '../store/index.js';
import type { HandlerContext } from './handlers.js';
import type { MessageBudget } from './lookups.js';

/**
 * Unknown instruments reported over MQTT (issue 15, section 7). A gateway that names an id the
 * registry does not know creates it `unregistered` for its organisation, within bounds: per
 * message, per gateway and per gateway and hour (config `ingest.maxUnregistered…`); and never
 * over a removed id, which takes readings again only once someone registers it. Beyond them the
 * reading or announcement is refused with its reason (a reject: counted, logged, in the API).
 * An unknown id that breaks the id grammar (core/ids.ts: a reserved topic word) is never created.
 */
export function messageBudget(ctx: Pick<HandlerContext, 'unregistered'>): MessageBudget {
  return { ...unregisteredBounds(ctx), refused: new Map() };
}

/** The bounds of a context: the ingest service always sets them (config or defaults); a context without them (a tool judging a message) has none. */
export function unregisteredBounds(ctx: Pick<HandlerContext, 'unregistered'>): Omit<MessageBudget, 'refused'> {
  const u = ctx.unregistered;
  if (!u) return { left: Number.POSITIVE_INFINITY, perGateway: Number.POSITIVE_INFINITY, perGatewayPerHour: Number.POSITIVE_INFINITY };
  return { left: u.perMessage, perGateway: u.perGateway, perGatewayPerHour: u.perGatewayPerHour };
}

/** The bounds the ingest service applies: its config, else the defaults (core/config.ts). */
export function configuredBounds(cfg: {
  maxUnregisteredPerMessage?: number | undefined;
  maxUnregisteredPerGateway?: number | undefined;
  maxUnregisteredPerGatewayPerHour?: number | undefined;
}): NonNullable<HandlerContext['unregistered']> {
  return {
    perMessage: cfg.maxUnregisteredPerMessage ?? INGEST_DEFAULTS.maxUnregisteredPerMessage,
    perGateway: cfg.maxUnregisteredPerGateway ?? INGEST_DEFAULTS.maxUnregisteredPerGateway,
    perGatewayPerHour: cfg.maxUnregisteredPerGatewayPerHour ?? INGEST_DEFAULTS.maxUnregisteredPerGatewayPerHour,
  };
}

/** The reject of a reading or announcement whose instrument was not admitted; `field` names where the id came from. */
export function admissionIssue(refusal: AdmissionRefusal, id: string, field: string, gateway: string, ctx: HandlerContext): Issue {
  const base = { field, value: id };
  // An unknown id that is a reserved topic word (or otherwise breaks the id grammar) is not created (issue 16).
  if (refusal === 'invalidId') return idIssue(field, id) ?? { ...base, code: 'E_ID_INVALID', rule: 'pattern', message: `${field} "${id}" is not an id` };
  if (refusal === 'removed') {
    return {
      ...base,
      code: 'E_INSTRUMENT_REMOVED',
      rule: 'removed',
      message: `${field} "${id}" was removed from the registry; readings for it are refused until it is registered again (a new registration starts with an empty history)`,
      messageVi: `${field} "${id}" đã bị xoá khỏi sổ đăng ký; số đo của phương tiện này bị từ chối cho đến khi được đăng ký lại (lần đăng ký mới bắt đầu với lịch sử trống)`,
    };
  }
  const budget = unregisteredBounds(ctx);
  const limit = { perMessage: budget.left, perGateway: budget.perGateway, perGatewayPerHour: budget.perGatewayPerHour }[refusal];
  const en = {
    perMessage: `one message may create at most ${limit} unregistered instruments (ingest.maxUnregisteredPerMessage)`,
    perGateway: `gateway "${gateway}" already holds ${limit} unregistered instruments (ingest.maxUnregisteredPerGateway)`,
    perGatewayPerHour: `gateway "${gateway}" created ${limit} unregistered instruments in the last hour (ingest.maxUnregisteredPerGatewayPerHour)`,
  }[refusal];
  const vi = {
    perMessage: `một bản tin chỉ được tạo tối đa ${limit} phương tiện chưa đăng ký (ingest.maxUnregisteredPerMessage)`,
    perGateway: `gateway "${gateway}" đã có ${limit} phương tiện chưa đăng ký (ingest.maxUnregisteredPerGateway)`,
    perGatewayPerHour: `gateway "${gateway}" đã tạo ${limit} phương tiện chưa đăng ký trong một giờ qua (ingest.maxUnregisteredPerGatewayPerHour)`,
  }[refusal];
  return {
    ...base,
    code: 'E_UNREGISTERED_LIMIT',
    rule: `maxUnregistered${refusal.charAt(0).toUpperCase()}${refusal.slice(1)}`,
    message: `${field} "${id}" is not registered and was not created: ${en}; register it (POST /api/v1/instruments) and its readings are taken`,
    messageVi: `${field} "${id}" chưa được đăng ký và không được tạo: ${vi}; hãy đăng ký phương tiện (POST /api/v1/instruments) để số đo được nhận`,
  };
}
