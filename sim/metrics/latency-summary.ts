import { InternalError } from '../errors.js';
import { gridFields, statisticMs, SUMMARY_LATENCY } from './latency-fields.js';
import type { QuantileView } from './sketch.js';
import type { LatencyStats, Summary } from './summary-types.js';
import { ALL_SLOTS, E2E, METRICS, newLatencySketches } from './window-stats.js';
import type { WindowStats } from './window-stats.js';

/** Where the rollout is, as far as it has happened: a start or an end, once set, never changes. */
export interface RolloutBounds {
  rolloutStart: number | null;
  rolloutEnd: number | null;
}

export const NO_ROLLOUT: RolloutBounds = { rolloutStart: null, rolloutEnd: null };

/**
 * The peak window must hold at least this many TTFT samples: one slow request in an almost idle window is
 * noise, not a spike, and would otherwise dominate the spike ratio.
 */
export const MIN_PEAK_WINDOW_SAMPLES = 5;

/** Relative slack for float noise in times, e.g. 3 × 0.1 = 0.30000000000000004 is still the end of window 2. */
export const TIME_EPS = 1e-9;

/** Index of the right-closed window (kW, (k+1)W] holding time `at`. */
export function windowIndex(at: number, windowSeconds: number): number {
  if (!(at >= 0 && at < Infinity)) throw new InternalError(`metrics: expected a finite time ≥ 0, got ${at}`);
  return Math.max(0, Math.ceil(at / windowSeconds - TIME_EPS) - 1);
}

/** Index of the first rollout window: the one holding the start, unless the start is its very beginning. */
export function firstRolloutWindow(start: number, windowSeconds: number): number {
  return Math.floor(start / windowSeconds + TIME_EPS);
}

const SUMMARY_FIELDS = gridFields(SUMMARY_LATENCY);

/** TTFT, TPOT and E2E, indexed by metric. */
class LatencySketches {
  readonly byMetric = newLatencySketches();
  /** Windows merged in: the first and the last (-1 while none). */
  first = -1;
  last = -1;

  add(window: WindowStats, index: number): void {
    // Each metric in window order, each window's versions in slot order: the sums (and so the means) add up
    // in the same order whatever the grouping of windows.
    for (const metric of METRICS) window.mergeLatency(this.byMetric[metric], metric, ALL_SLOTS);
    if (this.first < 0) this.first = index;
    this.last = index;
  }

  stats(): LatencyStats {
    const stats = {} as LatencyStats;
    for (const field of SUMMARY_FIELDS) stats[field.name] = statisticMs(this.byMetric[field.metricIndex], field.statistic);
    stats.samples = this.byMetric[E2E].count;
    return stats;
  }
}

/**
 * Overall, baseline and rollout latency, accumulated as windows close (in order), so that no window has to be
 * kept for the summary. A window belongs to the baseline when it ends at or before the rollout start, and to
 * the rollout from there through the window holding the rollout end (the run's end while it has not ended).
 * Without a rollout the whole run is the baseline. A window closes only after its end, so the rollout bounds
 * known then decide its part for good; the summary checks that the final bounds agree.
 *
 * The peak window is the rollout window with the highest TTFT p95 among those with at least
 * MIN_PEAK_WINDOW_SAMPLES TTFT samples (the first one on a tie); its `at` is the window end.
 * spikeRatio = peak / baseline TTFT p95.
 */
export class LatencySummaryBuilder {
  private readonly overall = new LatencySketches();
  private readonly baseline = new LatencySketches();
  private readonly rollout = new LatencySketches();
  private peak: Summary['latency']['peakWindow'] = { ttftP95Ms: null, at: null };
  private windows = 0;

  constructor(private readonly windowSeconds: number) {}

  /** Window `index` (the next one) closed; `ttft` is its TTFT over every version. */
  add(window: WindowStats, index: number, ttft: QuantileView, bounds: RolloutBounds): void {
    if (index !== this.windows) throw new InternalError(`metrics: window ${index} closed out of order (expected ${this.windows})`);
    this.windows++;
    this.overall.add(window, index);
    const { rolloutStart, rolloutEnd } = bounds;
    const first = rolloutStart === null ? Infinity : firstRolloutWindow(rolloutStart, this.windowSeconds);
    if (index < first) {
      this.baseline.add(window, index);
      return;
    }
    const last = rolloutEnd === null ? Infinity : Math.max(first, windowIndex(rolloutEnd, this.windowSeconds));
    if (index > last) return;
    this.rollout.add(window, index);
    if (ttft.count < MIN_PEAK_WINDOW_SAMPLES) return;
    const p95Ms = statisticMs(ttft, 'p95') as number;
    if (this.peak.ttftP95Ms === null || p95Ms > this.peak.ttftP95Ms) this.peak = { ttftP95Ms: p95Ms, at: window.end };
  }

  /** The latency summary once every window has closed, with the rollout's final bounds. */
  summary(bounds: RolloutBounds): Summary['latency'] {
    const { rolloutStart, rolloutEnd } = bounds;
    const lastWindow = this.windows - 1;
    if (rolloutStart === null && rolloutEnd !== null) {
      throw new InternalError(`metrics: rollout end ${rolloutEnd}s without a start`);
    }
    if (rolloutStart !== null && (!(rolloutStart >= 0) || (rolloutEnd !== null && !(rolloutEnd >= rolloutStart)))) {
      throw new InternalError(`metrics: bad rollout bounds [${rolloutStart}, ${rolloutEnd}]`);
    }
    const first = rolloutStart === null ? this.windows : firstRolloutWindow(rolloutStart, this.windowSeconds);
    const last =
      rolloutEnd === null ? lastWindow : Math.min(lastWindow, Math.max(first, windowIndex(rolloutEnd, this.windowSeconds)));
    this.checkParts(Math.min(first, this.windows), first, last, bounds);
    const overall = this.overall.stats();
    if (rolloutStart === null) {
      return { overall, baseline: overall, rollout: this.rollout.stats(), peakWindow: this.peak, spikeRatio: null };
    }
    const baseline = this.baseline.stats();
    const peak = this.peak;
    return {
      overall,
      baseline,
      rollout: this.rollout.stats(),
      peakWindow: peak,
      spikeRatio: peak.ttftP95Ms !== null && baseline.ttftP95Ms ? peak.ttftP95Ms / baseline.ttftP95Ms : null,
    };
  }

  /** The windows given to the baseline and the rollout as they closed must be those the final bounds name. */
  private checkParts(baselineWindows: number, first: number, last: number, bounds: RolloutBounds): void {
    const rolloutOk = first > last ? this.rollout.first < 0 : this.rollout.first === first && this.rollout.last === last;
    if (this.baseline.last + 1 !== baselineWindows || !rolloutOk) {
      throw new InternalError(
        `metrics: the rollout bounds [${bounds.rolloutStart}, ${bounds.rolloutEnd}] changed after windows closed ` +
          `(baseline windows 0..${this.baseline.last}, rollout windows ${this.rollout.first}..${this.rollout.last})`,
      );
    }
  }
}
