import { vnIsoDay } from '../core/index.js';
import type { TraceAnchor } from '../store/records.js';

/**
 * Traceability of a check through its reference standard's chain (DOMAIN.md "Traceability";
 * ISO/IEC 17025:2017 6.5.1–6.5.3, ILAC P10:07/2020): traceable at time t when the standard and every
 * parent up the chain were within their calibration due date at t, none is found out of tolerance,
 * and the chain ends (its root, parent null) in a standard anchored to a national standard or an
 * external accredited calibration certificate (`anchor`: issuer, certificate, date). An anchor on a
 * standard that has a parent does not end the chain: only the root's anchor counts.
 *
 * Worked example: REF-M1-20KG (due 2026-06-30) ← parent REF-F1-SET (due 2026-03-31). A check on
 * 2026-04-10: the 20 kg weight is valid but its parent expired on 2026-03-31 → not traceable,
 * broken link REF-F1-SET.
 */
export interface StandardLink {
  id: string;
  due: number | null;
  parent: string | null;
  outOfTolerance?: boolean;
  /** Where the chain ends, on a root standard (parent null). */
  anchor?: TraceAnchor | null;
}

export interface Traceability {
  traceable: boolean;
  /** The first link that breaks the chain, from the standard up. */
  brokenLink: string | null;
  reason: string | null;
  chain: string[];
  /** The root's anchor when the chain reached an anchored root, else null. */
  anchor: TraceAnchor | null;
}

/** The reason a chain ending in an unanchored root is not traceable. */
export const notAnchoredReason = (id: string) => `standard ${id} is not anchored to a national standard or an accredited certificate`;

export function traceabilityAt(id: string, at: number, lookup: (id: string) => StandardLink | undefined, maxDepth = 16): Traceability {
  const chain: string[] = [];
  const broken = (link: string, reason: string): Traceability => ({ traceable: false, brokenLink: link, reason, chain, anchor: null });
  let cur: string = id;
  for (;;) {
    if (chain.includes(cur) || chain.length >= maxDepth) return broken(cur, `traceability chain loops or is deeper than ${maxDepth} at ${cur}`);
    chain.push(cur);
    const link = lookup(cur);
    if (!link) return broken(cur, `standard ${cur} is not in the registry`);
    if (link.outOfTolerance) return broken(cur, `standard ${cur} was found out of tolerance`);
    if (link.due !== null && at > link.due)
      return broken(cur, `standard ${cur} expired on ${vnIsoDay(link.due)}${cur === id ? '' : ` (in the chain of ${id})`}`);
    if (link.parent === null) {
      // The root: the chain must end at a national standard or an accredited certificate (ILAC P10).
      if (!link.anchor) return broken(cur, notAnchoredReason(cur));
      return { traceable: true, brokenLink: null, reason: null, chain, anchor: link.anchor };
    }
    cur = link.parent;
  }
}
