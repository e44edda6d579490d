import type { Estimate } from '../sim/batch/confidence.js';
import type { MetricUnit, RunMetric } from '../sim/batch/run-metrics.js';
import { MISSING, formatDecimal, formatDuration, formatMs } from './format.js';

/** A value in a metric's unit, for people: "15m 42s", "412 ms", "×2.3", "3.5 GPU-hours". */
export function formatInUnit(unit: MetricUnit, value: number | null): string {
  if (value === null) return MISSING;
  switch (unit) {
    case 'seconds':
      return formatDuration(value);
    case 'ms':
      return formatMs(value);
    case 'ratio':
      return `×${value.toFixed(2)}`;
    case 'GPU-hours':
      return formatDecimal(value, 2);
    case 'requests':
    case 'runs':
    case 'GPUs':
    case 'nodes':
      return formatDecimal(value, Number.isInteger(value) ? 0 : 1);
  }
}

/** A difference of two values in a unit (a margin, an overshoot, a CI half-width): a ratio's is a plain number. */
export function formatDifference(unit: MetricUnit, value: number): string {
  return unit === 'ratio' ? value.toFixed(2) : formatInUnit(unit, value);
}

/** "15m 42s ± 31 s" (mean ± 95% CI half-width); a single run or no spread shows the mean alone. */
export function formatEstimateIn(unit: MetricUnit, e: Estimate | null): string {
  if (e === null) return MISSING;
  const mean = formatInUnit(unit, e.mean);
  const spread = formatDifference(unit, e.halfWidth);
  // A spread that rounds to nothing at the shown precision is left out ("0.00 ± 0.00" says no more than "0.00").
  return e.n < 2 || spread === formatDifference(unit, 0) ? mean : `${mean} ± ${spread}`;
}

export function formatEstimateOf(metric: RunMetric, e: Estimate | null): string {
  return formatEstimateIn(metric.unit, e);
}
