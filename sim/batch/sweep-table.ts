import type { Estimate } from './confidence.js';
import type { Overrides } from './override-values.js';
import { estimateMetrics, metricValues, type RunMetricKey } from './run-metrics.js';
import type { SweepRecord } from './sweep-records.js';

/** One grid point of a sweep: its override values and each metric's mean ± 95% CI over its seeds. */
export interface SweepRow {
  readonly point: number;
  readonly grid: Overrides;
  readonly seeds: readonly number[];
  /** Runs that could not be simulated (bad input at this point), with the reason. */
  readonly errors: readonly string[];
  readonly metrics: Record<RunMetricKey, Estimate | null>;
}

export interface SweepTable {
  readonly sweep: string;
  readonly scenario: string;
  readonly gridKeys: readonly string[];
  readonly runs: number;
  readonly rows: readonly SweepRow[];
}

/** Groups the records of a whole sweep (in run order) by grid point. */
export function sweepTable(records: readonly SweepRecord[]): SweepTable {
  const groups = new Map<number, SweepRecord[]>();
  for (const r of records) {
    const point = Number(r.spec.tags?.point);
    const group = groups.get(point) ?? [];
    group.push(r);
    groups.set(point, group);
  }
  const rows = [...groups.entries()].map(([point, group]): SweepRow => {
    const { point: _point, ...grid } = group[0].spec.tags ?? {};
    return {
      point,
      grid,
      seeds: group.map((r) => r.spec.seed),
      errors: group.flatMap((r) => (r.error === undefined ? [] : [r.error])),
      metrics: estimateMetrics(group.flatMap((r) => (r.summary === null ? [] : [metricValues(r.summary)]))),
    };
  });
  return {
    sweep: records[0]?.sweep ?? '',
    scenario: records[0]?.spec.file ?? '',
    gridKeys: Object.keys(rows[0]?.grid ?? {}),
    runs: records.length,
    rows,
  };
}
