import { nameLocation, type NamedLocation } from '../core/index.js';
import type { Org, Registry } from '../store/types.js';

/**
 * Where an instrument counts in reports, filters and the overview (issue 17, item 1): its own
 * province and commune when it has them (a site or a monitoring station), else its
 * organisation's. An instrument always counts where it stands: a station of the provincial
 * environment department stands in its own commune, not at the department's address — grouping
 * by the organisation's place is what counted the La Gi station under Phan Thiết. The pre-2025
 * district is never used here.
 */
export type Locality = NamedLocation;

const NO_LOCALITY: Locality = { province: null, provinceName: null, commune: null, communeName: null };

/** One resolver per request: one query for instruments' locations, one for organisations. */
export function localityResolver(registry: Registry): (instrument: string, org: string) => Locality {
  const own = registry.instrumentLocations();
  const orgs = new Map<string, Org>(registry.listOrgs().map((o) => [o.id, o]));
  const cache = new Map<string, Locality>();
  return (instrument, org) => {
    const loc = own.get(instrument) ?? orgs.get(org);
    if (!loc || (loc.province == null && loc.commune == null)) return NO_LOCALITY;
    const key = localityKey(loc);
    let named = cache.get(key);
    if (!named) cache.set(key, (named = nameLocation(loc)));
    return named;
  };
}

/** One string per province-and-commune pair, for grouping by place. */
export const localityKey = (l: { province?: string | null; commune?: string | null }): string => `${l.province ?? ''}/${l.commune ?? ''}`;

/** Orders localities as a province office reads them: province name, then commune name (Vietnamese collation), unknown last. */
export function compareLocality(a: Locality, b: Locality): number {
  const by = (x: string | null, y: string | null) => (x === y ? 0 : x === null ? 1 : y === null ? -1 : x.localeCompare(y, 'vi'));
  return by(a.provinceName ?? a.province, b.provinceName ?? b.province) || by(a.communeName ?? a.commune, b.communeName ?? b.commune);
}

/** Whether a locality is within a report's or a list's filter by province and commune code (either may be absent). */
export const withinLocality = (l: Locality, filter: { province?: string; commune?: string }): boolean =>
  (filter.province === undefined || l.province === filter.province) && (filter.commune === undefined || l.commune === filter.commune);
