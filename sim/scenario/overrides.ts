import { parse as parseYaml } from 'yaml';
import { InputError } from '../errors.js';

/** Splits `spec.cluster.nodePools[0].nodes` or `spec.cluster.nodePools.0.nodes` into keys. */
export function parseOverridePath(path: string): (string | number)[] {
  if (!/^[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\])*$/.test(path)) {
    throw new InputError(`"${path}" is not a field path; write e.g. spec.deployment.replicas=8`, '--set');
  }
  const keys: (string | number)[] = [];
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    keys.push(/^\d+$/.test(part) ? Number(part) : part);
  }
  return keys;
}

/**
 * Applies `path=value` overrides to the raw (unvalidated) document, so the schema validates the result exactly
 * as if the user had written it in the file. The value is read as YAML: `8` is a number, `25%` a string,
 * `[a, b]` a list.
 */
export function applyOverrides(doc: unknown, overrides: readonly string[]): unknown {
  const root = (doc && typeof doc === 'object' ? structuredClone(doc) : {}) as Record<string, unknown>;
  for (const override of overrides) {
    const eq = override.indexOf('=');
    if (eq <= 0) throw new InputError(`"${override}" must be path=value, e.g. spec.deployment.replicas=8`, '--set');
    const keys = parseOverridePath(override.slice(0, eq).trim());
    let value: unknown;
    try {
      value = parseYaml(override.slice(eq + 1));
    } catch {
      value = override.slice(eq + 1);
    }
    let cur: Record<string | number, unknown> = root;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      checkStep(cur, key, keys, i);
      if (i === keys.length - 1) break;
      const next = cur[key];
      if (next === null || typeof next !== 'object') {
        cur[key] = typeof keys[i + 1] === 'number' ? [] : {};
      }
      cur = cur[key] as Record<string | number, unknown>;
    }
    cur[keys[keys.length - 1]] = value;
  }
  return root;
}

/** Keys that would reach an object's prototype instead of a field. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * One step of an override path must fit what is there: a name into a mapping, an index into a list, and an
 * index at most one past the list's end (appending), so a typo cannot build a list of a billion holes.
 */
function checkStep(container: object, key: string | number, keys: readonly (string | number)[], i: number): void {
  const upTo = formatKeys(keys.slice(0, i));
  if (typeof key === 'string' && FORBIDDEN_KEYS.has(key)) {
    throw new InputError(`"${key}" is not a field of a scenario`, '--set');
  }
  if (Array.isArray(container)) {
    if (typeof key !== 'number') {
      throw new InputError(
        `${upTo} is a list; name an item by its index, e.g. ${formatKeys([...keys.slice(0, i), 0, ...keys.slice(i)])}`,
        '--set',
      );
    }
    if (key > container.length) {
      throw new InputError(
        `${formatKeys(keys.slice(0, i + 1))} is past the end of ${upTo}, which has ${container.length} item(s); use an index up to ${container.length}`,
        '--set',
      );
    }
  }
}

function formatKeys(keys: readonly (string | number)[]): string {
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}
