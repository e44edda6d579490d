import { z } from 'zod';
import { InputError } from '../errors.js';
import { BANDWIDTH, BYTES, DURATION, RATE, parseQuantity, type QuantityKind } from './units.js';
import { PERCENT_PATTERN, intOrPercentProblem, parseIntOrPercent, type IntOrPercent } from './int-or-percent.js';

/**
 * Accepts a number in the base unit or a string with units, outputs the number in the base unit. The string
 * pattern and minimum are metadata for the JSON Schema only: the parser checks both and words the error.
 */
function zQuantity(kind: QuantityKind, baseUnit: string) {
  return z
    .union([z.number().meta({ minimum: 0 }), z.string().meta({ pattern: kind.schemaPattern })], {
      error: (issue) => `${missingOr(issue.input, `is not ${kind.noun}`)}; write e.g. ${kind.examples}`,
    })
    .meta({ description: `${kind.noun}, e.g. ${kind.examples}; a bare number is in ${baseUnit}` })
    .transform((input, ctx) => {
      try {
        return parseQuantity(kind, input);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        ctx.issues.push({ code: 'custom', message: error.detail, input });
        return z.NEVER;
      }
    });
}

/** Seconds. */
export const zDuration = zQuantity(DURATION, 'seconds');
/** Bytes. */
export const zBytes = zQuantity(BYTES, 'bytes');
/** Per second. */
export const zRate = zQuantity(RATE, 'events per second');
/** Bytes per second. */
export const zBandwidth = zQuantity(BANDWIDTH, 'bytes per second');

const INT_OR_PERCENT_ERROR = {
  error: (issue: { input: unknown }): string =>
    issue.input === undefined ? 'missing; write e.g. 2 or 25%' : `${describeInput(issue.input)} ${intOrPercentProblem(issue.input)}`,
};

/**
 * A pod count such as 2 or a whole percentage such as '25%' (maxSurge, maxUnavailable). The union is the JSON
 * Schema's shape; the value is parsed, and every issue worded, by int-or-percent.ts.
 */
export const zIntOrPercent = z
  .union(
    [z.int(INT_OR_PERCENT_ERROR).min(0, INT_OR_PERCENT_ERROR), z.string(INT_OR_PERCENT_ERROR).regex(PERCENT_PATTERN, INT_OR_PERCENT_ERROR)],
    INT_OR_PERCENT_ERROR,
  )
  .meta({ description: 'a pod count such as 2, or a whole percentage of the desired replicas such as 25%' })
  .transform((input): IntOrPercent => parseIntOrPercent(input));

/** The start of an error message about a value the user wrote, or left out. */
export function missingOr(input: unknown, problem = 'is not valid'): string {
  return input === undefined ? 'missing' : `${describeInput(input)} ${problem}`;
}

function describeInput(input: unknown): string {
  return JSON.stringify(input) ?? String(input);
}
