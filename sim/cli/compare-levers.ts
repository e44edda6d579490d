import { InputError } from '../errors.js';

/**
 * What `compare --levers` and `compare --variant` run: named groups of `--set` overrides on the scenario, side by
 * side with the scenario as written. A lever is one of the start-up levers of `startup` (docs/startup-levers.md);
 * `a+b` runs two together; `--variant name:path=value;path=value` is any group the user names.
 */

export const LEVER_NAMES = ['baseline', 'peers', 'local-cache', 'prepull', 'compile-cache', 'sleep-wake'] as const;
export type LeverName = (typeof LEVER_NAMES)[number];

/** The overrides each lever stands for (baseline: the scenario as written). */
const LEVER_OVERRIDES: Readonly<Record<LeverName, readonly string[]>> = {
  baseline: [],
  peers: ['spec.startup.fromPeers=true'],
  'local-cache': ['spec.startup.localModelCache=true'],
  prepull: ['spec.startup.imagePull=prepulled'],
  'compile-cache': ['spec.startup.compileCache=shared'],
  'sleep-wake': ['spec.startup.wakeFromSleep=true'],
};

/** One row of a lever comparison: its name, the overrides that set it up and how the report describes it. */
export interface OverrideVariant {
  name: string;
  overrides: string[];
  description: string;
}

/**
 * "peers,prepull" or repeated flags → one variant per item; "peers+prepull" is both levers in one run. The
 * scenario as written (baseline) comes first unless named elsewhere in the list.
 */
export function parseLevers(value: unknown): OverrideVariant[] {
  const items = splitList(value, ',');
  if (items.length === 0) throw new InputError(`name at least one lever: ${LEVER_NAMES.join(', ')} (a+b runs two together)`, '--levers');
  const variants = unique(items).map((item) => {
    const levers = unique(item.split('+').map((s) => s.trim()));
    for (const lever of levers) {
      if (!(LEVER_NAMES as readonly string[]).includes(lever)) {
        throw new InputError(`"${lever}" is not a start-up lever; expected some of ${LEVER_NAMES.join(', ')} (a+b runs two together)`, '--levers');
      }
    }
    const overrides = levers.flatMap((lever) => LEVER_OVERRIDES[lever as LeverName]);
    return { name: levers.join('+'), overrides, description: overrides.length === 0 ? 'the scenario as written' : overrides.join(' ') };
  });
  return variants.some((v) => v.name === 'baseline') ? variants : [parseLevers('baseline')[0], ...variants];
}

/**
 * `name:path=value;path=value` (repeated flags, one variant each): any override group, e.g.
 * `fast-disk:spec.startup.weightSource=nodeLocal;spec.startup.imagePull=prepulled`. `name:` alone is the scenario
 * as written. The overrides are checked when the variant's runs load the scenario (a bad one is that row's error).
 */
export function parseVariants(value: unknown): OverrideVariant[] {
  const items = value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
  const names = new Set<string>();
  return items.map((item) => {
    const colon = item.indexOf(':');
    const name = colon < 0 ? '' : item.slice(0, colon).trim();
    if (name.length === 0) throw new InputError(`"${item}" has no name; expected name:path=value;path=value`, '--variant');
    if (names.has(name)) throw new InputError(`"${name}" is named twice; expected one --variant per name`, '--variant');
    names.add(name);
    const overrides = splitList(item.slice(colon + 1), ';');
    for (const o of overrides) {
      if (!o.includes('=')) throw new InputError(`"${o}" in variant "${name}" is not path=value`, '--variant');
    }
    return { name, overrides, description: overrides.length === 0 ? 'the scenario as written' : overrides.join(' ') };
  });
}

function splitList(value: unknown, separator: string): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => String(item).split(separator)).map((s) => s.trim()).filter((s) => s.length > 0);
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
