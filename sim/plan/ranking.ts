import { knobsOf, resolvedConfig } from './config.js';
import type { Evaluation } from './evaluation.js';

/**
 * What a difference must exceed to count: means over a few seeds differ in their last digits by chance, and a
 * planner that chose between equals by those digits would change its answer with every seed.
 */
const RESOLUTION = { extraGpuHours: 0.1, peakGpus: 1, rolloutSeconds: 10, spikeRatio: 0.1 } as const;

/**
 * Cost order of configurations: extra GPU-hours (the bill), then peak GPUs (the quota), then rollout duration,
 * each the mean over the common seeds at the resolution above; between equal costs the calmer rollout (lower
 * spike), then the shorter grace period (a pod stuck in termination blocks its GPUs for less time); the id
 * breaks exact ties.
 */
export function compareCost(a: Evaluation, b: Evaluation): number {
  for (const key of ['extraGpuHours', 'peakGpus', 'rolloutSeconds', 'spikeRatio'] as const) {
    const diff = Math.round(meanOr(a, key) / RESOLUTION[key]) - Math.round(meanOr(b, key) / RESOLUTION[key]);
    if (diff !== 0 && !Number.isNaN(diff)) return diff;
  }
  return grace(a) - grace(b) || idNumber(a) - idNumber(b);
}

const grace = (e: Evaluation): number => e.config?.terminationGracePeriodSeconds ?? Number.POSITIVE_INFINITY;

function meanOr(e: Evaluation, key: 'extraGpuHours' | 'peakGpus' | 'rolloutSeconds' | 'surgeGpus' | 'spikeRatio'): number {
  return e.metrics[key]?.mean ?? Number.POSITIVE_INFINITY;
}

const idNumber = (e: Evaluation): number => Number(e.id.slice(1));

/** Feasible configurations, cheapest first. */
export function rankFeasible(evaluations: readonly Evaluation[]): Evaluation[] {
  return evaluations.filter((e) => e.feasible).sort(compareCost);
}

/** The objectives of the Pareto front, all minimised: rollout duration, extra GPUs at the peak, latency spike. */
export function paretoObjectives(e: Evaluation): [number, number, number] {
  return [meanOr(e, 'rolloutSeconds'), meanOr(e, 'surgeGpus'), meanOr(e, 'spikeRatio')];
}

/**
 * The feasible configurations no other feasible one beats on every objective (at least as good on all, better
 * on one), fastest first.
 */
export function paretoFront(evaluations: readonly Evaluation[]): Evaluation[] {
  const feasible = evaluations.filter((e) => e.feasible);
  const objectives = new Map(feasible.map((e) => [e, paretoObjectives(e)]));
  const dominates = (a: number[], b: number[]): boolean => a.every((v, i) => v <= b[i]) && a.some((v, i) => v < b[i]);
  return feasible
    .filter((e) => !feasible.some((other) => other !== e && dominates(objectives.get(other) as number[], objectives.get(e) as number[])))
    .sort((a, b) => paretoObjectives(a)[0] - paretoObjectives(b)[0] || idNumber(a) - idNumber(b));
}

/**
 * How `other` differs from `base`, knob by knob ("maxSurge": "2 → 1"), as written; budgets that resolve to the
 * same pods for `replicas` do not differ. Empty for a strategy of another kind.
 */
export function knobDifferences(base: Evaluation, other: Evaluation, replicas: number): Record<string, string> {
  if (base.config === null || other.config === null || base.config.strategy.kind !== other.config.strategy.kind) return {};
  const a = knobsOf(base.config);
  const b = knobsOf(other.config);
  const ra = knobsOf(resolvedConfig(base.config, replicas));
  const rb = knobsOf(resolvedConfig(other.config, replicas));
  // Gateway knobs are present only when set (config.ts knobsOf): a knob one side lacks is 'off' there.
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return Object.fromEntries(keys.filter((k) => ra[k] !== rb[k]).map((k) => [k, `${a[k] ?? 'off'} → ${b[k] ?? 'off'}`]));
}

/** Evaluated configurations one knob away from `base`, in id order. */
export function neighboursOf(base: Evaluation, evaluations: readonly Evaluation[], replicas: number): Evaluation[] {
  return evaluations.filter((e) => e !== base && Object.keys(knobDifferences(base, e, replicas)).length === 1);
}
