import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../analytics/engine.js';
import { addInterval, dueDate, intervalOf, renewsVerification } from '../../analytics/due.js';
import { conformity } from '../../analytics/conformity.js';
import { withholdLengthening } from '../../analytics/interval.js';
import { DAY, isMetronetError } from '../../core/index.js';
import { T0, seededRegistry } from '../analytics/support.js';

/**
 * Legal due dates and the records' consequences (docs/legal-records.md "Due dates"): intervals in
 * calendar months from the Group 2 list, a failed verification making the instrument not
 * permitted at once, a calibration not moving a Group 2 verification date, interval advice that
 * never lengthens what is failing, and guarded acceptance giving no decision when U ≥ MPE.
 */
const VN = 7 * 3_600_000;
/** The last millisecond of a calendar day in Vietnam time. */
const endOfVnDay = (y: number, m: number, d: number) => Date.UTC(y, m, d + 1) - VN - 1;

let env: ReturnType<typeof seededRegistry> | undefined;
afterEach(() => {
  env?.cleanup();
  env = undefined;
});

/** SC-1 without the 365-day service override of the fixture: the legal interval of its kind applies. */
function legalScale(now: number) {
  env = seededRegistry();
  env.registry.analytics.setService({ instrument: 'SC-1', lab: 'lab1', intervalDays: null });
  return new Engine({ registry: env.registry, now: () => now });
}
const point = (asFound: number, U = 0.002) => ({ channel: 'gross', unit: 'kg', nominal: 20, reference: 20.0001, asFound, U });

describe('intervals in calendar months', () => {
  it('a scale verified on 15 January is valid until 14 January of the next year, end of day in Vietnam', () => {
    const verified = Date.UTC(2026, 0, 15, 3); // 10:00 in Hà Nội
    expect(intervalOf('scale', null)).toEqual({ months: 12 });
    expect(addInterval(verified, { months: 12 })).toBe(endOfVnDay(2027, 0, 14));
    // 18 months (taximeter) ends on 2027-07-14, not 548 days later (2027-07-17).
    expect(intervalOf('taximeter', null)).toEqual({ months: 18 });
    expect(addInterval(verified, { months: 18 })).toBe(endOfVnDay(2027, 6, 14));
    expect(verified + 548 * DAY).toBeGreaterThan(endOfVnDay(2027, 6, 16));
    // Month ends clamp: 31 January + 1 month → anniversary 28 February, valid until the 27th.
    expect(addInterval(Date.UTC(2026, 0, 31, 3), { months: 1 })).toBe(endOfVnDay(2026, 1, 27));
    // A printed "valid until" wins; a stated days override is added as days.
    expect(dueDate({ date: verified, nextDue: 123, intervalDays: null }, { months: 12 })).toBe(123);
    expect(intervalOf('scale', 180)).toEqual({ days: 180 });
    expect(intervalOf('other', null)).toBeNull();
  });

  it('a verification recorded without a printed date is due on the legal last day; a printed date is kept', () => {
    const engine = legalScale(T0 + 10 * DAY);
    const rec = engine.recordCalibration('SC-1', {
      type: 'verification',
      date: T0,
      certificate: 'KĐ-1',
      results: [point(0.002)],
      references: ['REF-20'],
      authorisedBy: 'x',
    });
    expect(rec.nextDue).toBe(addInterval(T0, { months: 12 }));
    expect(engine.nextDue(env!.registry.getInstrument('SC-1')!)).toBe(rec.nextDue);
    const printed = engine.recordCalibration('SC-1', {
      type: 'verification',
      date: T0 + DAY,
      certificate: 'KĐ-2',
      results: [point(0.002)],
      references: ['REF-20'],
      authorisedBy: 'x',
      validUntil: T0 + 300 * DAY,
    });
    expect(printed.nextDue).toBe(T0 + 300 * DAY);
  });
});

describe('a failed verification', () => {
  it('makes the instrument not permitted at once, with a critical alert to owner and lab, until a passing verification', () => {
    const engine = legalScale(T0 + 5 * DAY);
    engine.recordCalibration('SC-1', {
      type: 'verification',
      date: T0 - 100 * DAY,
      certificate: 'KĐ-OK',
      results: [point(0.002)],
      references: ['REF-20'],
      authorisedBy: 'x',
    });
    // 0.05 kg against a verification MPE of 0.01 kg at 20 kg: fails.
    const failed = engine.recordCalibration('SC-1', {
      type: 'verification',
      date: T0,
      certificate: 'KĐ-FAIL',
      results: [point(0.05)],
      references: ['REF-20'],
      authorisedBy: 'x',
    });
    expect(failed.result).toBe('fail');
    expect(failed.nextDue).toBe(T0);
    const live = env!.registry.analytics.listAlerts({ state: 'live', instrument: 'SC-1' }).items;
    expect(live).toEqual([expect.objectContaining({ kind: 'verification_failed', severity: 'critical', org: 'cho', lab: 'lab1' })]);
    // The periodic sweep adds no "overdue" beside it.
    engine.evaluatePeriodic();
    expect(env!.registry.analytics.listAlerts({ state: 'live', instrument: 'SC-1' }).items.map((a) => a.kind)).toEqual(['verification_failed']);
    // A calibration does not lift it; a passing verification does.
    engine.recordCalibration('SC-1', {
      type: 'calibration',
      date: T0 + DAY,
      certificate: 'HC-1',
      results: [point(0.001)],
      references: ['REF-20'],
      authorisedBy: 'x',
    });
    expect(env!.registry.analytics.listAlerts({ state: 'live', instrument: 'SC-1', kind: 'verification_failed' }).total).toBe(1);
    engine.recordCalibration('SC-1', {
      type: 'verification',
      date: T0 + 2 * DAY,
      certificate: 'KĐ-OK-2',
      results: [point(0.001)],
      references: ['REF-20'],
      authorisedBy: 'x',
    });
    expect(env!.registry.analytics.listAlerts({ state: 'live', instrument: 'SC-1', kind: 'verification_failed' }).total).toBe(0);
  });
});

describe('calibration and verification', () => {
  it('a calibration keeps the legal verification date of a Group 2 instrument; it renews a calibration-only instrument', () => {
    expect(renewsVerification('scale', 'calibration')).toBe(false);
    expect(renewsVerification('scale', 'verification')).toBe(true);
    expect(renewsVerification('other', 'calibration')).toBe(true);
    const engine = legalScale(T0 + 40 * DAY);
    const inst = env!.registry.getInstrument('SC-1')!;
    engine.recordCalibration('SC-1', {
      type: 'verification',
      date: T0,
      certificate: 'KĐ-1',
      results: [point(0.002)],
      references: ['REF-20'],
      authorisedBy: 'x',
    });
    const verifiedDue = engine.nextDue(inst);
    engine.recordCalibration('SC-1', {
      type: 'calibration',
      date: T0 + 30 * DAY,
      certificate: 'HC-1',
      results: [point(0.001)],
      references: ['REF-20'],
      authorisedBy: 'x',
    });
    expect(engine.nextDue(inst)).toBe(verifiedDue);
    // A scale never verified is due at once, whatever it was calibrated.
    env!.registry.upsertInstrument({ id: 'SC-NEW', org: 'cho', registration: 'registered', kind: 'scale' });
    env!.registry.ensureChannel('SC-NEW', 'gross', 'kg');
    engine.recordCalibration('SC-NEW', {
      type: 'calibration',
      date: T0 + 35 * DAY,
      certificate: 'HC-2',
      results: [point(0.001)],
      references: ['REF-20'],
      authorisedBy: 'x',
    });
    expect(engine.nextDue(env!.registry.getInstrument('SC-NEW')!)).toBe(T0 + 35 * DAY);
    // An instrument outside the list: its calibration sets its own due date.
    env!.registry.upsertInstrument({ id: 'X-1', org: 'cho', registration: 'registered', kind: 'other' });
    env!.registry.ensureChannel('X-1', 'gross', 'kg');
    engine.recordCalibration('X-1', { type: 'calibration', date: T0, certificate: 'HC-3', results: [], references: [], authorisedBy: 'x', intervalDays: 180 });
    expect(engine.nextDue(env!.registry.getInstrument('X-1')!)).toBe(T0 + 180 * DAY);
  });
});

describe('decisions', () => {
  it('guarded acceptance with U ≥ MPE gives no decision, never a pass; a verification then cannot be issued', () => {
    expect(conformity(0, 0.01, 0.01, 'guarded').decision).toBe('undecided');
    expect(conformity(0, 0.01, 0.012, 'guarded').decision).toBe('undecided');
    expect(conformity(0, 0.01, 0.012, 'simple').decision).toBe('pass');
    const engine = legalScale(T0 + DAY);
    let err: unknown;
    try {
      engine.recordCalibration('SC-1', {
        type: 'verification',
        date: T0,
        certificate: 'KĐ-G',
        results: [point(0, 0.02)],
        references: ['REF-20'],
        authorisedBy: 'x',
        decisionRule: 'guarded',
      });
    } catch (e) {
      err = e;
    }
    expect(isMetronetError(err) && err.code).toBe('E_NO_DECISION');
    if (!isMetronetError(err)) throw err;
    expect(err.details).toMatchObject({ field: 'results[0].U', rule: 'guarded-acceptance' });
    expect(err.messageIn('vi')).toMatch(/không thể kết luận đạt hay không đạt/);
    expect(env!.registry.analytics.getCalibrationByCertificate('KĐ-G')).toBeUndefined();
    // A calibration states no decision at that point instead.
    const cal = engine.recordCalibration('SC-1', {
      type: 'calibration',
      date: T0,
      certificate: 'HC-G',
      results: [point(0, 0.02)],
      references: ['REF-20'],
      authorisedBy: 'x',
      decisionRule: 'guarded',
    });
    expect(cal.results[0]!.conformity).toBeNull();
  });

  it('interval advice never lengthens an interval that is failing', () => {
    const longer = { method: 'staircase' as const, currentDays: 365, suggestedDays: 456, reason: 'as-found within 80 %: lengthen' };
    expect(withholdLengthening(longer, [])).toEqual(longer);
    expect(withholdLengthening(longer, ['overdue'])).toMatchObject({ suggestedDays: 365, reason: expect.stringMatching(/not lengthened: overdue/) });
    const shorter = { ...longer, suggestedDays: 183 };
    expect(withholdLengthening(shorter, ['overdue'])).toEqual(shorter);
    // Through the drift view: an overdue scale whose last as-found error was small is not lengthened.
    const engine = legalScale(T0 + 800 * DAY);
    engine.recordCalibration('SC-1', {
      type: 'verification',
      date: T0,
      certificate: 'KĐ-A',
      results: [{ ...point(0.001), mpe: 0.01 }],
      references: ['REF-20'],
      authorisedBy: 'x',
    });
    const view = engine.drift('SC-1');
    expect(view.dueState).toBe('overdue');
    expect(view.intervalAdvice.suggestedDays).toBeLessThanOrEqual(view.intervalAdvice.currentDays);
  });
});
