import { InternalError } from '../errors.js';
import { SeriesPoint } from './series-point.js';
import type { SeriesRow } from './series.js';
import type { WindowStats } from './window-stats.js';

/**
 * Points a run keeps of its time series for charts and reports: 2,000 points draw a line as fine as a chart is
 * wide, and 2,000 windows of 10 s are 5.5 hours, so shorter runs keep every window unmerged.
 */
export const MAX_SERIES_POINTS = 2000;

/** Windows per point so that `windows` windows make at most `maxPoints` points. */
export function windowsPerPoint(windows: number, maxPoints: number): number {
  if (!(Number.isInteger(maxPoints) && maxPoints >= 1)) {
    throw new InternalError(`expected a whole number of series points ≥ 1, got ${maxPoints}`);
  }
  return Math.max(1, Math.ceil(windows / maxPoints));
}

/**
 * The time series as kept in memory: consecutive closed windows merged `perPoint` at a time (SeriesPoint), so
 * its size is bounded by the run's length over `perPoint` instead of growing with every window. With one window
 * per point the rows are the windows' own rows.
 */
export class DisplaySeries {
  private readonly points: SeriesRow[] = [];
  private readonly open = new SeriesPoint();
  private finished = false;

  constructor(readonly perPoint: number) {
    if (!(Number.isInteger(perPoint) && perPoint >= 1)) {
      throw new InternalError(`DisplaySeries: expected a whole number of windows per point ≥ 1, got ${perPoint}`);
    }
  }

  /** The next closed window, with its own row. */
  add(window: WindowStats, row: SeriesRow): void {
    if (this.finished) throw new InternalError('DisplaySeries.add after finish');
    if (this.perPoint === 1) {
      this.points.push(row);
      return;
    }
    this.open.add(window);
    if (this.open.windows === this.perPoint) this.closePoint();
  }

  /** No more windows: the last, partly filled point is kept too. */
  finish(): void {
    if (this.open.windows > 0) this.closePoint();
    this.finished = true;
  }

  rows(): SeriesRow[] {
    if (!this.finished) throw new InternalError('DisplaySeries.rows before finish');
    return this.points;
  }

  private closePoint(): void {
    this.points.push(this.open.row());
    this.open.clear();
  }
}
