import { InternalError } from '../errors.js';
import { statisticMs } from './latency-fields.js';
import { CAUSE_COLUMNS, GAUGE_FIELDS, GAUGES, pdRatio, prefixHitRate, SERIES_COLUMNS, SERIES_LATENCY_FIELDS } from './series.js';
import type { GaugeMerge, SeriesRow } from './series.js';
import type { QuantileView } from './sketch.js';
import { ALL_SLOTS, COMPLETED, DROPPED, METRICS, newLatencySketches, OUTCOMES, REJECTED, TIMED_OUT, TTFT } from './window-stats.js';
import type { WindowStats } from './window-stats.js';

const MERGE = GAUGE_FIELDS.map((field) => GAUGES[field]);

/**
 * Every column, in SERIES_COLUMNS order. A row copied from it has all its properties from the start, so V8 keeps
 * it compact (about 0.8 KB); one built by adding some 60 computed keys becomes a 3.5 KB dictionary.
 */
const ROW_SHAPE = Object.fromEntries(SERIES_COLUMNS.map((column) => [column, 0])) as unknown as SeriesRow;

function merged(merge: GaugeMerge, current: number, value: number): number {
  if (merge === 'sum') return current + value;
  return merge === 'min' ? Math.min(current, value) : Math.max(current, value);
}

/**
 * One point of the time series: a closed window, or several consecutive ones merged. Counts add up, output
 * tokens per second are over the whole span, latency quantiles come from the merged sketches (so they are as
 * exact as one window's), gauges take their highest or lowest sample or add up (GAUGES). A point of one window is that
 * window's row exactly.
 */
export class SeriesPoint {
  private windowCount = 0;
  private start = 0;
  private end = 0;
  private arrivals = 0;
  private outputTokens = 0;
  private readonly finished = new Float64Array(OUTCOMES);
  private readonly causes = new Float64Array(CAUSE_COLUMNS.length);
  /** TTFT, TPOT and E2E of every version, in seconds. */
  private readonly latency = newLatencySketches();
  private readonly gauges = new Float64Array(GAUGE_FIELDS.length);

  /** Windows merged so far. */
  get windows(): number {
    return this.windowCount;
  }

  /** TTFT of every version over the point. */
  get ttft(): QuantileView {
    return this.latency[TTFT];
  }

  /** Adds the next window (sampled, and later than every window added so far). */
  add(window: WindowStats): void {
    if (!(window.end > window.start) || (this.windowCount > 0 && window.start < this.end)) {
      throw new InternalError(
        `SeriesPoint.add: window (${window.start}, ${window.end}] is not sampled or not after the point's end ${this.end}`,
      );
    }
    if (this.windowCount === 0) this.start = window.start;
    this.end = window.end;
    this.arrivals += window.arrivals;
    this.outputTokens += window.outputTokens;
    for (let outcome = 0; outcome < OUTCOMES; outcome++) this.finished[outcome] += window.finishedCount(outcome, ALL_SLOTS);
    for (let i = 0; i < this.causes.length; i++) this.causes[i] += window.causes[i];
    for (const metric of METRICS) window.mergeLatency(this.latency[metric], metric, ALL_SLOTS);
    for (let i = 0; i < this.gauges.length; i++) {
      const value = window.gauges[i];
      const current = this.gauges[i];
      this.gauges[i] = this.windowCount === 0 ? value : merged(MERGE[i], current, value);
    }
    this.windowCount++;
  }

  row(): SeriesRow {
    if (this.windowCount === 0) throw new InternalError('SeriesPoint.row: no window added');
    const seconds = this.end - this.start;
    const row = { ...ROW_SHAPE };
    row.t = this.end;
    row.windowSeconds = seconds;
    row.arrivals = this.arrivals;
    row.completed = this.finished[COMPLETED];
    row.outputTokensPerSec = this.outputTokens / seconds;
    for (const field of SERIES_LATENCY_FIELDS) row[field.name] = statisticMs(this.latency[field.metricIndex], field.statistic);
    row.dropped = this.finished[DROPPED];
    row.rejected = this.finished[REJECTED];
    row.timedOut = this.finished[TIMED_OUT];
    CAUSE_COLUMNS.forEach((column, i) => (row[column] = this.causes[i]));
    GAUGE_FIELDS.forEach((field, i) => (row[field] = this.gauges[i]));
    row.prefixHitRate = prefixHitRate(row);
    row.pdRatioOld = pdRatio(row.prefillReadyOld, row.decodeReadyOld);
    row.pdRatioNew = pdRatio(row.prefillReadyNew, row.decodeReadyNew);
    return row;
  }

  clear(): void {
    this.windowCount = 0;
    this.arrivals = 0;
    this.outputTokens = 0;
    this.finished.fill(0);
    this.causes.fill(0);
    for (const sketch of this.latency) sketch.clear();
  }
}
