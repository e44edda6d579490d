import { ExpressionError, UnknownFieldError } from '../expressions/errors.js';
import { compileExpression } from '../expressions/safe-eval.js';
import { CAUSE_RECORDS } from '../metrics/summary-keys.js';
import type { Summary } from '../metrics/summary-types.js';

export interface AssertionResult {
  expression: string;
  passed: boolean;
  /** The values of the fields the expression read, e.g. { 'requests.dropped': 3 }. */
  value?: Record<string, unknown>;
  /** Why it could not be evaluated (not a failure of the rollout: a problem with the assertion). */
  error?: string;
  /** The assertion names a field that does not exist: bad input (exit 2), never a silent pass. */
  unknownField?: string;
}

function fieldValue(summary: object, path: string): unknown {
  let cur: unknown = summary;
  for (const key of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The summary as assertions see it: a cause that never happened counts 0 rather than being absent. */
function assertionScope(summary: Summary): Summary {
  const requests = { ...summary.requests };
  for (const [record, causes] of Object.entries(CAUSE_RECORDS) as [keyof typeof requests, readonly string[]][]) {
    const counts = requests[record] as Record<string, number>;
    (requests[record] as Record<string, number>) = Object.fromEntries(causes.map((c) => [c, counts[c] ?? 0]));
  }
  return { ...summary, requests };
}

/** Evaluates each assertion against the summary; never throws for a bad assertion, it reports it. */
export function evaluateAssertions(result: Summary, expressions: readonly string[]): AssertionResult[] {
  const summary = assertionScope(result);
  return expressions.map((expression) => {
    try {
      const compiled = compileExpression(expression);
      const value = Object.fromEntries(compiled.symbols.map((s) => [s, fieldValue(summary, s)]));
      try {
        return { expression, passed: compiled.evaluateBoolean(summary), value };
      } catch (err) {
        if (err instanceof UnknownFieldError) return { expression, passed: false, error: err.message, unknownField: err.field };
        if (err instanceof ExpressionError) return { expression, passed: false, value, error: err.message };
        throw err;
      }
    } catch (err) {
      if (err instanceof ExpressionError) return { expression, passed: false, error: err.message };
      throw err;
    }
  });
}

/** Exit code of a set of assertion results: 2 for a bad assertion, 1 for a false one, 0 when all hold. */
export function assertionExitCode(results: readonly AssertionResult[]): 0 | 1 | 2 {
  if (results.some((r) => r.unknownField !== undefined || (r.error !== undefined && r.value === undefined))) return 2;
  if (results.some((r) => !r.passed)) return 1;
  return 0;
}
