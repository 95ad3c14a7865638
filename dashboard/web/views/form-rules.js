// The bounds of the numbers the forms post, as the server's schemas state them (dashboard/schemas.ts):
// the form refuses out of bounds what the server would refuse, in the page's language, before sending.
// test/dashboard/validation-text.test.ts compares this table with the schemas, so the two cannot drift.

/**
 * Form field → its bounds (minimum, exclusiveMinimum, maximum, integer) and where it is posted:
 * `schemas` names the schema properties it becomes ("CalibrationPost.results.U": the U of an item
 * of `results`). A field posted unbounded is listed too, with no bounds, so a bound added to the
 * schema fails the test until the form has it.
 */
export const FIELD_BOUNDS = {
  nominal: { schemas: ['CalibrationPost.results.nominal'] },
  asFound: { schemas: ['CalibrationPost.results.asFound'] },
  asLeft: { schemas: ['CalibrationPost.results.asLeft'] },
  U: { minimum: 0, schemas: ['CalibrationPost.results.U'] },
  coverageK: { exclusiveMinimum: 0, maximum: 10, schemas: ['CalibrationPost.coverageK'] },
  intervalDays: { integer: true, minimum: 1, maximum: 3650, schemas: ['CalibrationPost.intervalDays', 'InstrumentIn.intervalDays'] },
  referenceValue: { schemas: ['ChecksPost.checks.referenceValue'] },
  indicated: { schemas: ['ChecksPost.checks.indicated'] },
};

/** The bounds of a form field named `name` or `name-n` (a numbered test point), as data-* attributes of its input. */
export function boundsOf(name) {
  const b = FIELD_BOUNDS[name.replace(/-\d+$/, '')] ?? {};
  return {
    'data-min': b.minimum,
    'data-above': b.exclusiveMinimum,
    'data-max': b.maximum,
    ...(b.integer ? { 'data-num': 'integer' } : {}),
  };
}
