import { expect } from 'vitest';
import { InputError } from '../../sim/errors.js';

/** Runs fn, insists it throws an InputError (exit 2 at the CLI), and returns it so the message can be checked. */
export function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}
