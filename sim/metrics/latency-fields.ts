import type { QuantileView } from './sketch.js';

/**
 * The one definition of the latency fields: which statistics of which metric the time series and the summary
 * carry. Field names, their order, the summary's key order, the computation and the report labels all derive
 * from these grids. A field is named `<metric><Statistic>Ms`, e.g. `ttftP95Ms`.
 */
export const LATENCY_METRICS = ['ttft', 'tpot', 'e2e'] as const;
export type LatencyMetric = (typeof LATENCY_METRICS)[number];

/** How reports name each metric. */
export const LATENCY_LABELS: Readonly<Record<LatencyMetric, string>> = { ttft: 'TTFT', tpot: 'TPOT', e2e: 'E2E' };

/** A statistic of a latency distribution: the mean, or the quantile q. */
const STATISTICS = { mean: null, p50: 0.5, p95: 0.95, p99: 0.99 } as const;
export type Statistic = keyof typeof STATISTICS;

/** The statistics of each metric that a place carries, in field order. */
export type LatencyGrid = { readonly [M in LatencyMetric]: readonly Statistic[] };

export type LatencyFieldName<M extends LatencyMetric, S extends Statistic> = `${M}${Capitalize<S>}Ms`;

/** The field names of a grid, e.g. 'ttftP50Ms' | 'ttftP95Ms' | …. */
export type GridFieldName<G extends LatencyGrid> = {
  [M in LatencyMetric]: LatencyFieldName<M, G[M][number]>;
}[LatencyMetric];

/** A time-series window: quantiles of each metric. */
export const SERIES_LATENCY = {
  ttft: ['p50', 'p95', 'p99'],
  tpot: ['p50', 'p95', 'p99'],
  e2e: ['p50', 'p95', 'p99'],
} as const satisfies LatencyGrid;

/** A stretch of the run in the summary (LatencyStats): overall, baseline, rollout. */
export const SUMMARY_LATENCY = {
  ttft: ['mean', 'p50', 'p95', 'p99'],
  tpot: ['mean', 'p50', 'p95'],
  e2e: ['mean', 'p95'],
} as const satisfies LatencyGrid;

export interface LatencyField<G extends LatencyGrid> {
  name: GridFieldName<G>;
  metric: LatencyMetric;
  /** Position of the metric in LATENCY_METRICS (TTFT 0, TPOT 1, E2E 2). */
  metricIndex: number;
  statistic: Statistic;
}

/** The fields of a grid in order: metric by metric, each metric's statistics as listed. */
export function gridFields<G extends LatencyGrid>(grid: G): LatencyField<G>[] {
  return LATENCY_METRICS.flatMap((metric, metricIndex) =>
    grid[metric].map((statistic) => ({
      name: `${metric}${statistic[0].toUpperCase()}${statistic.slice(1)}Ms` as GridFieldName<G>,
      metric,
      metricIndex,
      statistic,
    })),
  );
}

/** A statistic, in milliseconds, of a distribution recorded in seconds; null while it is empty. */
export function statisticMs(view: QuantileView, statistic: Statistic): number | null {
  const q = STATISTICS[statistic];
  const seconds = q === null ? view.mean : view.quantile(q);
  return seconds === null ? null : seconds * 1000;
}
