import type { Estimate } from '../batch/confidence.js';
import type { Overrides } from '../batch/override-values.js';
import type { RunMetricKey } from '../batch/run-metrics.js';
import type { PlanConfig } from './config.js';
import type { ConstraintCheck, ConstraintKey } from './constraints.js';
import type { SeedResult } from './seed-result.js';

export type PlanMetricKey = RunMetricKey | 'extraGpuHours';

/** A configuration run on every seed of the plan (common random numbers: the same seeds for all). */
export interface Evaluation {
  /** c1, c2, … in the order configurations were first run. */
  readonly id: string;
  /** The search stage that first asked for it. */
  readonly stage: string;
  readonly label: string;
  /** null: the scenario as written with a strategy outside the planner's space. */
  readonly config: PlanConfig | null;
  readonly overrides: Overrides;
  readonly seeds: readonly SeedResult[];
  readonly metrics: Record<PlanMetricKey, Estimate | null>;
  readonly checks: readonly ConstraintCheck[];
  readonly feasible: boolean;
  /**
   * Non-empty when its later seeds were not run: a seed violated these constraints, which settled what its
   * stage asked (early elimination; `seeds` then holds the seeds up to that one).
   */
  readonly stoppedOn: readonly ConstraintKey[];
}

/** A configuration the search ruled out without running it, and why. */
export interface PrunedCandidate {
  readonly stage: string;
  readonly label: string;
  readonly reason: string;
}

export function passes(e: Evaluation, keys: readonly ConstraintKey[]): boolean {
  return e.checks.every((c) => c.passed || !keys.includes(c.key));
}

export function failedChecks(e: Evaluation): ConstraintCheck[] {
  return e.checks.filter((c) => !c.passed);
}
