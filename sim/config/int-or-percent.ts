import { InputError } from '../errors.js';

/**
 * A Kubernetes IntOrString count such as maxSurge or maxUnavailable: an absolute pod count or a whole percentage
 * of the desired replicas. The scenario schema, the manifest importer, the rollout arithmetic and the planner all
 * use this one type and this one parser.
 */
export type IntOrPercent = { readonly kind: 'int'; readonly value: number } | { readonly kind: 'percent'; readonly value: number };

/** How Kubernetes writes one: a count is a number (2), a percentage a string ("25%"). */
export type IntOrPercentText = number | `${number}%`;

export const intCount = (value: number): IntOrPercent => ({ kind: 'int', value });
export const percent = (value: number): IntOrPercent => ({ kind: 'percent', value });

export const PERCENT_PATTERN = /^(\d+)%$/;

/** Why `input` is not a count or a percentage (after `<input> `), or null when it is one. */
export function intOrPercentProblem(input: unknown): string | null {
  if (typeof input === 'number') {
    if (Number.isInteger(input)) return input < 0 ? 'is negative; write a count of 0 or more, e.g. 2' : null;
  } else if (typeof input === 'string') {
    if (PERCENT_PATTERN.test(input)) return null;
    return 'is not a percentage; write a whole percentage such as 25%, or a count such as 2 (a number, not a string)';
  }
  return 'is neither a count nor a percentage; write e.g. 2 or 25%';
}

/** 2 → two pods, "25%" → 25 percent; anything else is an InputError at `path`. */
export function parseIntOrPercent(input: unknown, path?: string): IntOrPercent {
  const problem = intOrPercentProblem(input);
  if (problem !== null) throw new InputError({ got: JSON.stringify(input) ?? String(input), problem }, path);
  return typeof input === 'number' ? intCount(input) : percent(Number((input as string).slice(0, -1)));
}

/**
 * intstr.GetScaledValueFromIntOrPercent: a percentage of `total`, rounded up or down; an int as is.
 * Example: 25% of 10 is 2.5 → 3 rounded up, 2 rounded down.
 */
export function scaledValue(v: IntOrPercent, total: number, roundUp: boolean): number {
  if (v.kind === 'int') return v.value;
  const exact = (v.value * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** "25%" or "2", for messages and tables. */
export function formatIntOrPercent(v: IntOrPercent): string {
  return v.kind === 'percent' ? `${v.value}%` : String(v.value);
}

/** As Kubernetes writes it: 2 stays a number and 25% a string. */
export function intOrPercentText(v: IntOrPercent): IntOrPercentText {
  return v.kind === 'percent' ? `${v.value}%` : v.value;
}
