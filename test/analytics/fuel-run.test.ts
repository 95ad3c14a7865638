import { describe, expect, it } from 'vitest';
import { type FuelRunInput, judgeRun } from '../../analytics/fuel-run.js';
import { isMetronetError, type MetronetError } from '../../core/index.js';
import { FUEL_INSPECTION_FACTOR, FUEL_VERIFICATION_MPE_PCT } from '../../core/legal/fuel-inspection.js';

/** 2026-03-31 17:30 UTC = 2026-04-01 00:30 ICT. */
const APRIL_1_0030_ICT = Date.UTC(2026, 2, 31, 17, 30);
/** 2026-03-31 16:30 UTC = 2026-03-31 23:30 ICT. */
const MARCH_31_2330_ICT = Date.UTC(2026, 2, 31, 16, 30);

/** A 20 L class II measure read at its reference temperature (no thermal correction), valid for the run. */
function run(over: Partial<FuelRunInput> = {}): FuelRunInput {
  return {
    nozzle: 'V1',
    flow: 'Qmax',
    measure: { nominalVolume: 20, referenceTemperature: 20, expansionCoefficient: 50e-6, validUntil: '2026-12-31', class: 'II' },
    dispenserReading: 20,
    measureReading: 20,
    fuelTemperature: 20,
    measureTemperature: 20,
    price: 24_360,
    amount: 487_200,
    at: MARCH_31_2330_ICT,
    ...over,
  };
}

function refusal(input: FuelRunInput): MetronetError {
  try {
    judgeRun(input);
  } catch (e) {
    if (isMetronetError(e)) return e;
    throw e;
  }
  throw new Error('the run was judged, not refused');
}

describe('fuel run: thermal correction of the test measure', () => {
  /*
   * No worked example was found in ĐLVN 10:2017 or OIML R120 (neither text was read), so this one
   * is computed by hand. A class II stainless-steel measure, certificate: V at 20 °C, cubical
   * expansion β = 50 × 10⁻⁶ /°C (steel is 33–52 × 10⁻⁶ /°C). Fuel in the measure at 30 °C; neck
   * scale reads 20.010 L; the dispenser shows 20.080 L.
   *   1. k = 1 + β (t − t_ref) = 1 + 50e-6 × (30 − 20) = 1 + 0.0005 = 1.0005
   *   2. V = 20.010 × 1.0005 = 20.010 + 0.010005 = 20.020005 L
   *   3. error = 20.080 − 20.020005 = +0.059995 L
   *   4. error % = 0.059995 / 20.020005 × 100 = +0.299675 %
   *   5. verification MPE = 0.3 % × 20.020005 = 0.060060015 L
   *   6. inspection MPE = 1.5 × 0.060060015 = 0.0900900225 L (0.45 %) → |0.059995| ≤ 0.09009 → pass
   * With the fuel's own expansion (γ = 0.0012 /°C, an illustrative gasoline value given by the
   * inspector) and the fuel at 31 °C in the meter:
   *   7. k_fuel = 1 + 0.0012 × (31 − 30) = 1.0012
   *   8. V = 20.020005 × 1.0012 = 20.020005 + 0.024024006 = 20.044029006 L
   *   9. error = 20.080 − 20.044029006 = +0.035970994 L
   */
  const example = run({ measureReading: 20.01, measureTemperature: 30, fuelTemperature: 30, dispenserReading: 20.08, amount: 489_149 });

  it('corrects the measure volume to its temperature: 20.010 L at 30 °C holds 20.020005 L', () => {
    const r = judgeRun(example);
    expect(r.correctedVolume).toBeCloseTo(20.020005, 9);
    expect(r.error.litres).toBeCloseTo(0.059995, 9);
    expect(r.error.pct).toBeCloseTo(0.299675, 5);
    expect(r.mpe.verificationLitres).toBeCloseTo(0.060060015, 9);
    expect(r.mpe.litres).toBeCloseTo(0.0900900225, 9);
    expect(r.mpe.pct).toBeCloseTo(0.45, 9);
    expect(r.verdict).toBe('pass');
    expect(r.reasons.find((x) => x.rule === 'measure-thermal')?.en).toContain('20.020005');
  });

  it('corrects for the fuel temperature difference only when the fuel coefficient is given', () => {
    const withFuel = judgeRun({ ...example, fuelTemperature: 31, fuelExpansionCoefficient: 0.0012 });
    expect(withFuel.correctedVolume).toBeCloseTo(20.044029006, 9);
    expect(withFuel.error.litres).toBeCloseTo(0.035970994, 9);
    const without = judgeRun({ ...example, fuelTemperature: 31 });
    expect(without.correctedVolume).toBeCloseTo(20.020005, 9);
    expect(without.reasons.find((x) => x.rule === 'fuel-thermal')?.en).toContain('not corrected');
  });

  it('a measure colder than its reference holds less: 20 L at 10 °C is 19.99 L', () => {
    const r = judgeRun(run({ measureTemperature: 10, fuelTemperature: 10 }));
    expect(r.correctedVolume).toBeCloseTo(19.99, 12);
    expect(r.error.litres).toBeCloseTo(0.01, 12);
  });
});

describe('fuel run: verdict against the inspection MPE (1.5 × ±0.3 %)', () => {
  it('uses 1.5 × the ĐLVN verification MPE of 0.3 %', () => {
    expect(FUEL_VERIFICATION_MPE_PCT).toBe(0.3);
    expect(FUEL_INSPECTION_FACTOR).toBe(1.5);
  });

  it('20 L: +0.090 L (0.45 %) is at the limit and passes; +0.0901 L fails', () => {
    expect(judgeRun(run({ dispenserReading: 20.09 })).verdict).toBe('pass');
    const over = judgeRun(run({ dispenserReading: 20.0901 }));
    expect(over.verdict).toBe('fail');
    expect(over.reasons.find((x) => x.rule === 'inspection-mpe')?.vi).toContain('vượt quá');
  });

  it('20 L: −0.090 L passes (short delivery at the limit); −0.0901 L fails', () => {
    expect(judgeRun(run({ dispenserReading: 19.91 })).verdict).toBe('pass');
    expect(judgeRun(run({ dispenserReading: 19.9099 })).verdict).toBe('fail');
  });

  it('+0.35 % fails verification (±0.3 %) but passes the inspection limit', () => {
    const r = judgeRun(run({ dispenserReading: 20.07 }));
    expect(Math.abs(r.error.litres)).toBeGreaterThan(r.mpe.verificationLitres);
    expect(r.verdict).toBe('pass');
  });

  it('MMQ run of 1 L: R117 Table 3 takes 0.3 % of 2 L, so ±0.009 L at inspection', () => {
    const mmq = run({
      flow: 'MMQ',
      mmq: 1,
      measure: { nominalVolume: 1, referenceTemperature: 20, expansionCoefficient: 50e-6, validUntil: '2026-12-31', class: 'II' },
      measureReading: 1,
      dispenserReading: 1.009,
      amount: 24_579,
    });
    const r = judgeRun(mmq);
    expect(r.mpe.verificationLitres).toBeCloseTo(0.006, 12);
    expect(r.mpe.litres).toBeCloseTo(0.009, 12);
    expect(r.verdict).toBe('pass');
    expect(r.reasons.some((x) => x.rule === 'small-volume')).toBe(true);
    expect(judgeRun({ ...mmq, dispenserReading: 1.0091 }).verdict).toBe('fail');
  });
});

describe('fuel run: amount = price × volume', () => {
  it('24 360 VND/L × 20.080 L = 489 148.8: 489 149 and 489 148 agree, 489 150 and 489 147 do not', () => {
    const base = run({ dispenserReading: 20.08 });
    const r = judgeRun({ ...base, amount: 489_149 });
    expect(r.expectedAmount).toBe(489_149);
    expect(r.amountOk).toBe(true);
    expect(judgeRun({ ...base, amount: 489_148 }).amountOk).toBe(true);
    expect(judgeRun({ ...base, amount: 489_150 }).amountOk).toBe(false);
    expect(judgeRun({ ...base, amount: 489_147 }).amountOk).toBe(false);
  });

  it('an exact product admits no other amount: 24 360 × 20 = 487 200', () => {
    expect(judgeRun(run({ amount: 487_200 })).amountOk).toBe(true);
    expect(judgeRun(run({ amount: 487_201 })).amountOk).toBe(false);
    expect(judgeRun(run({ amount: 487_199 })).amountOk).toBe(false);
  });

  it('halves round up: 24 500 × 1.001 = 24 524.5 → 24 525 (binary 24524.4999… does not round down)', () => {
    const r = judgeRun(
      run({
        flow: 'MMQ',
        mmq: 1,
        measure: { nominalVolume: 1, referenceTemperature: 20, expansionCoefficient: 50e-6, validUntil: '2026-12-31', class: 'II' },
        measureReading: 1,
        dispenserReading: 1.001,
        price: 24_500,
        amount: 24_525,
      }),
    );
    expect(r.expectedAmount).toBe(24_525);
    expect(r.amountOk).toBe(true);
  });

  it('a stated volume display step widens the tolerance by price × step / 2', () => {
    const base = run({ dispenserReading: 20.08, amount: 489_148 + 100 });
    expect(judgeRun(base).amountOk).toBe(false);
    expect(judgeRun({ ...base, volumeStep: 0.01 }).amountOk).toBe(true); // 1 + 24 360 × 0.005 = 122.8 VND
  });
});

describe('fuel run: measures refused', () => {
  it('a measure valid until 31 March is refused for a run at 00:30 on 1 April (Vietnam time), accepted at 23:30 on 31 March', () => {
    const m = { nominalVolume: 20, referenceTemperature: 20, expansionCoefficient: 50e-6, validUntil: '2026-03-31', class: 'II' };
    expect(judgeRun(run({ measure: m, at: MARCH_31_2330_ICT })).verdict).toBe('pass');
    const e = refusal(run({ measure: m, at: APRIL_1_0030_ICT }));
    expect(e.code).toBe('E_STANDARD_EXPIRED');
    expect(e.details).toEqual({ field: 'measure.validUntil', value: '2026-03-31', rule: 'measure-valid' });
    expect(e.message).toContain('2026-04-01');
    expect(e.messageVi).toContain('hết hạn');
  });

  it('the MMQ run needs a measure of the MMQ: a 20 L measure for a 5 L MMQ is refused', () => {
    const e = refusal(run({ flow: 'MMQ', mmq: 5 }));
    expect(e.code).toBe('E_TEST_MEASURE_VOLUME');
    expect(e.details).toEqual({ field: 'measure.nominalVolume', value: 20, rule: 'measure-volume-mmq' });
    expect(e.messageVi).toContain('5 L');
  });

  it('the MMQ run without the dispenser MMQ is refused, naming the field', () => {
    const e = refusal(run({ flow: 'MMQ' }));
    expect(e.code).toBe('E_BAD_REQUEST');
    expect(e.details).toMatchObject({ field: 'mmq', rule: 'required-for-mmq-run' });
  });

  it('a 5 L measure is too small for a Qmax or Qmin run', () => {
    const small = { nominalVolume: 5, referenceTemperature: 20, expansionCoefficient: 50e-6, validUntil: '2026-12-31', class: 'II' };
    for (const flow of ['Qmax', 'Qmin'] as const) {
      const e = refusal(run({ flow, measure: small, measureReading: 5, dispenserReading: 5, amount: 121_800 }));
      expect(e.code).toBe('E_TEST_MEASURE_VOLUME');
      expect(e.details).toEqual({ field: 'measure.nominalVolume', value: 5, rule: 'measure-volume-flow' });
    }
    const tenL = { ...small, nominalVolume: 10 };
    expect(judgeRun(run({ flow: 'Qmin', measure: tenL, measureReading: 10, dispenserReading: 10, amount: 243_600 })).verdict).toBe('pass');
  });

  it('a measure of a class other than I or II, or with an implausible β, is refused', () => {
    const e = refusal(run({ measure: { ...run().measure, class: 'III' } }));
    expect(e.code).toBe('E_TEST_MEASURE_CLASS');
    expect(e.details).toEqual({ field: 'measure.class', value: 'III', rule: 'measure-class' });
    const b = refusal(run({ measure: { ...run().measure, expansionCoefficient: 52 } }));
    expect(b.details).toEqual({ field: 'measure.expansionCoefficient', value: 52, rule: 'measure-thermal' });
  });

  it('a non-numeric reading is refused with its field', () => {
    const e = refusal(run({ dispenserReading: Number.NaN }));
    expect(e.code).toBe('E_BAD_REQUEST');
    expect(e.details).toMatchObject({ field: 'dispenserReading', rule: 'positive' });
  });
});
