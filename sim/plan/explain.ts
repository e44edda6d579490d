import type { ConstraintKey } from './constraints.js';
import { failedChecks, type Evaluation } from './evaluation.js';
import { compareCost, knobDifferences } from './ranking.js';
import type { SeedFailure, Verification } from './verify.js';

/** What turned a configuration down on fresh seeds. */
type TurnedDown = Pick<Verification, 'failures' | 'riskExceeded'>;

/**
 * Why the recommendation and not another: the runner-up (the configuration the plan would have chosen next)
 * and what it lost on, and the fewest knob changes that make the scenario as written pass. Facts only; the
 * report turns them into sentences.
 */

export type LossReason =
  /** Over a constraint's limit on the search seeds. */
  | { readonly kind: 'constraint'; readonly constraint: ConstraintKey; readonly limit: number; readonly worst: number | null; readonly failedSeeds: number }
  /**
   * Met every constraint on the search seeds, violated some on fresh seeds, or no seed violated them but the
   * estimated risk of doing so is above the acceptable one.
   */
  | { readonly kind: 'verification'; readonly failures: readonly SeedFailure[]; readonly riskExceeded: readonly ConstraintKey[] }
  /** Met every constraint but costs more (the first cost in the ranking's order that tells them apart). */
  | { readonly kind: 'cost'; readonly metric: 'extraGpuHours' | 'peakGpus' | 'rolloutSeconds' | 'spikeRatio'; readonly recommended: number; readonly other: number };

export interface RunnerUp {
  readonly id: string;
  readonly label: string;
  /** The knobs it changes from the recommendation; empty when it is of another strategy. */
  readonly differsIn: Record<string, string>;
  readonly reasons: readonly LossReason[];
}

export interface AsWrittenFix {
  readonly id: string;
  readonly label: string;
  /** Knob by knob from the scenario as written ("preStop": "0s → 5s"). */
  readonly differsIn: Record<string, string>;
}

export interface Explanation {
  readonly runnerUp: RunnerUp | null;
  /** null: the scenario as written passes, or no evaluated configuration of its strategy did. */
  readonly asWrittenFix: AsWrittenFix | null;
}

/**
 * The runner-up is the closest cheaper configuration that was turned down (a constraint on the search seeds, or
 * a fresh seed): the fewest knobs away from the recommendation, then the nearest in cost; else the next feasible
 * one in cost order.
 */
export function explain(
  recommended: Evaluation,
  evaluations: readonly Evaluation[],
  failedVerification: ReadonlyMap<Evaluation, TurnedDown>,
  asWritten: Evaluation | undefined,
  replicas: number,
): Explanation {
  const knobsApart = (e: Evaluation): number => Object.keys(knobDifferences(recommended, e, replicas)).length || Number.POSITIVE_INFINITY;
  const cheaperLosers = evaluations
    .filter((e) => e !== recommended && e.config !== null && compareCost(e, recommended) < 0 && (!e.feasible || failedVerification.has(e)))
    .sort((a, b) => knobsApart(a) - knobsApart(b) || compareCost(b, a));
  const nextFeasible = evaluations
    .filter((e) => e !== recommended && e.feasible && !failedVerification.has(e) && compareCost(e, recommended) > 0)
    .sort(compareCost)[0];
  const other = cheaperLosers[0] ?? nextFeasible;
  return {
    runnerUp:
      other === undefined
        ? null
        : { id: other.id, label: other.label, differsIn: knobDifferences(recommended, other, replicas), reasons: reasonsOf(other, recommended, failedVerification) },
    asWrittenFix: asWritten === undefined || (asWritten.feasible && !failedVerification.has(asWritten)) ? null : fixOf(asWritten, evaluations, failedVerification, replicas),
  };
}

function reasonsOf(e: Evaluation, recommended: Evaluation, failedVerification: ReadonlyMap<Evaluation, TurnedDown>): LossReason[] {
  if (!e.feasible) {
    return failedChecks(e).map((c) => ({ kind: 'constraint', constraint: c.key, limit: c.limit, worst: c.worst, failedSeeds: c.failedSeeds }));
  }
  const turnedDown = failedVerification.get(e);
  if (turnedDown !== undefined) return [{ kind: 'verification', failures: turnedDown.failures, riskExceeded: turnedDown.riskExceeded }];
  for (const metric of ['extraGpuHours', 'peakGpus', 'rolloutSeconds', 'spikeRatio'] as const) {
    const a = recommended.metrics[metric]?.mean;
    const b = e.metrics[metric]?.mean;
    if (a !== undefined && b !== undefined && a !== b) return [{ kind: 'cost', metric, recommended: a, other: b }];
  }
  return [];
}

/** The feasible configuration of the written strategy that changes the fewest knobs, the cheapest among those. */
function fixOf(
  asWritten: Evaluation,
  evaluations: readonly Evaluation[],
  failedVerification: ReadonlyMap<Evaluation, TurnedDown>,
  replicas: number,
): AsWrittenFix | null {
  const fixes = evaluations
    .filter((e) => e.feasible && !failedVerification.has(e) && e !== asWritten)
    .map((e) => ({ e, differsIn: knobDifferences(asWritten, e, replicas) }))
    .filter(({ differsIn }) => Object.keys(differsIn).length > 0)
    .sort((a, b) => Object.keys(a.differsIn).length - Object.keys(b.differsIn).length || compareCost(a.e, b.e));
  const best = fixes[0];
  return best === undefined ? null : { id: best.e.id, label: best.e.label, differsIn: best.differsIn };
}
