/**
 * Errors the CLI maps to exit codes: InputError → 2 (the user's file or flags are wrong),
 * anything else → 3 (our bug). An InputError's message must name the field and what is expected.
 */
export class InputError extends Error {
  readonly path: string | undefined;
  constructor(message: string, path?: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'InputError';
    this.path = path;
  }
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
