import { afterEach, describe, expect, it } from 'vitest';
import { ALERT_KINDS } from '../../core/index.js';
import { Engine } from '../../analytics/engine.js';
import { ALERT_CATALOGUE, alertText, englishMessage, templateOf, webTexts, WORDS } from '../../analytics/alert-catalogue.js';
import { DAY, T0, seededRegistry } from './support.js';

let env: ReturnType<typeof seededRegistry> | undefined;
afterEach(() => env?.cleanup());

/** A steady drift towards the limit on SC-2 (as in api.test.ts): the 95 % bound crosses the MPE before the due date. */
const drift = Array.from({ length: 12 }, (_, i) => {
  const d = 10 * (i + 1);
  return { instrument: 'SC-2', channel: 'gross', ts: T0 + d * DAY, reference: 'REF-20', indicated: 20.0001 + 0.0001 * d + (d % 20 === 0 ? 0.0004 : -0.0004) };
});

/** The index of the check on which each engine raised predicted_out_of_tolerance. */
function predictedAt(engineFor: (i: number) => Engine): number[] {
  env = seededRegistry();
  const calibrate = engineFor(-1);
  calibrate.recordCalibration('SC-2', {
    type: 'verification',
    date: T0,
    certificate: 'KĐ-1',
    results: [{ channel: 'gross', unit: 'kg', nominal: 20, reference: 20.0001, asFound: 0.004, asLeft: 0, U: 0.0024 }],
    references: ['REF-20'],
    authorisedBy: 'X',
  });
  const raised: number[] = [];
  drift.forEach((c, i) => {
    const r = engineFor(i).submitChecks({ checks: [c], source: 'api', by: 'tester' });
    if (r.alerts.some((a) => a.alert.kind === 'predicted_out_of_tolerance' && a.event === 'opened')) raised.push(i);
  });
  env.cleanup();
  env = undefined;
  return raised;
}

describe('channel states', () => {
  it('a restart or a second process counts "two checks in a row" as one process does', () => {
    let one: Engine | undefined;
    const continuous = predictedAt(() => (one ??= new Engine({ registry: env!.registry, now: () => T0 + 200 * DAY })));
    expect(continuous).toHaveLength(1);
    // A new engine for every check: its channel state and streak come from the registry alone.
    const restarted = predictedAt(() => new Engine({ registry: env!.registry, now: () => T0 + 200 * DAY }));
    expect(restarted).toEqual(continuous);
    // Two engines sharing the registry, taking checks in turn.
    const pair: Engine[] = [];
    const shared = predictedAt((i) => (pair[Math.abs(i) % 2] ??= new Engine({ registry: env!.registry, now: () => T0 + 200 * DAY, sharedRegistry: true })));
    expect(shared).toEqual(continuous);
  });

  it('a calibration forgets the streak with the state', () => {
    env = seededRegistry();
    const e = new Engine({ registry: env.registry, now: () => T0 + 400 * DAY });
    e.recordCalibration('SC-2', { type: 'verification', date: T0, certificate: 'KĐ-2', results: [], references: [], authorisedBy: 'X' });
    e.submitChecks({ checks: drift.slice(0, 6), source: 'api' });
    expect(e.channelsInMemory).toBe(1);
    e.recordCalibration('SC-2', { type: 'calibration', date: T0 + 65 * DAY, certificate: 'HC-2', results: [], references: [], authorisedBy: 'X' });
    expect(e.channelsInMemory).toBe(0);
  });
});

describe('alert catalogue', () => {
  const placeholders = (t: string) => [...t.matchAll(/\{(\w+)(?:\|(\w+))?\}/g)].map((m) => `${m[1]}|${m[2] ?? 'text'}`).sort();
  const FORMATS = new Set(['text', 'qty', 'num', 'int', 'date', 'datetime', 'days', 'word', 'org', 'reason']);

  it('has every alert kind, in Vietnamese and English, with the same parameters in both', () => {
    expect(Object.keys(ALERT_CATALOGUE).sort()).toEqual([...ALERT_KINDS].sort());
    const texts = webTexts();
    for (const kind of ALERT_KINDS) {
      expect(texts.vi[`alertkind.${kind}`]).toBeTruthy();
      expect(texts.en[`alertkind.${kind}`]).toBeTruthy();
      const codes = Object.keys(texts.en).filter((k) => k === `alertmsg.${kind}` || k.startsWith(`alertmsg.${kind}.`));
      expect(codes.length).toBeGreaterThan(0);
      const params = Object.keys(ALERT_CATALOGUE[kind].params({}, { reference: null }));
      for (const code of codes) {
        const vi = texts.vi[code]!;
        const en = texts.en[code]!;
        expect(placeholders(vi), code).toEqual(placeholders(en));
        for (const p of placeholders(en)) {
          const [name, format] = p.split('|') as [string, string];
          expect(FORMATS.has(format), `${code}: format ${format}`).toBe(true);
          expect(name === 'ch' || params.includes(name), `${code}: {${name}} is not a parameter of ${kind}`).toBe(true);
        }
      }
    }
  });

  it('renders code, params and the English message from the details analytics stores', () => {
    const a = {
      kind: 'out_of_tolerance' as const,
      subject: 'SC-1',
      instrument: 'SC-1',
      channel: 'gross',
      reference: null,
      details: { error: 0.0312345, mpe: 0.02, ts: Date.UTC(2026, 4, 1, 8, 30), rule: 'guarded' },
    };
    const text = alertText(a, 'kg');
    expect(text).toEqual({
      code: 'alert.out_of_tolerance',
      params: { unit: 'kg', instrument: 'SC-1', channel: 'gross', subject: 'SC-1', error: 0.0312345, mpe: 0.02, ts: a.details.ts, rule: 'guarded' },
    });
    expect(englishMessage(text, 0)).toBe(
      'SC-1 gross: error 0.03123 kg outside the maximum permissible error (MPE) ±0.02 kg, guarded acceptance; check at 2026-05-01 08:30 UTC.',
    );
    const down = alertText({
      kind: 'shift_detected',
      subject: 'SC-1',
      instrument: 'SC-1',
      channel: 'gross',
      details: { recentSignal: { ts: 5, direction: 'down' } },
    });
    expect(down.code).toBe('alert.shift_detected.down');
    expect(templateOf(down.code, 'vi')).toMatch(/chiều âm/);
    const overdue = alertText({ kind: 'overdue', subject: 'SC-1', instrument: 'SC-1', channel: null, details: { due: Date.UTC(2026, 0, 1) } });
    expect(englishMessage(overdue, Date.UTC(2026, 0, 11))).toBe(
      'SC-1: Verification valid until the end of 2026-01-01, overdue by 10 days; not to be used until verified again.',
    );
    expect(WORDS['rule.guarded']!.vi).toBeTruthy();
  });
});
