import { describe, expect, it } from 'vitest';
import { calendarDaysUntil, DAY, HOUR } from '../../core/index.js';
import { daysUntil, dueDate } from '../../analytics/due.js';
import { ALERT_CATALOGUE, alertText, englishMessage, sourceDocument, webTexts } from '../../analytics/alert-catalogue.js';
import { isConforming, isNeverVerified } from '../../dashboard/states.js';

/** A time on a Vietnam calendar day: `hh` o'clock UTC+7. */
const vn = (day: string, hh: number) => Date.parse(`${day}T00:00:00Z`) - 7 * HOUR + hh * HOUR;

describe('one day-count rule: calendar days in Vietnam time', () => {
  it('counts days between the due day and today, whatever the time of day', () => {
    // Valid until the end of 18/11 (due.ts): on 04/12 it is 16 days overdue, morning or night.
    const due = vn('2026-11-19', 0) - 1;
    for (const hh of [0, 4, 12, 23.99]) expect(calendarDaysUntil(due, vn('2026-12-04', hh))).toBe(-16);
    expect(calendarDaysUntil(due, vn('2026-11-18', 8))).toBe(0);
    expect(calendarDaysUntil(due, vn('2026-11-17', 23.5))).toBe(1);
    // A 24-hour difference across midnight is one calendar day; 23 hours within a day is none.
    expect(calendarDaysUntil(vn('2026-06-02', 1), vn('2026-06-01', 23))).toBe(1);
    expect(calendarDaysUntil(vn('2026-06-01', 23), vn('2026-06-01', 0))).toBe(0);
    // Midnight UTC is 07:00 in Vietnam: the day is Vietnam's, not UTC's.
    expect(calendarDaysUntil(Date.parse('2026-06-01T18:00:00Z'), Date.parse('2026-06-01T16:00:00Z'))).toBe(1);
  });

  it('is the count of due.ts daysUntil and of the alert text (|n| days)', () => {
    // Verified 19/11/2025, 12 months: valid until the end of 18/11/2026 (the day before the anniversary).
    const last = { date: vn('2025-11-19', 10), nextDue: null, intervalDays: null };
    const due = dueDate(last, { months: 12 })!;
    const now = vn('2026-12-04', 4);
    expect(daysUntil(due, now)).toBe(-16);
    const text = alertText({ kind: 'overdue', details: { due }, instrument: 'FD-0004', channel: null, subject: 'FD-0004' });
    expect(englishMessage(text, now)).toBe('FD-0004: Verification valid until the end of 2026-11-18, overdue by 16 days; not to be used until verified again.');
    // Due soon: "in 10 days" on the 10th day before, at any hour.
    const soon = alertText({ kind: 'due_soon', details: { due, leadDays: 30 }, instrument: 'SC-1', channel: null, subject: 'SC-1' });
    expect(englishMessage(soon, vn('2026-11-08', 23))).toMatch(/in 10 days/);
    expect(englishMessage(soon, vn('2026-11-08', 0))).toMatch(/in 10 days/);
    expect(DAY).toBe(24 * HOUR);
  });
});

describe('alert texts read as a Vietnamese office writes', () => {
  it('cites a limit by its document code only, without the notes kept for engineers', () => {
    expect(sourceDocument('QCVN 40:2011/BTNMT column B (placeholder; verify against the official text and any newer QCVN)')).toBe('QCVN 40:2011/BTNMT');
    expect(sourceDocument('QCVN 05:2023/BTNMT')).toBe('QCVN 05:2023/BTNMT');
    expect(sourceDocument('giấy phép môi trường số 12 (bản sao)')).toBe('giấy phép môi trường số 12');
    expect(sourceDocument(null)).toBeNull();
    const t = alertText({
      kind: 'limit_exceeded',
      details: { value: 180, limit: 150, unit: 'mg/L', period: '1h', source: 'QCVN 40:2011/BTNMT column B (placeholder; verify against the official text)' },
      instrument: 'WQ-1',
      channel: 'cod',
      subject: 'WQ-1',
    });
    expect(t.params.source).toBe('QCVN 40:2011/BTNMT');
    expect(englishMessage(t, 0)).not.toMatch(/verify|official/);
  });

  it('uses the chosen words and names a lab through its name ({lab|org})', () => {
    const vi = webTexts().vi;
    const all = Object.values(vi).join('\n');
    expect(all).not.toMatch(/dẫn xuất|hiệu chuẩn lại|nên hiệu chuẩn|\(span\)/);
    expect(vi['alertmsg.predicted_out_of_tolerance']).toMatch(/đề nghị kiểm định lại trước ngày \{recommendedTs\|date\}/);
    expect(vi['alertmsg.near_limit']).toMatch(/đề nghị theo dõi và bố trí kiểm định lại/);
    expect(vi['alertmsg.standard_expired']).toMatch(/không còn bảo đảm liên kết chuẩn/);
    expect(vi['alertkind.not_traceable']).toBe('Kết quả không bảo đảm liên kết chuẩn');
    expect(vi['alertmsg.overdue']).toBe('Hạn kiểm định đến hết ngày {due|date}, đã quá hạn {due|days} ngày; không được sử dụng cho đến khi kiểm định lại.');
    expect(vi['alertmsg.verification_failed']).toContain('{lab|org}');
    // Every template's parameters are ones its entry gives (plus the channel and the unit).
    for (const [kind, e] of Object.entries(ALERT_CATALOGUE)) {
      const names = new Set([...Object.keys(e.params({}, { reference: null })), 'ch', 'unit', 'instrument', 'subject', 'channel']);
      const texts = 'vi' in e.text ? [e.text] : Object.values(e.text as Record<string, { vi: string; en: string }>);
      for (const tx of texts as Array<{ vi: string; en: string }>)
        for (const m of `${tx.vi} ${tx.en}`.matchAll(/\{(\w+)(?:\|\w+)?\}/g)) expect(names, `${kind}: {${m[1]}}`).toContain(m[1]);
    }
  });
});

describe('"đạt yêu cầu": in tolerance and verified', () => {
  it('does not count an instrument never verified, nor one in another state', () => {
    expect(isConforming({ state: 'in_tolerance', lastCalibration: 1 })).toBe(true);
    expect(isConforming({ state: 'in_tolerance', lastCalibration: null })).toBe(false);
    expect(isConforming({ state: 'overdue', lastCalibration: 1 })).toBe(false);
    expect(isNeverVerified({ state: 'in_tolerance', lastCalibration: null })).toBe(true);
    expect(isNeverVerified({ state: 'unregistered', lastCalibration: null })).toBe(false);
  });
});
