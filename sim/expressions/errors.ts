import { InputError } from '../errors.js';

/** An expression that cannot be compiled or evaluated. An InputError: the CLI exits with code 2. */
export class ExpressionError extends InputError {
  readonly expression: string;
  constructor(expression: string, message: string) {
    super(`${message} (in expression ${quoteExpression(expression)})`);
    this.name = 'ExpressionError';
    this.expression = expression;
  }
}

/**
 * The expression names a field the scope does not have (a misspelled metric, an index past the end of a list).
 * Never a silent pass: `check` maps it to exit code 2 like any InputError.
 */
export class UnknownFieldError extends ExpressionError {
  /** The field as written in the expression, e.g. `latency.rollout.ttftP95Ms` or `result[0]`. */
  readonly field: string;
  constructor(expression: string, field: string, detail: string) {
    super(expression, `unknown field "${field}": ${detail}`);
    this.name = 'UnknownFieldError';
    this.field = field;
  }
}

const SHOWN_EXPRESSION_CHARS = 120;

function quoteExpression(text: string): string {
  const shown = text.length > SHOWN_EXPRESSION_CHARS ? `${text.slice(0, SHOWN_EXPRESSION_CHARS)}…` : text;
  return JSON.stringify(shown);
}
