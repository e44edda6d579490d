import { InputError } from '../../errors.js';

/**
 * Case-insensitive catalog lookup. Unknown names fail with the closest name (by edit distance) and the list,
 * e.g. `unknown GPU "h100"; did you mean "h100-80gb"? Known: a100-40gb, ...`.
 */
export function lookupByName<T>(catalog: ReadonlyMap<string, T>, name: string, kind: string, path?: string): T {
  const key = name.trim().toLowerCase();
  const found = catalog.get(key);
  if (found !== undefined) return found;
  const names = [...catalog.keys()];
  const closest = closestName(key, names);
  const hint = closest === undefined ? '' : ` did you mean "${closest}"?`;
  throw new InputError(`unknown ${kind} ${JSON.stringify(name)};${hint} Known: ${names.join(', ')} (or give the ${kind} inline)`, path);
}

/** The name a typo most likely meant: a prefix match first (h100 → h100-80gb), else the smallest edit distance. */
function closestName(key: string, names: readonly string[]): string | undefined {
  const extending = names.filter((n) => n.startsWith(key));
  if (extending.length > 0) return extending.reduce((a, b) => (b.length < a.length ? b : a));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const n of names) {
    const d = editDistance(key, n);
    if (d < bestDistance) {
      best = n;
      bestDistance = d;
    }
  }
  // A suggestion that needs more edits than half the name is noise.
  return bestDistance <= Math.max(2, Math.floor(key.length / 2)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}
