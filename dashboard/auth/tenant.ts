import { MetronetError, unknownInstrument, unknownReference, unknownStation } from '../../core/index.js';
import type { AlertFilter, AlertRecord, Campaign, Instrument, InstrumentFilter, Registry, Role, User, Visit } from '../../store/index.js';
import type { Resource } from './policy.js';

/**
 * The caller and what it may see. Built once per request by the auth hook; list routes take
 * their store filters from it (scoped queries), resource routes are checked by the hook.
 */
export interface Principal {
  user: string;
  role: Role;
  org: string | null;
  via: 'token' | 'session';
  /** The token or session id (for logout and for "which token am I"). */
  tokenId: string;
}

/** authority and admin see everything. */
export function seesAll(p: Principal): boolean {
  return p.role === 'admin' || p.role === 'authority';
}

export function principalOf(user: User, via: Principal['via'], tokenId: string): Principal {
  return { user: user.id, role: user.role, org: user.org, via, tokenId };
}

/** The store filter that limits an instrument list to the caller's tenant. */
export function instrumentScope(p: Principal): Pick<InstrumentFilter, 'org' | 'servedBy' | 'inspectedBy'> {
  if (seesAll(p)) return {};
  if (p.role === 'lab') return { servedBy: p.org ?? '\u0000' };
  if (p.role === 'inspector') return { inspectedBy: p.user };
  return { org: p.org ?? '\u0000' };
}

export function canSeeInstrument(registry: Registry, p: Principal, inst: Pick<Instrument, 'id' | 'org'>): boolean {
  if (seesAll(p)) return true;
  // An inspector sees the subjects of its assigned visits, and nothing else (issue 18).
  if (p.role === 'inspector') return registry.inspections.subjectsOf(p.user).has(inst.org);
  if (!p.org) return false;
  if (p.role === 'enterprise') return inst.org === p.org;
  return registry.analytics.getService(inst.id)?.lab === p.org;
}

/**
 * The one rule for which alerts a principal sees: authority and admin all; an enterprise its
 * organisation's; a lab those sent to it and those of the instruments it serves now (an alert
 * raised while another lab served the instrument included). `servingLab` tells which lab serves
 * an instrument now. `alertFilter` is the same rule as a store query; the access-matrix test
 * holds both to it for every role.
 */
export function seesAlert(
  p: Principal,
  a: Pick<AlertRecord, 'org' | 'lab' | 'instrument'>,
  servingLab: (instrument: string) => string | null | undefined,
): boolean {
  if (seesAll(p)) return true;
  if (!p.org) return false;
  if (p.role === 'enterprise') return a.org === p.org;
  if (p.role === 'lab') return a.lab === p.org || (a.instrument !== null && servingLab(a.instrument) === p.org);
  return false;
}

/** seesAlert as a store filter, for lists and counts. */
export function alertFilter(p: Principal): Pick<AlertFilter, 'org' | 'visibleToLab'> {
  if (seesAll(p)) return {};
  if (p.role === 'lab') return { visibleToLab: p.org ?? '\u0000' };
  return { org: p.org ?? '\u0000' };
}

/** The serving lab of an instrument, asked of the registry (for seesAlert). */
export const servingLabIn = (registry: Registry) => (instrument: string) => registry.analytics.getService(instrument)?.lab ?? null;

/**
 * Whether the resource `id` names is the caller's: true, false, or 'absent' (the route answers
 * 404 itself; a lab's PUT creating a standard is judged by its body).
 */
export function ownsResource(registry: Registry, p: Principal, resource: Resource, id: string): boolean | 'absent' {
  if (p.role === 'admin') return true;
  switch (resource) {
    case 'instrument':
    case 'station': {
      const inst = registry.getInstrument(id);
      return inst ? canSeeInstrument(registry, p, inst) : 'absent';
    }
    case 'reference': {
      const r = registry.analytics.getReference(id);
      return r ? p.role === 'authority' || r.lab === p.org : 'absent';
    }
    case 'alert': {
      const a = Number.isInteger(Number(id)) ? registry.analytics.getAlert(Number(id)) : undefined;
      if (!a) return 'absent';
      return seesAlert(p, a, servingLabIn(registry));
    }
    case 'webhook': {
      const w = registry.analytics.listWebhooks().find((x) => x.id === Number(id));
      return w ? w.org === p.org : 'absent';
    }
    case 'gateway': {
      const g = registry.getGateway(id);
      return g ? p.role === 'authority' || g.org === p.org : 'absent';
    }
    case 'org':
      if (!registry.getOrg(id)) return 'absent';
      return p.role === 'authority' || id === p.org;
    case 'user':
      return id === p.user;
    case 'token': {
      const t = registry.identity.getToken(id);
      return t ? t.user === p.user : 'absent';
    }
    case 'campaign': {
      const c = Number.isInteger(Number(id)) ? registry.inspections.getCampaign(Number(id)) : undefined;
      if (!c) return 'absent';
      return seesCampaign(registry, p, c);
    }
    case 'visit': {
      const v = Number.isInteger(Number(id)) ? registry.inspections.getVisit(Number(id)) : undefined;
      return v ? seesVisit(p, v) : 'absent';
    }
  }
}

/**
 * The one rule for who sees an inspection campaign (issue 18): the authority every one; an
 * inspector those whose team it is on or in which it has a visit.
 */
export function seesCampaign(registry: Registry, p: Principal, c: Pick<Campaign, 'id' | 'team'>): boolean {
  if (seesAll(p)) return true;
  if (p.role !== 'inspector') return false;
  return c.team.includes(p.user) || registry.inspections.listVisits({ campaign: c.id }).some((v) => v.inspector === p.user);
}

/** Who sees a visit and its signed records: the authority; the inspector assigned; the inspected organisation. */
export function seesVisit(p: Principal, v: Pick<Visit, 'inspector' | 'org'>): boolean {
  if (seesAll(p)) return true;
  if (p.role === 'inspector') return v.inspector === p.user;
  return p.role === 'enterprise' && p.org !== null && v.org === p.org;
}

/**
 * The answer for a resource `id` that does not exist — and, word for word, for one of another
 * tenant (issue 16, item 8: no existence oracle). The auth hook gives it for both before any
 * route runs; routes use the same builders for their own "not found", so that an id of another
 * tenant, a missing id, and (stations) an own instrument that is not a station answer alike.
 * `id` is the path parameter as validated (alerts and webhooks: a number).
 */
export function notFound(resource: Resource, id: string | number): MetronetError {
  switch (resource) {
    case 'instrument':
      return MetronetError.fromIssue({ ...unknownInstrument(String(id)), messageVi: `Không có phương tiện đo "${id}".` });
    case 'station':
      return MetronetError.fromIssue({ ...unknownStation(String(id)), messageVi: `Không có trạm quan trắc "${id}".` });
    case 'reference':
      return MetronetError.fromIssue({ ...unknownReference(String(id)), messageVi: `Không có chuẩn đo lường "${id}".` });
    default: {
      const name = NAMES[resource];
      return new MetronetError('E_NOT_FOUND', { en: `${name.en} ${id} does not exist`, vi: `Không có ${name.vi} ${id}.` }, { field: 'id', value: id });
    }
  }
}

/** What the generic "does not exist" calls each other resource. */
const NAMES: Record<Exclude<Resource, 'instrument' | 'station' | 'reference'>, { en: string; vi: string }> = {
  alert: { en: 'alert', vi: 'cảnh báo' },
  webhook: { en: 'webhook', vi: 'webhook' },
  gateway: { en: 'gateway', vi: 'gateway' },
  org: { en: 'organisation', vi: 'tổ chức' },
  user: { en: 'user', vi: 'người dùng' },
  token: { en: 'token', vi: 'mã truy cập' },
  campaign: { en: 'inspection campaign', vi: 'đợt kiểm tra' },
  visit: { en: 'inspection visit', vi: 'cuộc kiểm tra' },
};

/**
 * A new id that another tenant already holds (POST or PUT creating a standard, a gateway): 409
 * naming nothing of the holder and giving no hint meant for it (no "PUT replaces it", no
 * "rotate"). Ids are one namespace for the whole network, so that the id is taken is all it says.
 */
export function idInUse(resource: 'reference' | 'gateway', id: string): MetronetError {
  const what = resource === 'reference' ? { en: 'reference standard id', vi: 'Mã chuẩn đo lường' } : { en: 'gateway id', vi: 'Mã gateway' };
  return new MetronetError(
    'E_CONFLICT',
    {
      en: `${what.en} "${id}" is already in use in the registry; choose another id`,
      vi: `${what.vi} "${id}" đã được sử dụng trong sổ đăng ký; hãy chọn mã khác.`,
    },
    { field: 'id', rule: 'unique', value: id },
  );
}
