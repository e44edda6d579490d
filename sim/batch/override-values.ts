import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseOverridePath } from '../scenario/overrides.js';

/**
 * Overrides as a map from scenario path to the text after `=` in `--set path=value`: the form plans print and
 * sweeps expand, so any of them can be re-run with `rollout-sim run --set`.
 */
export type Overrides = Record<string, string>;

/**
 * The `--set` text of a value, read back (as YAML) to the same value: plain where that is unambiguous
 * (`25%`, `8`, `true`), else quoted; lists and mappings in YAML flow style (`[{setWeight: 25}]`).
 */
export function overrideText(value: unknown): string {
  if (typeof value === 'string') return sameValue(parseYamlSafe(value), value) ? value : JSON.stringify(value);
  if (value !== null && typeof value === 'object') {
    return stringifyYaml(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();
  }
  return String(value);
}

/** `["path=value", ...]` in the map's order, ready for RunSpec.overrides or the command line. */
export function toSetList(overrides: Overrides): string[] {
  return Object.entries(overrides).map(([path, value]) => `${path}=${value}`);
}

/** Checks every path: InputError naming the first that is not one. */
export function checkOverridePaths(paths: Iterable<string>): void {
  for (const path of paths) parseOverridePath(path);
}

function parseYamlSafe(text: string): unknown {
  try {
    return parseYaml(text, { logLevel: 'silent' });
  } catch {
    return Symbol('unparsable');
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return typeof a === typeof b && JSON.stringify(a) === JSON.stringify(b);
}
