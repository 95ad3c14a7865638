import type { AlertFilter, AlertRecord, Instrument, InstrumentFilter, Registry, Role, User } from '../../store/index.js';
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
export function instrumentScope(p: Principal): Pick<InstrumentFilter, 'org' | 'servedBy'> {
  if (seesAll(p)) return {};
  if (p.role === 'lab') return { servedBy: p.org ?? '\u0000' };
  return { org: p.org ?? '\u0000' };
}

export function canSeeInstrument(registry: Registry, p: Principal, inst: Pick<Instrument, 'id' | 'org'>): boolean {
  if (seesAll(p)) return true;
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
    case 'instrument': {
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
      return p.role === 'authority' || id === p.org;
    case 'user':
      return id === p.user;
    case 'token': {
      const t = registry.identity.getToken(id);
      return t ? t.user === p.user : 'absent';
    }
  }
}
