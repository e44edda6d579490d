/**
 * Errors the CLI maps to exit codes: InputError → 2 (the user's file or flags are wrong),
 * anything else → 3 (our bug). An InputError's message must name the field and what is expected.
 */

/**
 * A bad value in parts. Without `problem` it reads "expected <expected>, got <got>"; with it,
 * "<got> <problem>; expected <expected>" (each part left out when not given).
 */
export interface Problem {
  /** What is wrong with the value, e.g. "is not a duration" or "is negative". */
  readonly problem?: string;
  /** What the field accepts, e.g. "a whole number, 1 or more". */
  readonly expected?: string;
  /** The value as given, as it is shown to the user (JSON for a string the user wrote). */
  readonly got?: string;
}

/**
 * Bad input. The path (where the value is: a scenario field, a flag, a file) is its own field, never glued into
 * the text by callers: the message `path: detail` is composed here, once. A caller that learns where a value
 * came from re-throws with `at(path)`, keeping every field.
 */
export class InputError extends Error {
  readonly path: string | undefined;
  /** The message without the path. */
  readonly detail: string;
  readonly expected: string | undefined;
  readonly got: string | undefined;
  private readonly what: string | Problem;

  constructor(what: string | Problem, path?: string) {
    const detail = typeof what === 'string' ? what : describeProblem(what);
    super(path === undefined ? detail : `${path}: ${detail}`);
    this.name = 'InputError';
    this.path = path;
    this.detail = detail;
    this.expected = typeof what === 'string' ? undefined : what.expected;
    this.got = typeof what === 'string' ? undefined : what.got;
    this.what = what;
  }

  /** The same problem, reported at `path`. */
  at(path: string): InputError {
    return new InputError(this.what, path);
  }
}

function describeProblem({ problem, expected, got }: Problem): string {
  if (problem === undefined) {
    const parts = [expected === undefined ? '' : `expected ${expected}`, got === undefined ? '' : `got ${got}`];
    return parts.filter((part) => part !== '').join(', ');
  }
  const what = got === undefined ? problem : `${got} ${problem}`;
  return expected === undefined ? what : `${what}; expected ${expected}`;
}

/** The simulation hit its event or memory budget: a run too large for the machine, reported, never a hang. */
export class BudgetExceededError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetExceededError';
  }
}

export class InternalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}
