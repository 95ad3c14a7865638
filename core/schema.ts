import { Type, type TSchema } from '@sinclair/typebox';

/**
 * Small TypeBox helpers shared by every schema in core/ and by the dashboard's route schemas, so
 * that "may be null" is written one way (issue "One rule in one place").
 */

/** A value or null: `{ anyOf: [T, { type: 'null' }] }`. */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** A field that may be left out or set to null (a PATCH that clears it). */
export const Opt = <T extends TSchema>(t: T) => Type.Optional(Nullable(t));
