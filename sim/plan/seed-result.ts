import type { MetricValues } from '../batch/run-metrics.js';
import type { RolloutOutcome } from '../metrics/summary-types.js';

/** One seed of a configuration. */
export interface SeedResult {
  readonly seed: number;
  /** 'error': the configuration did not load (see error). */
  readonly outcome: RolloutOutcome | 'error';
  readonly values: MetricValues | null;
  /** Node GPU-hours beyond the scenario's own fleet over the simulated time: what the rollout adds to the bill. */
  readonly extraGpuHours: number | null;
  readonly error?: string;
}
