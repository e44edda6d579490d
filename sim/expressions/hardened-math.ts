/**
 * The one mathjs instance expressions run in, locked down as the mathjs security guide recommends
 * (docs/expressions/security.md, examples/advanced/more_secure_eval.js): an instance of only the functions
 * expressions need (math-instance.ts) in which the functions that change the instance (`import`, `createUnit`) or
 * parse and build new expressions (`evaluate`, `parse`, `compile`, `simplify`, `derivative`, ...) throw when
 * called from inside an expression.
 * This is the second line of defence: safe-eval.ts only lets allow-listed functions reach it at all.
 * `config` and `typed` cannot be replaced without breaking mathjs itself (its lazily built functions use them);
 * the allow-list is what keeps them out of expressions.
 */
import { createRequire } from 'node:module';
import type { MathNode } from 'mathjs';
import { ownPackageFile } from '../package-files.js';
import type * as MathInstanceModule from './math-instance.js';

type MathInstance = ReturnType<typeof MathInstanceModule.createExpressionMath>;

let instance: { math: MathInstance; parseUnchecked: MathInstance['parse'] } | null = null;

/**
 * Built on first use, which `--help`, `validate` of a scenario without expressions and every other command that
 * compiles none do not pay. The instance comes from the build's single-file bundle of math-instance.ts (from the
 * TypeScript sources too, as the batch worker does): required, as compiling an expression is synchronous.
 */
function built(): { math: MathInstance; parseUnchecked: MathInstance['parse'] } {
  if (instance !== null) return instance;
  const { createExpressionMath } = createRequire(import.meta.url)(
    ownPackageFile('dist/sim/expressions/math-instance.cjs'),
  ) as typeof MathInstanceModule;
  const math = createExpressionMath({
    // Plain JS arrays in and out (scope lists, `result` vectors), and NaN rather than complex numbers for
    // sqrt(-1) / log(-1): comparisons on a complex number would throw.
    matrix: 'Array',
    predictable: true,
  });
  // Captured before `parse` is disabled below; only safe-eval's checked pipeline calls it.
  const parseUnchecked = math.parse;
  math.import(
    { ...extraFunctions, ...Object.fromEntries(DISABLED_FUNCTIONS.map((name) => [name, disabled(name)])) },
    { override: true },
  );
  instance = { math, parseUnchecked };
  return instance;
}

/** Functions replaced by throwers, by the reason they are dangerous. */
export const DISABLED_FUNCTIONS: readonly string[] = [
  // change the shared instance for every later expression
  'import',
  'createUnit',
  // parse or build expressions from strings or trees: a way around the checks made at compile time
  'evaluate',
  'parse',
  'parser',
  'compile',
  'resolve',
  'reviver',
  'simplify',
  'simplifyConstant',
  'simplifyCore',
  'derivative',
  'rationalize',
  'leafCount',
  'symbolicEqual',
  'chain',
  'help',
];

function disabled(name: string): () => never {
  return () => {
    throw new Error(`Function ${name} is disabled in expressions`);
  };
}

function asList(name: string, x: unknown): readonly unknown[] {
  if (!Array.isArray(x)) throw new TypeError(`${name}() expects a list, got ${typeof x}`);
  return x;
}

function asBooleans(name: string, x: unknown): readonly boolean[] {
  const list = asList(name, x);
  for (const v of list) {
    if (typeof v !== 'boolean') throw new TypeError(`${name}() expects a list of true/false values, got ${String(v)}`);
  }
  return list as readonly boolean[];
}

/** Functions expressions get on top of mathjs: list length and list-wide truth (`all(result < 0.05)`). */
const extraFunctions = {
  len: (x: unknown) => asList('len', x).length,
  all: (x: unknown) => asBooleans('all', x).every((v) => v),
  any: (x: unknown) => asBooleans('any', x).some((v) => v),
};

export const EXTRA_FUNCTIONS: readonly string[] = Object.keys(extraFunctions);

/** The locked-down instance (built on the first call). */
export function hardenedMath(): MathInstance {
  return built().math;
}

/** Parses without any check: callers must validate the tree before compiling it. */
export function parseTree(text: string): MathNode {
  return built().parseUnchecked(text);
}
