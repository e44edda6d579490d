/**
 * Field references in expressions: `requests.dropped`, `latency.rollout.ttftP95Ms`, `result[0]`. A path is
 * resolved against the caller's scope object by own properties only, so nothing inherited from Object.prototype
 * (`constructor`, `__proto__`, `toString`) is ever reachable. Indices are 0-based, as in Argo Rollouts' `result[0]`.
 */
import { ExpressionError, UnknownFieldError } from './errors.js';

export type FieldPath = readonly (string | number)[];

/** A value an expression can compute with. Lists come from vector results (`result`) or list-valued fields. */
export type FieldValue = number | boolean | string | readonly FieldValue[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The path as written: `a.b`, `a[0]`, `a["odd-key"]`. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const [i, key] of path.entries()) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (i === 0) out += key;
    else out += IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return out;
}

const MAX_LISTED_KEYS = 20;

function listKeys(obj: object): string {
  const keys = Object.keys(obj);
  if (keys.length === 0) return 'it has no fields';
  const shown = keys.slice(0, MAX_LISTED_KEYS).join(', ');
  return `it has: ${shown}${keys.length > MAX_LISTED_KEYS ? ', …' : ''}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Follows `path` through `scope`; throws UnknownFieldError naming the field and what exists instead. */
export function resolveField(scope: object, path: FieldPath, expression: string): FieldValue {
  const field = formatFieldPath(path);
  let current: unknown = scope;
  for (const [i, key] of path.entries()) {
    const where = i === 0 ? 'the scope' : `"${formatFieldPath(path.slice(0, i))}"`;
    if (typeof key === 'number') {
      if (!Array.isArray(current)) throw new UnknownFieldError(expression, field, `${where} is not a list`);
      if (key >= current.length) {
        throw new UnknownFieldError(expression, field, `${where} has ${current.length} element(s); indices start at 0`);
      }
      current = current[key];
    } else {
      if (!isRecord(current)) throw new UnknownFieldError(expression, field, `${where} has no fields`);
      if (!Object.prototype.hasOwnProperty.call(current, key) || current[key] === undefined) {
        throw new UnknownFieldError(expression, field, `${where} has no field "${key}" (${listKeys(current)})`);
      }
      current = current[key];
    }
  }
  return checkValue(current, field, expression);
}

function checkValue(value: unknown, field: string, expression: string): FieldValue {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) checkValue(item, field, expression);
    return value as FieldValue[];
  }
  if (isRecord(value)) {
    throw new ExpressionError(expression, `field "${field}" is a group of fields, name one of them (${listKeys(value)})`);
  }
  throw new ExpressionError(
    expression,
    `field "${field}" holds ${value === null ? 'null' : `a ${typeof value}`}; expressions work on numbers, text, true/false and lists of them`,
  );
}
