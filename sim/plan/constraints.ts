import { estimate, type Estimate } from '../batch/confidence.js';
import type { MetricUnit, RunMetricKey } from '../batch/run-metrics.js';
import type { ScenarioSpec } from '../scenario/schema.js';
import type { SeedResult } from './seed-result.js';

/** The bounds a plan must meet besides the scenario's SLO; flags of `rollout-sim plan`. */
export interface PlanLimits {
  /** Generations cut after they started (default 0). */
  readonly maxDropped: number;
  /** Requests refused before service, e.g. by a pod that stopped admitting (default 0). */
  readonly maxRejected: number;
  readonly maxSpikeRatio?: number;
  readonly maxDurationSeconds?: number;
  /** Most GPUs the pods may hold at once. */
  readonly budgetGpus?: number;
}

export const DEFAULT_LIMITS: PlanLimits = { maxDropped: 0, maxRejected: 0 };

export type ConstraintKey = 'completes' | 'dropped' | 'rejected' | 'ttftP95' | 'tpotP95' | 'e2eP95' | 'spikeRatio' | 'duration' | 'gpuBudget';

/** A bound `value ≤ limit` that every seed of a configuration must meet. */
export interface Constraint {
  readonly key: ConstraintKey;
  readonly label: string;
  readonly limit: number;
  readonly unit: MetricUnit;
  /** Where the bound comes from: the scenario's SLO, a flag, or always (the rollout must complete). */
  readonly source: 'slo' | 'flag' | 'always';
  /** The seed's value; null when the run did not measure it (which fails the bound). */
  value(seed: SeedResult): number | null;
}

/** How a configuration fares against one constraint over its seeds. */
export interface ConstraintCheck {
  readonly key: ConstraintKey;
  readonly label: string;
  readonly limit: number;
  readonly unit: MetricUnit;
  readonly passed: boolean;
  /** Mean ± 95% CI over the seeds that measured it. */
  readonly estimate: Estimate | null;
  /** The worst seed's value; null when no seed measured it. */
  readonly worst: number | null;
  /** limit − worst: room left when it passed, the overshoot (negative) when it failed; null if unmeasured. */
  readonly margin: number | null;
  readonly failedSeeds: number;
}

const metric =
  (key: RunMetricKey) =>
  (seed: SeedResult): number | null =>
    seed.values?.[key] ?? null;

/** The scenario's SLO (p95s during the rollout) and the flags' bounds; completion and failures always. */
export function planConstraints(slo: ScenarioSpec['slo'], limits: PlanLimits): Constraint[] {
  const out: Constraint[] = [
    {
      key: 'completes',
      label: 'runs whose rollout did not complete in the simulated time',
      limit: 0,
      unit: 'runs',
      source: 'always',
      value: (seed) => (seed.outcome === 'completed' ? 0 : 1),
    },
    { key: 'dropped', label: 'dropped generations', limit: limits.maxDropped, unit: 'requests', source: 'flag', value: metric('dropped') },
    { key: 'rejected', label: 'rejected requests', limit: limits.maxRejected, unit: 'requests', source: 'flag', value: metric('rejected') },
  ];
  const ms = (seconds: number | undefined): number | undefined => (seconds === undefined ? undefined : seconds * 1000);
  const bounds = [
    ['ttftP95', ms(slo.ttftP95), 'TTFT p95 during the rollout', 'ms', 'ttftP95Ms', 'slo'],
    ['tpotP95', ms(slo.tpotP95), 'TPOT p95 during the rollout', 'ms', 'tpotP95Ms', 'slo'],
    ['e2eP95', ms(slo.e2eP95), 'E2E p95 during the rollout', 'ms', 'e2eP95Ms', 'slo'],
    ['spikeRatio', limits.maxSpikeRatio, 'TTFT p95 spike ratio', 'ratio', 'spikeRatio', 'flag'],
    ['duration', limits.maxDurationSeconds, 'rollout duration', 'seconds', 'rolloutSeconds', 'flag'],
    ['gpuBudget', limits.budgetGpus, 'peak GPUs held', 'GPUs', 'peakGpus', 'flag'],
  ] as const;
  for (const [key, limit, label, unit, metricKey, source] of bounds) {
    if (limit !== undefined) out.push({ key, label, limit, unit, source, value: metric(metricKey) });
  }
  return out;
}

/** Every seed must meet the bound: a configuration that fails on one seed in three would fail in production. */
export function checkConstraint(c: Constraint, seeds: readonly SeedResult[]): ConstraintCheck {
  const values = seeds.map((s) => c.value(s));
  const measured = values.filter((v): v is number => v !== null);
  const failedSeeds = values.filter((v) => v === null || v > c.limit).length;
  const worst = measured.length === 0 ? null : Math.max(...measured);
  return {
    key: c.key,
    label: c.label,
    limit: c.limit,
    unit: c.unit,
    passed: failedSeeds === 0,
    estimate: estimate(measured),
    worst,
    margin: worst === null ? null : c.limit - worst,
    failedSeeds,
  };
}

/** The keys of constraints on latency: what serving capacity during the rollout decides. */
export const LATENCY_CONSTRAINTS: readonly ConstraintKey[] = ['ttftP95', 'tpotP95', 'e2eP95', 'spikeRatio'];
