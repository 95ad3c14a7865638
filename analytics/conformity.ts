/**
 * Conformity of one check against its MPE, per ILAC-G8:09/2019 decision rules.
 *
 * - simple acceptance (w = 0): pass when |e| ≤ MPE (shared risk, ILAC-G8 4.2.1);
 * - guarded acceptance (w = U): pass when |e| ≤ MPE − U, where U is the expanded uncertainty
 *   (k = 2) of the error, so the probability of false accept is ≤ 2.5 % (ILAC-G8 4.2.2).
 * Near limit (DOMAIN.md): a passing |e| above 0.8·MPE is a warning.
 *
 * - guarded acceptance with U ≥ MPE leaves no acceptance zone: no decision can be stated
 *   (ILAC-G8:09/2019 4.2.2 — the guard band takes the whole tolerance), never a pass, whatever e.
 *
 * Worked example: MPE 0.02 kg, U 0.004 kg, e = +0.018 kg →
 *   simple: pass, near limit (0.018 > 0.016); guarded: fail (0.018 > 0.02 − 0.004 = 0.016).
 *   With U = 0.02 kg and e = 0: guarded gives no decision.
 */
export type DecisionRule = 'simple' | 'guarded';
export type Zone = 'in' | 'near_limit' | 'out' | 'undecided';

export interface Conformity {
  decision: 'pass' | 'fail' | 'undecided';
  zone: Zone;
  rule: DecisionRule;
  /** Acceptance limit after the guard band: MPE − w. */
  acceptanceLimit: number;
  statement: string;
}

export function conformity(error: number, mpe: number, U: number, rule: DecisionRule = 'simple', nearFraction = 0.8): Conformity {
  const w = rule === 'guarded' ? U : 0;
  const limit = Math.max(0, mpe - w);
  const abs = Math.abs(error);
  if (rule === 'guarded' && U >= mpe) {
    const statement = `No decision: the expanded uncertainty U ${fmt(U)} is not below the MPE ${fmt(mpe)}, so guarded acceptance (w = U) leaves no acceptance zone; ILAC-G8:09/2019 4.2.2`;
    return { decision: 'undecided', zone: 'undecided', rule, acceptanceLimit: 0, statement };
  }
  const pass = abs <= limit;
  const zone: Zone = !pass ? 'out' : abs > nearFraction * mpe ? 'near_limit' : 'in';
  const ruleText = rule === 'guarded' ? `guarded acceptance (w = U = ${fmt(U)}), ILAC-G8:09/2019 4.2.2` : 'simple acceptance (w = 0), ILAC-G8:09/2019 4.2.1';
  const statement = `${pass ? 'Pass' : 'Fail'}: |error| ${fmt(abs)} ${pass ? '≤' : '>'} acceptance limit ${fmt(limit)} (MPE ${fmt(mpe)}); decision rule: ${ruleText}`;
  return { decision: pass ? 'pass' : 'fail', zone, rule, acceptanceLimit: limit, statement };
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
