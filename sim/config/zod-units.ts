import { z } from 'zod';
import { InputError } from '../errors.js';
import { BANDWIDTH, BYTES, DURATION, RATE, parseQuantity, type QuantityKind } from './units.js';

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
        ctx.issues.push({ code: 'custom', message: error.message, input });
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

/** A Kubernetes IntOrString count such as maxSurge: 2 pods or 25% of the desired replicas. */
export type PercentOrInt = { kind: 'percent'; value: number } | { kind: 'int'; value: number };

const PERCENT_PATTERN = /^(\d+)%$/;

export const zPercentOrInt = z
  .union(
    [
      z.int().min(0, { error: (issue) => `${describeInput(issue.input)} is negative; write a count of 0 or more, e.g. 2` }),
      z.string().regex(PERCENT_PATTERN, {
        error: (issue) =>
          `${describeInput(issue.input)} is not a percentage; write a whole percentage such as 25%, or a count such as 2 (a number, not a string)`,
      }),
    ],
    {
      error: (issue) =>
        `${missingOr(issue.input, 'is neither a count nor a percentage')}; write e.g. 2 or 25%`,
    },
  )
  .meta({ description: 'a pod count such as 2, or a whole percentage of the desired replicas such as 25%' })
  .transform((input): PercentOrInt =>
    typeof input === 'number' ? { kind: 'int', value: input } : { kind: 'percent', value: Number(input.slice(0, -1)) },
  );

/** The start of an error message about a value the user wrote, or left out. */
export function missingOr(input: unknown, problem = 'is not valid'): string {
  return input === undefined ? 'missing' : `${describeInput(input)} ${problem}`;
}

function describeInput(input: unknown): string {
  return JSON.stringify(input) ?? String(input);
}
