import { InputError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_ASSERTION_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL = 3;

/** Prints an error the way a user needs it (no stack trace for their mistakes) and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof InputError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(
    `internal error (a bug in rollout-sim, please report it with the scenario): ${e.message}\n` +
      (process.env.ROLLOUT_SIM_DEBUG ? `${e.stack}\n` : 'set ROLLOUT_SIM_DEBUG=1 for the stack trace\n'),
  );
  return EXIT_INTERNAL;
}
