import { instrumentStates } from '../states.js';
import { localityResolver, withinLocality } from '../locality.js';
import { type OfficialForm, tx } from './form.js';
import { annual } from './official-annual.js';
import { assurance } from './official-assurance.js';
import type { OfficialCtx, Placed, Work } from './official-common.js';
import { inventory } from './official-inventory.js';
import { verification } from './official-verification.js';

export type { OfficialCtx } from './official-common.js';

/**
 * The four reports in official form (issue 17, item 2), one file each, built from the same
 * tenant-scoped states the overview and the instrument pages show: an instrument's state is the
 * one word analytics/state.ts decides (through dashboard/states.ts), never decided again here, and
 * its locality is the one dashboard/locality.ts decides for every report.
 */
export const OFFICIAL_REPORTS = ['group2-inventory', 'verification-status', 'province-annual', 'enterprise-assurance'] as const;
export type OfficialReportName = (typeof OFFICIAL_REPORTS)[number];

const BUILDERS: Record<OfficialReportName, (w: Work) => OfficialForm> = {
  'group2-inventory': inventory,
  'verification-status': verification,
  'province-annual': annual,
  'enterprise-assurance': assurance,
};

const NO_PLACE = tx('Chưa xác định địa bàn', 'Locality not set');

export function buildOfficial(name: OfficialReportName, ctx: OfficialCtx): OfficialForm {
  const at = localityResolver(ctx.registry);
  const states = instrumentStates(ctx.registry, ctx.p, ctx.now, ctx.offline).flatMap((s): Placed[] => {
    const l = at(s.id, s.org);
    // The commune an instrument counts in, else its province.
    return withinLocality(l, ctx) ? [{ ...s, place: l.communeName ?? l.provinceName ?? NO_PLACE }] : [];
  });
  const orgs = new Map(ctx.registry.listOrgs().map((o) => [o.id, o]));
  const orgName = (org: string | null) => (org === null ? null : (orgs.get(org)?.name ?? null));
  return BUILDERS[name]({ ...ctx, states, orgs, orgName });
}
