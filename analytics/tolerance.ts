import {
  ANALYSER_ABSOLUTE_LIMIT,
  ANALYSER_DRIFT_LIMIT_PCT,
  R117_MPE_PCT,
  R117_SMALL_VOLUME_FACTORS,
  R76_IN_SERVICE_FACTOR,
  R76_MPE_TABLE,
  type ToleranceSpec,
} from '../core/index.js';

/** Verification (initial or subsequent) or in service: OIML R76 doubles the MPE in service. */
export type Stage = 'verification' | 'in-service';

/**
 * Maximum permissible error, absolute, in the channel unit, for a check at `load` (the reference
 * value: the test load, the delivered volume, the gas concentration).
 *
 * Worked examples (DOMAIN.md):
 * - R76 class III, e = 0.01 kg, load 20 kg = 2 000 e → ±1.0 e = ±0.01 kg at verification,
 *   ±0.02 kg in service.
 * - R117 class 0.5 system, 20 L → ±0.5 % = ±0.1 L; 0.5 L → ×2 → ±1 % = ±0.005 L.
 * - Analyser, span 500 ppm SO₂, limit 2.5 % → ±12.5 ppm; O₂ absolute 0.5 (% vol).
 */
export function mpeFor(spec: ToleranceSpec, load: number, stage: Stage = 'in-service'): number {
  const m = Math.abs(load);
  switch (spec.model) {
    case 'oiml-r76': {
      // Loads are counted in whole scale intervals (a 20.0001 kg test weight is 2 000 e).
      const inE = Math.round(m / spec.e);
      const steps = R76_MPE_TABLE[spec.accuracyClass];
      // Table 6 steps are "0 < m ≤ 500 e", "500 e < m ≤ 2 000 e", …: a load on a boundary takes the smaller MPE.
      const step = steps.find(([upTo]) => inE <= upTo) ?? steps[steps.length - 1]!;
      return step[1] * spec.e * (stage === 'in-service' ? R76_IN_SERVICE_FACTOR : 1);
    }
    case 'oiml-r117': {
      const pct = R117_MPE_PCT[spec.accuracyClass][spec.part ?? 'system'];
      const factor = (R117_SMALL_VOLUME_FACTORS.find(([from]) => m >= from) ?? R117_SMALL_VOLUME_FACTORS[R117_SMALL_VOLUME_FACTORS.length - 1]!)[1];
      return (pct * factor * m) / 100;
    }
    case 'analyser': {
      const gas = spec.gas?.toLowerCase();
      if (spec.limitPct === undefined && gas !== undefined && ANALYSER_ABSOLUTE_LIMIT[gas] !== undefined) return ANALYSER_ABSOLUTE_LIMIT[gas]!;
      const pct = spec.limitPct ?? (gas !== undefined ? ANALYSER_DRIFT_LIMIT_PCT[gas] : undefined) ?? 2.5;
      return (pct * spec.span) / 100;
    }
    case 'absolute':
      return spec.mpe;
  }
}
