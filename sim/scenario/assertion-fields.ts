import { ExpressionError } from '../expressions/errors.js';
import { compileExpression } from '../expressions/safe-eval.js';
import { summaryFieldProblem } from '../metrics/summary-keys.js';

/** `latency.rollout.ttftP95Ms`, `a[0]`, `a["odd-key"]` → its keys. */
function fieldPath(symbol: string): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const m of symbol.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (m[1] !== undefined) keys.push(m[1]);
    else if (m[2] !== undefined) keys.push(Number(m[2]));
    else keys.push(JSON.parse(`"${m[3]}"`) as string);
  }
  return keys;
}

/**
 * What is wrong with an assertion before anything runs: it does not parse, uses something the restricted
 * evaluator refuses, or names a field the summary does not have. Null when it can be evaluated.
 */
export function assertionProblem(expression: string): string | null {
  try {
    const compiled = compileExpression(expression);
    for (const symbol of compiled.symbols) {
      const problem = summaryFieldProblem(fieldPath(symbol));
      if (problem) return `unknown field "${symbol}": ${problem}`;
    }
    return null;
  } catch (err) {
    if (err instanceof ExpressionError) return err.message;
    throw err;
  }
}
