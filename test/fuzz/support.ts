import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';
import { ERRORS, READING_STATUSES, UNITS, isTopicId, type Issue } from '../../core/index.js';

/**
 * Shared pieces of the fuzz suite (property-based tests with fast-check): run counts, the count
 * of inputs tried per surface, and arbitraries of the wire's building blocks.
 *
 * Run counts: each property names a default small enough for the whole folder to pass in well
 * under a minute on a loaded CI machine; `FUZZ_RUNS=N` multiplies every default by N / 100
 * (so `FUZZ_RUNS=1000` runs ten times as many inputs). `FUZZ_SEED` replays a run; a failure
 * prints its seed and path. `FUZZ_REPORT=file` appends one JSON line per surface with the inputs
 * tried.
 */
const SCALE = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) / 100 : 1;

export function runs(byDefault: number): number {
  return Math.max(1, Math.round(byDefault * SCALE));
}

/** fast-check parameters; `examples` are failing cases found earlier, kept as regression inputs (run first, every time). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- examples are the property's argument tuples, of any shape
export function fuzzParams(numRuns: number, examples: unknown[][] = []): fc.Parameters<any> {
  return { numRuns: runs(numRuns), examples, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) };
}

/** A test timeout that grows with FUZZ_RUNS (never below the suite's 30 s). */
export function timeout(byDefaultMs: number): number {
  return Math.max(30_000, Math.round(byDefaultMs * Math.max(1, SCALE)));
}

const tried = new Map<string, number>();

/** Counts inputs tried on a surface (reported after the file, and to FUZZ_REPORT). */
export function count(surface: string, n = 1): void {
  tried.set(surface, (tried.get(surface) ?? 0) + n);
}

export function report(): void {
  const rows = [...tried].map(([surface, inputs]) => ({ surface, inputs }));
  if (rows.length === 0) return;
  console.log(rows.map((r) => `fuzz ${r.surface}: ${r.inputs} inputs`).join('\n'));
  if (process.env.FUZZ_REPORT) appendFileSync(process.env.FUZZ_REPORT, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** An issue a person can act on: a catalogue code, a message, and the field it is about. */
export function expectReason(issue: Issue | { code: string; message: string; field?: string | null }): void {
  expect(Object.keys(ERRORS)).toContain(issue.code);
  expect(typeof issue.message).toBe('string');
  expect(issue.message.length).toBeGreaterThan(0);
  expect(typeof issue.field).toBe('string');
  expect((issue.field ?? '').length).toBeGreaterThan(0);
}

// ── arbitraries ──────────────────────────────────────────────────────────────

const ID_FIRST = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
const ID_REST = [...ID_FIRST, '.', '_', '-'];

/** An id of the id grammar (core/ids.ts): ID_PATTERN and no reserved topic word, which the registry refuses to create. */
export const validId = fc
  .tuple(fc.constantFrom(...ID_FIRST), fc.array(fc.constantFrom(...ID_REST), { maxLength: 20 }))
  .map(([a, rest]) => a + rest.join(''))
  .filter(isTopicId);

/** A string that is not a valid id (empty, bad first character, a slash, a space, too long, non-ASCII). */
export const invalidId = fc.oneof(
  fc.constant(''),
  validId.map((s) => `-${s}`),
  validId.map((s) => `${s}/x`),
  validId.map((s) => `${s} x`),
  fc.constant('S'.repeat(65)),
  validId.map((s) => `${s}é`),
);

export const unit = fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[]));
export const status = fc.constantFrom(...READING_STATUSES);

/** A reading valid against the contract at `now` (ts not ahead of the clock). */
export const validReading = (now: number) =>
  fc.record({
    instrument: validId,
    channel: validId,
    ts: fc.integer({ min: 0, max: now }),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    unit,
    status,
  });

/** Any JSON value, nested a little: what a broken or hostile client may send. */
export const anyJson = fc.jsonValue({ maxDepth: 3 });
