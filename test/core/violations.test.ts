import { describe, expect, it } from 'vitest';
import {
  ND119,
  ND99,
  TT09_2017,
  TT15_2015,
  TT21_2014,
  VIOLATION_EVIDENCE_LEVELS,
  VIOLATION_SUBJECTS,
  VIOLATIONS,
  VIOLATIONS_BY_SUBJECT,
  violation,
  violationsFor,
} from '../../core/legal/violations.js';

/**
 * The catalogue of measurement violations recorded at an inspection: its shape, its lookups, and
 * the article references that were read, so that an edit breaking a transcription fails here.
 */

const rank = (e: string) => VIOLATION_EVIDENCE_LEVELS.indexOf(e as (typeof VIOLATION_EVIDENCE_LEVELS)[number]);

describe('catalogue shape', () => {
  it('has between 15 and 30 entries with unique, stable-looking codes', () => {
    expect(VIOLATIONS.length).toBeGreaterThanOrEqual(15);
    expect(VIOLATIONS.length).toBeLessThanOrEqual(30);
    const codes = VIOLATIONS.map((v) => v.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^[a-z]+(_[a-z0-9]+)*\.[a-z0-9]+(_[a-z0-9]+)*$/);
  });

  it('every entry has both titles and at least one subject', () => {
    for (const v of VIOLATIONS) {
      expect(v.titleVi.length, v.code).toBeGreaterThan(5);
      expect(v.titleEn.length, v.code).toBeGreaterThan(5);
      expect(v.subjects.length, v.code).toBeGreaterThan(0);
      for (const s of v.subjects) expect(VIOLATION_SUBJECTS).toContain(s);
    }
  });

  it('every entry cites an article, and every reference not marked "not found" has one', () => {
    for (const v of VIOLATIONS) {
      expect(v.rule.article ?? v.sanction.article, v.code).toBeTruthy();
      for (const ref of [v.rule, v.sanction, ...(v.alsoRules ?? [])]) {
        expect(VIOLATION_EVIDENCE_LEVELS, v.code).toContain(ref.evidence);
        if (ref.evidence !== 'not found') expect(ref.article, v.code).toMatch(/^\d+$/);
      }
      expect(v.sanction.decree, v.code).toMatch(/^Decree \d+\/20\d\d\/NĐ-CP/);
    }
  });

  it('the entry evidence is the weaker of rule and sanction, and an entry with any reference read has a URL', () => {
    for (const v of VIOLATIONS) {
      expect(rank(v.evidence), v.code).toBe(Math.max(rank(v.rule.evidence), rank(v.sanction.evidence)));
      if (v.rule.evidence === 'read' || v.sanction.evidence === 'transcription') expect(v.url, v.code).toMatch(/^https:\/\//);
    }
  });

  it('fines are whole đồng with min ≤ max, and say their party was not read', () => {
    for (const v of VIOLATIONS) {
      const f = v.sanction.fineVnd;
      if (!f) continue;
      expect(Number.isInteger(f.min) && Number.isInteger(f.max), v.code).toBe(true);
      expect(f.min, v.code).toBeLessThanOrEqual(f.max);
      expect(f.party, v.code).toBe('unread');
      expect(v.sanction.evidence, v.code).not.toBe('not found');
    }
  });
});

describe('lookups', () => {
  it('violation(code) finds an entry and returns undefined for an unknown code', () => {
    expect(violation('instrument.unverified')?.titleEn).toMatch(/without verification/);
    expect(violation('no.such_code')).toBeUndefined();
  });

  it('every subject has entries, and the by-subject lists agree with violationsFor', () => {
    for (const s of VIOLATION_SUBJECTS) {
      expect(violationsFor(s).length, s).toBeGreaterThanOrEqual(4);
      expect(VIOLATIONS_BY_SUBJECT[s].map((v) => v.code)).toEqual(violationsFor(s).map((v) => v.code));
      for (const v of violationsFor(s)) expect(v.subjects).toContain(s);
    }
  });

  it('the entries an inspector needs per subject are there', () => {
    const codes = (s: (typeof VIOLATION_SUBJECTS)[number]) => violationsFor(s).map((v) => v.code);
    expect(codes('fuel_retail')).toEqual(
      expect.arrayContaining([
        'instrument.unverified',
        'instrument.verification_expired',
        'instrument.seal_broken',
        'fuel.delivery_error_beyond_limit',
        'fuel.no_test_measures',
      ]),
    );
    expect(codes('prepackaged')).toEqual(
      expect.arrayContaining([
        'prepackaged.average_below_nominal',
        'prepackaged.individual_shortfall',
        'prepackaged.quantity_label',
        'prepackaged.quantity_mark_missing',
      ]),
    );
    expect(codes('market_scales')).toEqual(expect.arrayContaining(['instrument.unverified', 'market.no_reference_weights', 'market.short_weight']));
  });
});

describe('references as read', () => {
  it('using an unverified Group 2 instrument: Law 04/2011 Art. 21(2); fine in Decree 119/2017 Art. 10 (transcription, point not read)', () => {
    const v = violation('instrument.unverified');
    expect(v?.rule).toMatchObject({ document: 'Law on Metrology 04/2011/QH13', article: '21', clause: '2', evidence: 'read' });
    expect(v?.sanction).toMatchObject({ decree: ND119, article: '10', point: null, evidence: 'transcription' });
    expect(v?.sanction.fineVnd).toBeUndefined();
    expect(v?.alsoRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ document: TT15_2015, article: '6', clause: '1', point: 'đ' }),
        expect.objectContaining({ document: TT09_2017, article: '4', clause: '2' }),
      ]),
    );
  });

  it('fuel delivered short: Circular 15/2015 Art. 6(3); Decree 119/2017 Art. 14, first tier 5–10 million đ', () => {
    const v = violation('fuel.delivery_error_beyond_limit');
    expect(v?.rule).toMatchObject({ document: TT15_2015, article: '6', clause: '3', evidence: 'read' });
    expect(v?.sanction).toMatchObject({ decree: ND119, article: '14', fineVnd: { min: 5_000_000, max: 10_000_000 } });
  });

  it('test measures at the station: Circular 15/2015 Art. 6(4); seals: Art. 6(1)(b)', () => {
    expect(violation('fuel.no_test_measures')?.rule).toMatchObject({ document: TT15_2015, article: '6', clause: '4' });
    expect(violation('instrument.seal_broken')?.rule).toMatchObject({ document: TT15_2015, article: '6', clause: '1', point: 'b' });
  });

  it('obstructing supervision of a measurement: Decree 119/2017 Art. 14, 4–10 million đ', () => {
    expect(violation('measurement.obstructing_supervision')?.sanction).toMatchObject({
      article: '14',
      fineVnd: { min: 4_000_000, max: 10_000_000 },
      evidence: 'transcription',
    });
  });

  it('posted fuel price: Decree 99/2020 Art. 21(1), 5–10 million đ, read', () => {
    expect(violation('fuel.posted_price_mismatch')?.sanction).toMatchObject({
      decree: ND99,
      article: '21',
      clause: '1',
      fineVnd: { min: 5_000_000, max: 10_000_000 },
      evidence: 'read',
    });
  });

  it('prepackaged: average Art. 5(1)(a), label Art. 4(1), quantity mark Art. 8(2) of Circular 21/2014; T1/T2 clause not read', () => {
    expect(violation('prepackaged.average_below_nominal')?.rule).toMatchObject({ document: TT21_2014, article: '5', clause: '1', point: 'a' });
    expect(violation('prepackaged.quantity_label')?.rule).toMatchObject({ document: TT21_2014, article: '4', clause: '1' });
    expect(violation('prepackaged.quantity_mark_missing')?.alsoRules).toEqual([expect.objectContaining({ document: TT21_2014, article: '8', clause: '2' })]);
    expect(violation('prepackaged.individual_shortfall')?.rule).toMatchObject({ article: '5', clause: null, evidence: 'not found' });
  });

  it('markets: reference weights Circular 09/2017 Art. 11(1); short weight Art. 5', () => {
    expect(violation('market.no_reference_weights')?.rule).toMatchObject({ document: TT09_2017, article: '11', clause: '1' });
    expect(violation('market.short_weight')?.rule).toMatchObject({ document: TT09_2017, article: '5' });
  });

  it('no sanction reference marked "not found" claims an article', () => {
    for (const v of VIOLATIONS) if (v.sanction.evidence === 'not found') expect(v.sanction.article, v.code).toBeNull();
  });
});
