/**
 * Traceability of a check through its reference standard's chain (DOMAIN.md "Traceability";
 * ISO/IEC 17025:2017 6.5, ILAC-P10): traceable at time t when the standard and every parent up
 * the chain were within their calibration due date at t and none is found out of tolerance.
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
}

export interface Traceability {
  traceable: boolean;
  /** The first link that breaks the chain, from the standard up. */
  brokenLink: string | null;
  reason: string | null;
  chain: string[];
}

export function traceabilityAt(id: string, at: number, lookup: (id: string) => StandardLink | undefined, maxDepth = 16): Traceability {
  const chain: string[] = [];
  let cur: string | null = id;
  while (cur !== null) {
    if (chain.includes(cur) || chain.length >= maxDepth)
      return { traceable: false, brokenLink: cur, reason: `traceability chain loops or is deeper than ${maxDepth} at ${cur}`, chain };
    chain.push(cur);
    const link = lookup(cur);
    if (!link) return { traceable: false, brokenLink: cur, reason: `standard ${cur} is not in the registry`, chain };
    if (link.outOfTolerance) return { traceable: false, brokenLink: cur, reason: `standard ${cur} was found out of tolerance`, chain };
    if (link.due !== null && at > link.due) {
      return {
        traceable: false,
        brokenLink: cur,
        reason: `standard ${cur} expired on ${new Date(link.due).toISOString().slice(0, 10)}${cur === id ? '' : ` (in the chain of ${id})`}`,
        chain,
      };
    }
    cur = link.parent;
  }
  return { traceable: true, brokenLink: null, reason: null, chain };
}
