import { SERIES_COLUMNS } from '../sim/metrics/series.js';
import type { RunResult } from '../sim/run/result.js';
import { writeFileAtomic } from './atomic-write.js';
import { toCsv } from './csv.js';

/** timeseries.csv: one line per window, columns as SERIES_COLUMNS; windows without a latency sample have empty cells. */
export function renderTimeseriesCsv(result: RunResult): string {
  return toCsv(result.series, SERIES_COLUMNS);
}

export function writeTimeseriesCsv(path: string, result: RunResult): void {
  writeFileAtomic(path, renderTimeseriesCsv(result));
}
