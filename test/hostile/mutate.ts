/**
 * Mutations of scenario documents for the loader fuzz: a path into a parsed scenario and what to do there.
 */
import fc from 'fast-check';

export type Path = ReadonlyArray<string | number>;

/** Every path to a value (objects, arrays and leaves) in a JSON-like document, the root excluded. */
export function paths(doc: unknown, prefix: Path = []): Path[] {
  if (doc === null || typeof doc !== 'object') return [];
  const out: Path[] = [];
  const entries: Array<[string | number, unknown]> = Array.isArray(doc) ? doc.map((v, i) => [i, v]) : Object.entries(doc);
  for (const [key, value] of entries) {
    const p = [...prefix, key];
    out.push(p, ...paths(value, p));
  }
  return out;
}

/** The path as the loader's messages write it: spec.cluster.nodePools[0].nodes */
export function formatPath(path: Path): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/** A copy of `doc` with the value at `path` replaced (`undefined` deletes it). */
export function setAt(doc: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(doc)) {
    const copy = [...doc];
    if (rest.length === 0 && value === undefined) copy.splice(head as number, 1);
    else copy[head as number] = setAt(copy[head as number], rest, value);
    return copy;
  }
  const copy = { ...(doc as Record<string, unknown>) };
  if (rest.length === 0 && value === undefined) delete copy[head as string];
  else copy[head as string] = setAt(copy[head as string], rest, value);
  return copy;
}

/** Values a hostile or careless file puts where something else belongs. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null, true, false, 0, -1, -0.5, 1e308, -1e308, 2 ** 53 + 1, 1e-320, '', ' ', '-5s', '-1m', '1e400s', 'NaNs',
    '25%%', '101%', '-3%', '0x10', '1_000', '∞', 'Infinity', 'NaN', 'null', '~', '💥', '\u202e\u0000', 'ｈ１００',
    '9'.repeat(400), 'x'.repeat(10_000), '${HOME}', '{{ template }}', '../../../../etc/passwd', '/dev/zero',
    '<script>alert(1)</script>', [], {}, [[[]]], { '': null }, JSON.parse('{"__proto__": {"polluted": true}}'), { constructor: 1 },
  ),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string()), { maxKeys: 3 }),
);

/** `depth` nested single-item lists or maps around `inner`. */
export function nested(depth: number, inner: unknown, asMaps: boolean): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = asMaps ? { k: v } : [v];
  return v;
}

export type Mutation =
  | { kind: 'delete'; path: Path }
  | { kind: 'replace'; path: Path; value: unknown }
  | { kind: 'nest'; path: Path; depth: number; asMaps: boolean }
  | { kind: 'addKey'; path: Path; key: string; value: unknown };

export function mutation(docPaths: readonly Path[]): fc.Arbitrary<Mutation> {
  const path = fc.constantFrom(...docPaths);
  return fc.oneof(
    path.map((p): Mutation => ({ kind: 'delete', path: p })),
    fc.tuple(path, hostileValue).map(([p, value]): Mutation => ({ kind: 'replace', path: p, value })),
    fc.tuple(path, fc.integer({ min: 1, max: 2000 }), fc.boolean()).map(([p, depth, asMaps]): Mutation => ({ kind: 'nest', path: p, depth, asMaps })),
    fc
      .tuple(path, fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype')), hostileValue)
      .map(([p, key, value]): Mutation => ({ kind: 'addKey', path: p, key, value })),
  );
}

export function apply(doc: unknown, m: Mutation): unknown {
  switch (m.kind) {
    case 'delete':
      return setAt(doc, m.path, undefined);
    case 'replace':
      return setAt(doc, m.path, m.value);
    case 'nest':
      return setAt(doc, m.path, nested(m.depth, 1, m.asMaps));
    case 'addKey': {
      let target: unknown = doc;
      for (const k of m.path) target = target !== null && typeof target === 'object' ? (target as Record<string | number, unknown>)[k] : undefined;
      if (target === null || typeof target !== 'object' || Array.isArray(target)) return setAt(doc, m.path, { [m.key]: m.value });
      return setAt(doc, m.path, Object.defineProperty({ ...(target as object) }, m.key, { value: m.value, enumerable: true }));
    }
  }
}
