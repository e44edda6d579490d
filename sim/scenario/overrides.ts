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
    for (let i = 0; i < keys.length - 1; i++) {
      const key = keys[i];
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
