import type { LatencyStats } from '../metrics/summary-types.js';
import { estimate, type Estimate } from './confidence.js';
import type { StableSummary } from './run-spec.js';

/**
 * The figures batch reports (sweeps, plans) compare across configurations: one number per run, averaged over
 * seeds with a confidence interval. Latency percentiles are those of the rollout window, where configurations
 * differ; a run with no request completed during its rollout falls back to the whole run.
 */
export interface RunMetric {
  readonly key: RunMetricKey;
  readonly label: string;
  readonly unit: MetricUnit;
  /** null: not measured in this run (e.g. the rollout did not complete, so it has no duration). */
  of(summary: StableSummary): number | null;
}

export type MetricUnit = 'seconds' | 'ms' | 'requests' | 'runs' | 'ratio' | 'GPUs' | 'GPU-hours' | 'nodes';

export type RunMetricKey =
  | 'rolloutSeconds'
  | 'dropped'
  | 'expectedDropped'
  | 'pAnyDrop'
  | 'rejected'
  | 'timedOut'
  | 'ttftP95Ms'
  | 'tpotP95Ms'
  | 'e2eP95Ms'
  | 'spikeRatio'
  | 'peakGpus'
  | 'surgeGpus'
  | 'nodeGpuHours'
  | 'nodesAdded';

function rolloutLatency(summary: StableSummary): LatencyStats {
  const rollout = summary.latency.rollout;
  return rollout.samples > 0 ? rollout : summary.latency.overall;
}

export const RUN_METRICS: readonly RunMetric[] = [
  {
    key: 'rolloutSeconds',
    label: 'rollout duration',
    unit: 'seconds',
    of: (s) => (s.rollout.outcome === 'completed' ? s.rollout.durationSeconds : null),
  },
  { key: 'dropped', label: 'dropped', unit: 'requests', of: (s) => s.requests.dropped },
  { key: 'expectedDropped', label: 'expected dropped', unit: 'requests', of: (s) => s.requests.expectedDropped },
  {
    key: 'pAnyDrop',
    label: 'P(any drop)',
    unit: 'ratio',
    // Only the conditional estimator says more than the sample does.
    of: (s) => (s.risk.dropEstimator === 'conditional' ? s.risk.pAnyDrop : null),
  },
  { key: 'rejected', label: 'rejected', unit: 'requests', of: (s) => s.requests.rejected },
  { key: 'timedOut', label: 'timed out', unit: 'requests', of: (s) => s.requests.timedOut },
  { key: 'ttftP95Ms', label: 'TTFT p95 (rollout)', unit: 'ms', of: (s) => rolloutLatency(s).ttftP95Ms },
  { key: 'tpotP95Ms', label: 'TPOT p95 (rollout)', unit: 'ms', of: (s) => rolloutLatency(s).tpotP95Ms },
  { key: 'e2eP95Ms', label: 'E2E p95 (rollout)', unit: 'ms', of: (s) => rolloutLatency(s).e2eP95Ms },
  { key: 'spikeRatio', label: 'TTFT p95 spike ratio', unit: 'ratio', of: (s) => s.latency.spikeRatio },
  { key: 'peakGpus', label: 'peak GPUs', unit: 'GPUs', of: (s) => s.capacity.peakGpus },
  { key: 'surgeGpus', label: 'extra GPUs (peak − steady)', unit: 'GPUs', of: (s) => s.capacity.surgeGpus },
  { key: 'nodeGpuHours', label: 'node GPU-hours', unit: 'GPU-hours', of: (s) => s.capacity.nodeGpuHours },
  { key: 'nodesAdded', label: 'nodes added', unit: 'nodes', of: (s) => s.capacity.nodesAdded },
];

export type MetricValues = Record<RunMetricKey, number | null>;

export function metricValues(summary: StableSummary): MetricValues {
  return Object.fromEntries(RUN_METRICS.map((m) => [m.key, m.of(summary)])) as MetricValues;
}

/** Mean ± 95% CI of each metric over the runs that measured it (null when none did). */
export function estimateMetrics(runs: readonly MetricValues[]): Record<RunMetricKey, Estimate | null> {
  const out = {} as Record<RunMetricKey, Estimate | null>;
  for (const { key } of RUN_METRICS) {
    out[key] = estimate(runs.map((r) => r[key]).filter((v): v is number => v !== null));
  }
  return out;
}
