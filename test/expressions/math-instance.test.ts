import { createRequire } from 'node:module';
import type * as MathJs from 'mathjs';
import { describe, expect, it } from 'vitest';
import { EXTRA_FUNCTIONS, hardenedMath, parseTree } from '../../sim/expressions/hardened-math.js';
import { ALLOWED_FUNCTIONS, ALLOWED_OPERATORS } from '../../sim/expressions/safe-eval.js';

// Expressions run in an instance made of only the mathjs factories they need (math-instance.ts, bundled by the
// build); it must answer exactly as the full mathjs instance configured the same way.
const { create } = createRequire(import.meta.url)('mathjs/lib/browser/math.js') as { create: (config: MathJs.ConfigOptions) => MathJs.MathJsInstance };
const full = create({ matrix: 'Array', predictable: true });

const scope = { list: [3, 1, 4, 1, 5], x: 2, grid: [[1, 5], [7, 2]], text: 'completed' };

/** The value, or the error message, of `text` parsed and evaluated without safe-eval's checks. */
function outcome(evaluate: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: evaluate() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const reachable = [...ALLOWED_FUNCTIONS].filter((name) => !EXTRA_FUNCTIONS.includes(name));

describe('the mathjs instance of expressions', () => {
  it('has every allowed function and operator, and equalText', () => {
    const math = hardenedMath() as unknown as Record<string, unknown>;
    for (const name of [...reachable, ...ALLOWED_OPERATORS, 'equalText']) expect(typeof math[name], name).toBe('function');
  });

  it('has the expression transforms of the full instance for them (lazy and/or, max(list, dim) from 1)', () => {
    const ours = hardenedMath().expression.transform;
    for (const name of [...reachable, ...ALLOWED_OPERATORS]) expect(name in ours, name).toBe(name in full.expression.transform);
  });

  it('leaves out what expressions cannot use (units, symbolic algebra)', () => {
    const math = hardenedMath() as unknown as Record<string, unknown>;
    for (const name of ['Unit', 'unit', 'sin', 'pi', 'format']) expect(name in math, name).toBe(false);
  });

  it.each([
    'abs(-2.5)', 'ceil(1.2)', 'floor(-1.2)', 'round(2.345, 2)', 'sign(-3)', 'sqrt(16)', 'sqrt(-1)', 'exp(1)',
    'log(100, 10)', 'log(-1)', 'log10(1000)', 'log2(8)', 'pow(2, 10)', '2 ^ 0.5', 'mod(-7, 3)', '-7 % 3',
    'min(list)', 'min(3, 1, 2)', 'max(list)', 'max(grid, 1)', 'max(grid, 2)', 'sum(list)', 'prod(list)', 'mean(list)',
    'median(list)', 'std(list)', 'variance(list)', 'quantileSeq(list, 0.9)', 'quantileSeq(list, [0.1, 0.5])',
    'isNaN(0 / 0)', 'true and false', 'false and nope', 'true or nope', 'not x', 'true xor true',
    '1 + 2 * 3 - 4 / 8', '-x', '+x', 'x == 2', 'x != 2', 'x < 3', 'x <= 2', 'x > 1', 'x >= 3', '1 < x < 3',
    'list < 2', 'x > 1 ? 10 : 20', 'equalText(text, "completed")', '[1, 2] + 1',
    // errors: the same messages
    'max([])', 'mean()', 'add(1)', 'quantileSeq(list, 2)', 'text + 1', 'sqrt(list)', 'nope + 1', 'max(grid, 3)',
  ])('%s answers as in the full instance', (text) => {
    const ours = outcome(() => parseTree(text).compile().evaluate({ ...scope }));
    expect(ours).toEqual(outcome(() => full.parse(text).compile().evaluate({ ...scope })));
  });
});
