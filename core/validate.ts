import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema, Static } from '@sinclair/typebox';
import { preview, type ErrorCode, type Issue } from './errors.js';

// discriminator: a union tagged by `kind` reports only the matching branch's errors.
const strictAjv = new Ajv({ allErrors: true, strict: false, discriminator: true });
// Config and environment overrides arrive as strings; defaults are filled in. verbose: errors
// carry their schema, so a discriminator error can list the kinds it knows (transport kinds).
const configAjv = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: true, discriminator: true, verbose: true, strictNumbers: true });

export interface Validator<T> {
  (value: unknown): value is T;
  /** Issues of the last failed call, each naming field, rule and value. */
  issues(value: unknown, base?: string): Issue[];
}

/** Compiles one TypeBox schema into a validator whose failures read as field/rule/value issues. */
export function compile<S extends TSchema>(schema: S, opts: { code?: ErrorCode; config?: boolean } = {}): Validator<Static<S>> {
  const fn: ValidateFunction = (opts.config ? configAjv : strictAjv).compile(schema);
  const code = opts.code ?? 'E_SCHEMA';
  const validator = ((value: unknown) => fn(value)) as Validator<Static<S>>;
  validator.issues = (value, base = '') => toIssues(fn.errors ?? [], value, code, base);
  return validator;
}

/** `/readings/3/unit` → `readings[3].unit`, prefixed by `base`. */
export function fieldName(instancePath: string, base = ''): string {
  let out = base;
  for (const part of instancePath.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`;
  }
  return out;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let cur: unknown = root;
  for (const part of instancePath.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function toIssues(errors: ErrorObject[], root: unknown, code: ErrorCode, base: string): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const e of errors) {
    // anyOf/oneOf produce a summary error beside the branch errors; keep the summary only once.
    let path = e.instancePath;
    let detail = e.message ?? 'is invalid';
    if (e.keyword === 'required') path += `/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === 'additionalProperties') {
      path += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
      detail = 'is not an allowed field';
    }
    if (e.keyword === 'required') detail = 'is required';
    if (e.keyword === 'discriminator') {
      // Name the tag and the values it may take, not "value of tag must be in oneOf" and the whole object.
      const tag = (e.params as { tag: string }).tag;
      path += `/${tag}`;
      const kinds = ((e.parentSchema?.oneOf ?? []) as Array<{ properties?: Record<string, { const?: unknown }> }>)
        .map((b) => b.properties?.[tag]?.const)
        .filter((k) => k !== undefined);
      detail = kinds.length > 0 ? `must be one of ${kinds.map(String).join(', ')}` : `must name a known ${tag}`;
    }
    if (e.keyword === 'enum') detail = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`;
    const field = fieldName(path, base) || '(payload)';
    const key = `${field}|${e.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const value = e.keyword === 'required' ? undefined : preview(valueAt(root, path));
    issues.push({ code, field, rule: e.keyword, value, message: `${field} ${detail}` });
  }
  return issues;
}
