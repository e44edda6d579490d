import type { Summary } from '../metrics/summary-types.js';
import type { SeriesRow } from '../metrics/series.js';
import type { PodEvent } from '../cluster/event-log.js';
import type { RolloutPhase } from '../rollout/driver.js';

/** One finished request, only collected when asked for (--requests). */
export interface RequestRecord {
  id: number;
  attempt: number;
  version: string;
  pod: number;
  arrival: number;
  firstTokenAt: number | null;
  finishedAt: number;
  promptTokens: number;
  outputTokens: number;
  tokensStreamed: number;
  outcome: 'completed' | 'dropped' | 'rejected' | 'timedOut';
  cause: string;
}

export interface RunResult {
  summary: Summary;
  /**
   * The time series for charts and reports: one row per window, or on runs of more than MAX_SERIES_POINTS
   * windows, adjacent windows merged into one row each (RunOptions.onWindow receives every window).
   */
  series: SeriesRow[];
  events: PodEvent[];
  phases: RolloutPhase[];
  requests?: RequestRecord[];
  /** Scenario name, content hash and the SLO, for report headers. */
  scenario: { name: string; hash: string; slo: { ttftP95?: number; tpotP95?: number; e2eP95?: number } };
  /** Allocatable GPUs of the cluster over time is in the series; this is the configured total at t=0. */
  clusterGpus: number;
}
