import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { ExpressionError, UnknownFieldError } from '../../sim/expressions/errors.js';
import { hardenedMath, parseTree } from '../../sim/expressions/hardened-math.js';
import { compileExpression, MAX_EXPRESSION_LENGTH } from '../../sim/expressions/safe-eval.js';

const scope = {
  requests: { dropped: 0, completed: 980, timedOut: 3 },
  latency: { rollout: { ttftP95Ms: 1450, tpotP50Ms: 38 } },
  result: [0.02, 0.07],
  gpus: { peak: 8 },
  'odd-key': 5,
};

function refusal(text: string): ExpressionError {
  try {
    compileExpression(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ExpressionError);
    expect(err).toBeInstanceOf(InputError);
    return err as ExpressionError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('compileExpression: evaluation', () => {
  it('reads nested fields with dotted access and lists the symbols it uses', () => {
    const e = compileExpression('requests.dropped == 0 and latency.rollout.ttftP95Ms < 2000');
    expect(e.symbols).toEqual(['requests.dropped', 'latency.rollout.ttftP95Ms']);
    expect(e.evaluateBoolean(scope)).toBe(true);
    expect(e.evaluateBoolean({ ...scope, requests: { dropped: 2 } })).toBe(false);
  });

  it('indexes lists from 0, as Argo result[0] does', () => {
    const e = compileExpression('result[0] < 0.05 and result[1] > 0.05');
    expect(e.symbols).toEqual(['result[0]', 'result[1]']);
    expect(e.evaluateBoolean(scope)).toBe(true);
    expect(compileExpression('result').evaluate({ result: 3 })).toBe(3);
    expect(compileExpression('result').symbols).toEqual(['result']);
  });

  it('supports arithmetic, comparisons, logic, conditionals and the listed functions', () => {
    const cases: [string, unknown][] = [
      ['requests.timedOut / (requests.completed + requests.timedOut) * 100', (3 / 983) * 100],
      ['max(result) - min(result)', 0.07 - 0.02],
      ['abs(-gpus.peak) >= 8', true],
      ['len(result) == 2', true],
      ['all(result < 0.1)', true],
      ['any(result > 0.05)', true],
      ['not (gpus.peak > 8) or false', true],
      ['gpus.peak > 8 ? 1 : 2', 2],
      ['1 < gpus.peak < 10', true],
      ['mean([1, 2, gpus.peak])', 11 / 3],
      ['round(latency.rollout.tpotP50Ms / 7, 2)', 5.43],
      ['2 ^ 10 % 1000', 24],
    ];
    for (const [text, value] of cases) {
      const got = compileExpression(text).evaluate(scope);
      if (typeof value === 'number') expect(got as number, text).toBeCloseTo(value, 12);
      else expect(got, text).toBe(value);
    }
  });

  it('reuses one slot for a field named twice, and reads odd keys with brackets', () => {
    expect(compileExpression('gpus.peak + gpus.peak').symbols).toEqual(['gpus.peak']);
    const odd = compileExpression('this["odd-key"] * 2');
    expect(odd.symbols).toEqual(['this["odd-key"]']);
    expect(odd.evaluate({ this: scope })).toBe(10);
  });

  it('runs in the configured instance: plain lists, NaN (not a complex number) for sqrt(-1) and log(-1)', () => {
    expect(compileExpression('[1, 2] < 2').evaluate({})).toEqual([true, false]);
    expect(compileExpression('sqrt(-1)').evaluate({})).toBeNaN();
    expect(compileExpression('log(-1)').evaluate({})).toBeNaN();
    expect(() => compileExpression('sqrt(-1) > 0').evaluateBoolean({})).not.toThrow();
  });

  it('insists on true/false for conditions, with a hint for list comparisons', () => {
    expect(() => compileExpression('gpus.peak + 1').evaluateBoolean(scope)).toThrow(/expected true or false, got 9/);
    expect(() => compileExpression('result > 0.05').evaluateBoolean(scope)).toThrow(/all\(\.\.\.\) or any/);
  });
});

describe('compileExpression: unknown fields are errors, never a silent pass', () => {
  it('names a misspelled field and what exists instead', () => {
    const e = compileExpression('latency.rollout.ttftP95Mx < 2000');
    let caught: unknown;
    try {
      e.evaluate(scope);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnknownFieldError);
    expect(caught).toBeInstanceOf(InputError);
    const err = caught as UnknownFieldError;
    expect(err.field).toBe('latency.rollout.ttftP95Mx');
    expect(err.message).toMatch(/"latency\.rollout" has no field "ttftP95Mx" \(it has: ttftP95Ms, tpotP50Ms\)/);
  });

  it('refuses a missing root, an index past the end, indexing a non-list and reading into a number', () => {
    expect(() => compileExpression('nope > 1').evaluate(scope)).toThrow(UnknownFieldError);
    expect(() => compileExpression('result[2]').evaluate(scope)).toThrow(/"result" has 2 element\(s\)/);
    expect(() => compileExpression('gpus[0]').evaluate(scope)).toThrow(/"gpus" is not a list/);
    expect(() => compileExpression('gpus.peak.max').evaluate(scope)).toThrow(/"gpus\.peak" has no fields/);
  });

  it('does not reach inherited properties through the scope', () => {
    expect(() => compileExpression('requests.toString').evaluate(scope)).toThrow(UnknownFieldError);
    expect(() => compileExpression('requests.hasOwnProperty').evaluate(scope)).toThrow(UnknownFieldError);
  });

  it('refuses a group of fields or a non-numeric value as an operand', () => {
    expect(() => compileExpression('latency.rollout > 1').evaluate(scope)).toThrow(/group of fields/);
    expect(() => compileExpression('x > 1').evaluate({ x: 'abc' })).toThrow(/cannot evaluate: Cannot convert "abc"/);
    expect(() => compileExpression('x > 1').evaluate({ x: null })).toThrow(/holds null/);
  });
});

describe('compileExpression: text fields compare as text', () => {
  const summary = { rollout: { outcome: 'completed' }, requests: { dropped: 0 } };
  it('compares a text field with == and != (not as numbers)', () => {
    expect(compileExpression("rollout.outcome == 'completed'").evaluateBoolean(summary)).toBe(true);
    expect(compileExpression("rollout.outcome == 'stalled'").evaluateBoolean(summary)).toBe(false);
    expect(compileExpression("rollout.outcome != 'completed'").evaluateBoolean(summary)).toBe(false);
    expect(compileExpression("rollout.outcome == 'stalled' or requests.dropped == 0").evaluateBoolean(summary)).toBe(true);
  });
  it('refuses arithmetic on text at evaluation', () => {
    expect(() => compileExpression('rollout.outcome + 1').evaluate(summary)).toThrow(ExpressionError);
  });
});

describe('compileExpression: hostile input is refused with a clear error', () => {
  it.each([
    ['import({evaluate: 1}, {override: true})', /"import" is disabled/],
    ["createUnit('x')", /"createUnit" is disabled/],
    ['evaluate("1")', /"evaluate" is disabled/],
    ['parse("1")', /"parse" is disabled/],
    ['compile("1")', /"compile" is disabled/],
    ['simplify("x")', /"simplify" is disabled/],
    ['config({number: 1})', /"config" is disabled/],
    ['ones(100000, 100000)', /unknown function "ones"/],
  ])('refuses the function call %s', (text, message) => {
    expect(refusal(text).message).toMatch(message);
  });

  it.each([
    ['requests.constructor', /"constructor" cannot be used as a field name/],
    ['requests["constructor"]', /"constructor" cannot be used as a field name/],
    ['constructor', /"constructor" cannot be used as a field name/],
    ['result.__proto__', /"__proto__" cannot be used as a field name/],
    ['requests.prototype', /"prototype" cannot be used as a field name/],
    ['(1).constructor', /can only be read from named fields/],
    ['max(1, 2).constructor', /can only be read from named fields/],
    ['[1, 2].constructor', /can only be read from named fields/],
    ['max.constructor("return process")', /only named functions can be called/],
    ['f = max', /assignment is not allowed/],
    ['f(x) = x', /defining a function is not allowed/],
    ['a = 1; a', /more than one statement is not allowed/],
    ['requests?.dropped', /optional chaining/],
    ['result[1:2]', /an index must be one constant/],
    ['result[gpus.peak]', /an index must be one constant/],
    ['result[-1]', /an index must be one constant/],
    ['{a: 1}', /an object literal is not allowed/],
    ['5 cm to inch', /the operator "to" is not allowed/],
    ['x & 1', /the operator "&" is not allowed/],
  ])('refuses %s', (text, message) => {
    const err = refusal(text);
    expect(err.message).toMatch(message);
    expect(err.expression).toBe(text);
  });

  it('bounds the length and nesting of an expression', () => {
    expect(refusal('1+'.repeat(MAX_EXPRESSION_LENGTH) + '1').message).toMatch(/at most 1000 are allowed/);
    expect(refusal('('.repeat(40) + '1' + ')'.repeat(40)).message).toMatch(/nested more than 32 deep/);
    expect(refusal('').message).toMatch(/empty/);
    expect(refusal('1 +').message).toMatch(/cannot parse/);
  });

  it('the mathjs instance itself throws for the disabled functions (second line of defence)', () => {
    const unchecked = (text: string) => parseTree(text).compile().evaluate();
    expect(() => unchecked('import({})')).toThrow(/import is disabled/);
    expect(() => unchecked('createUnit("x")')).toThrow(/createUnit is disabled/);
    expect(() => unchecked('evaluate("1+1")')).toThrow(/evaluate is disabled/);
    expect(() => unchecked('parse("1")')).toThrow(/parse is disabled/);
    expect(() => hardenedMath().import({ x: 1 })).toThrow(/import is disabled/);
    // The checked pipeline still works after all of that.
    expect(compileExpression('1 + 1 == 2').evaluateBoolean({})).toBe(true);
  });
});
