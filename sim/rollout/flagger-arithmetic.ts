/**
 * Flagger's weight arithmetic as pure functions (fluxcd/flagger @15bd6ad5 pkg/controller/scheduler.go: `maxWeight`,
 * `nextStepWeight`, `runCanary`, `runPromotionTrafficShift`; scheduler_metrics.go: the threshold checks;
 * canary.go: `DeploymentStrategy`, `GetAnalysisInterval`). Weights are integers out of a total of 100.
 */
import { FLAGGER_DEFAULTS } from '../config/upstream-defaults.js';

const TOTAL_WEIGHT = 100;

/** What the arithmetic reads of a Canary's analysis. */
export interface FlaggerWeights {
  readonly stepWeight?: number;
  readonly stepWeights?: readonly number[];
  readonly maxWeight?: number;
  readonly iterations: number;
  readonly mirror: boolean;
  readonly stepWeightPromotion: number;
}

export type FlaggerStrategyKind = 'canary' | 'blue-green';

/** DeploymentStrategy: iterations without match conditions is blue-green (A/B needs header matches). */
export function flaggerStrategyKind(a: FlaggerWeights): FlaggerStrategyKind {
  return a.iterations > 0 ? 'blue-green' : 'canary';
}

/** GetAnalysisInterval: never below 10 s. */
export function analysisInterval(seconds: number): number {
  return Math.max(FLAGGER_DEFAULTS.minIntervalSeconds, seconds);
}

/** maxWeight: the last stepWeights entry (at most 100), else maxWeight, else 100. */
export function maxWeight(a: FlaggerWeights): number {
  const steps = a.stepWeights ?? [];
  if (steps.length > 0) return Math.min(TOTAL_WEIGHT, steps[steps.length - 1]);
  if (a.maxWeight !== undefined && a.maxWeight > 0) return a.maxWeight;
  return TOTAL_WEIGHT;
}

/**
 * nextStepWeight: stepWeight when set (or when there are no stepWeights); else the difference to the next
 * stepWeights entry after the current weight (the first entry from 0), capped at what is left to 100; 1 when
 * already at 100 (so the canary moves on to promotion); what is left when the weight is on no entry.
 */
export function nextStepWeight(a: FlaggerWeights, canaryWeight: number): number {
  const steps = a.stepWeights ?? [];
  if ((a.stepWeight ?? 0) > 0 || steps.length === 0) return a.stepWeight ?? 0;
  const maxStep = TOTAL_WEIGHT - canaryWeight;
  if (maxStep === 0) return 1;
  if (canaryWeight === 0) return Math.min(maxStep, steps[0]);
  for (let i = 0; i < steps.length - 1; i++) {
    if (steps[i] === canaryWeight) return Math.min(maxStep, steps[i + 1] - canaryWeight);
  }
  return maxStep;
}

/** The routes Flagger sets: primary and canary weights, and whether the canary gets a mirrored copy. */
export interface FlaggerRoutes {
  readonly primary: number;
  readonly canary: number;
  readonly mirrored: boolean;
}

/**
 * runCanary below maxWeight: with `mirror`, a canary at 0 first gets one interval of mirrored traffic (primary
 * 100%), then the first step without the mirror; otherwise the weights move by one step, clamped to [0, 100].
 */
export function advanceCanaryWeight(a: FlaggerWeights, routes: FlaggerRoutes): FlaggerRoutes {
  const step = nextStepWeight(a, routes.canary);
  if (a.mirror && routes.canary === 0) {
    return routes.mirrored
      ? { primary: TOTAL_WEIGHT - step, canary: step, mirrored: false }
      : { primary: TOTAL_WEIGHT, canary: 0, mirrored: true };
  }
  return {
    primary: Math.max(0, routes.primary - step),
    canary: Math.min(TOTAL_WEIGHT, routes.canary + step),
    mirrored: routes.mirrored,
  };
}

/**
 * runPromotionTrafficShift: with stepWeightPromotion 0 all traffic goes back to the primary at once; otherwise the
 * primary gains one step per interval. `done` is Flagger's move to Finalising.
 */
export function promotionTrafficShift(a: FlaggerWeights, routes: FlaggerRoutes): { routes: FlaggerRoutes; done: boolean } {
  const step = a.stepWeightPromotion;
  if (step === 0 || routes.canary === 0) {
    return { routes: { primary: TOTAL_WEIGHT, canary: 0, mirrored: false }, done: true };
  }
  const primary = Math.min(TOTAL_WEIGHT, routes.primary + step);
  const canary = Math.max(0, routes.canary - step);
  return { routes: { primary, canary, mirrored: false }, done: primary === TOTAL_WEIGHT };
}

/**
 * The canary weights a successful canary analysis sets, one per interval after the pre-rollout tick, before the
 * promotion (docs: "stepWeight 10, maxWeight 50" gives 10, 20, 30, 40, 50). The mirror's interval shows as 0.
 */
export function canaryWeightSequence(a: FlaggerWeights): number[] {
  const max = maxWeight(a);
  const weights: number[] = [];
  let routes: FlaggerRoutes = { primary: TOTAL_WEIGHT, canary: 0, mirrored: false };
  while (routes.canary < max && nextStepWeight(a, routes.canary) > 0) {
    routes = advanceCanaryWeight(a, routes);
    weights.push(routes.canary);
  }
  return weights;
}

/** A metric's accepted range: thresholdRange, or the deprecated `threshold` read as a minimum. */
export interface ThresholdCheck {
  readonly min?: number;
  readonly max?: number;
}

/** Why a measured value fails its range (as Flagger's "Halt advancement" event), or null when it passes. */
export function thresholdProblem(value: number, range: ThresholdCheck): string | null {
  if (range.min !== undefined && value < range.min) return `${formatValue(value)} < ${range.min}`;
  if (range.max !== undefined && value > range.max) return `${formatValue(value)} > ${range.max}`;
  return null;
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/**
 * The gateway's split over the simulator's two versions. Flagger routes by Deployment (primary, canary); while
 * the primary rolls to the new spec its share is divided by its ready pods of each version, as its Service would.
 */
export function versionWeights(
  routes: FlaggerRoutes,
  primaryReady: { readonly old: number; readonly new: number },
): { old: number; new: number } {
  const ready = primaryReady.old + primaryReady.new;
  const primaryNewShare = ready === 0 ? 0 : primaryReady.new / ready;
  const fromPrimaryToNew = routes.primary * primaryNewShare;
  return { old: routes.primary - fromPrimaryToNew, new: routes.canary + fromPrimaryToNew };
}

/**
 * The range a metric is checked against: its thresholdRange, else the deprecated `threshold` (0 when unset), a
 * minimum for request-success-rate and a maximum for every other metric, as runBuiltinMetricChecks and
 * runMetricChecks read it.
 */
export function metricRange(name: string, thresholdRange: ThresholdCheck | undefined, threshold: number | undefined): ThresholdCheck {
  if (thresholdRange) return thresholdRange;
  return name === 'request-success-rate' ? { min: threshold ?? 0 } : { max: threshold ?? 0 };
}
