/** Types of the form bounds table (form-rules.js), for the test that compares it with the server's schemas. */
export interface FieldBounds {
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  integer?: boolean;
  schemas: string[];
}
export declare const FIELD_BOUNDS: Readonly<Record<string, FieldBounds>>;
export declare function boundsOf(name: string): Record<string, string | number | undefined>;
