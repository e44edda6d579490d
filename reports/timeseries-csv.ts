import { join } from 'node:path';
import { SERIES_COLUMNS } from '../sim/metrics/series.js';
import type { SeriesRow } from '../sim/metrics/series.js';
import type { RunResult } from '../sim/run/result.js';
import { AtomicFile, stagingPath, writeFileAtomic, type StagedFile } from './atomic-write.js';
import { toCsv, toCsvRows } from './csv.js';

/**
 * timeseries.csv: one line per row, columns as SERIES_COLUMNS; windows without a latency sample have empty
 * cells. From result.series, this is every window unless the run merged windows for display (long runs):
 * stream the windows with TimeseriesCsvStream instead.
 */
export function renderTimeseriesCsv(result: RunResult): string {
  return toCsv(result.series, SERIES_COLUMNS);
}

export function writeTimeseriesCsv(path: string, result: RunResult): void {
  writeFileAtomic(path, renderTimeseriesCsv(result));
}

/**
 * Rows held before a write (about five minutes of 10 s windows). Few enough that they die young: rows held for
 * 256 windows outlived the young generation and piled up as garbage in the old one, and a week-long run peaked
 * at 240 MB instead of 136 MB.
 */
const ROWS_PER_WRITE = 32;

/**
 * timeseries.csv written window by window while the run goes (hand `write` to RunOptions.onWindow), the same
 * bytes renderTimeseriesCsv gives for an unmerged series, without the run keeping its windows. Nothing touches
 * the disk before the first write (a run that fails early leaves nothing); the file appears whole when
 * committed, e.g. by writeRunOutputs, and `abort` drops it.
 */
export class TimeseriesCsvStream implements StagedFile {
  readonly name = 'timeseries.csv';
  private file: AtomicFile | null = null;
  private pending: SeriesRow[] = [];

  /** Streams into a file beside output folder `dir`, which writeOutputFolder moves into the folder. */
  constructor(private readonly dir: string) {}

  readonly write = (row: SeriesRow): void => {
    this.pending.push(row);
    if (this.pending.length >= ROWS_PER_WRITE) this.flush();
  };

  commitAs(path: string): void {
    this.flush();
    (this.file as AtomicFile).commitAs(path);
  }

  abort(): void {
    this.file?.abort();
    this.pending = [];
  }

  private flush(): void {
    if (this.file === null) {
      this.file = new AtomicFile(join(this.dir, this.name), stagingPath(this.dir));
      this.file.write(toCsv([], SERIES_COLUMNS));
    }
    if (this.pending.length === 0) return;
    this.file.write(toCsvRows(this.pending, SERIES_COLUMNS));
    this.pending = [];
  }
}
