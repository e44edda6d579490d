import { firstRolloutWindow, windowIndex, type RolloutBounds } from './latency-summary.js';
import { GAUGE_FIELDS } from './series.js';
import type { PrefixCacheSummary } from './summary-types.js';
import type { WindowStats } from './window-stats.js';

const QUERIES = GAUGE_FIELDS.indexOf('prefixQueryTokens');
const HITS = GAUGE_FIELDS.indexOf('prefixHitTokens');

/** Query and hit tokens of a stretch of windows. */
class Tokens {
  queries = 0;
  hits = 0;
  add(queries: number, hits: number): void {
    this.queries += queries;
    this.hits += hits;
  }
  rate(): number | null {
    return this.queries > 0 ? this.hits / this.queries : null;
  }
}

/**
 * The fleet's prefix-cache hit rate over the run, before the rollout and during it, and the rollout's worst
 * window: accumulated as windows close, with the baseline and rollout windows chosen as for latency
 * (LatencySummaryBuilder). The baseline rate is that of the baseline's second half: every server starts with an
 * empty prefix cache, so the first windows of a run measure the fleet filling its caches, not its steady state.
 */
export class PrefixSummaryBuilder {
  private readonly overall = new Tokens();
  /** Baseline windows, to take the second half of once the rollout starts (a run without one keeps none). */
  private readonly baselineWindows: number[] = [];
  private readonly rollout = new Tokens();
  private rolloutMin: number | null = null;

  constructor(private readonly windowSeconds: number) {}

  add(window: WindowStats, index: number, bounds: RolloutBounds): void {
    const queries = window.gauges[QUERIES];
    const hits = window.gauges[HITS];
    this.overall.add(queries, hits);
    const { rolloutStart, rolloutEnd } = bounds;
    const first = rolloutStart === null ? Infinity : firstRolloutWindow(rolloutStart, this.windowSeconds);
    if (index < first) {
      if (first !== Infinity) this.baselineWindows.push(queries, hits);
      return;
    }
    const last = rolloutEnd === null ? Infinity : Math.max(first, windowIndex(rolloutEnd, this.windowSeconds));
    if (index > last) return;
    this.rollout.add(queries, hits);
    if (queries > 0 && (this.rolloutMin === null || hits / queries < this.rolloutMin)) this.rolloutMin = hits / queries;
  }

  summary(): PrefixCacheSummary {
    const steady = new Tokens();
    const windows = this.baselineWindows.length / 2;
    for (let w = Math.floor(windows / 2); w < windows; w++) steady.add(this.baselineWindows[2 * w], this.baselineWindows[2 * w + 1]);
    const baseline = steady.rate();
    const rolloutMin = this.rolloutMin;
    return {
      hitRate: this.overall.rate(),
      baselineHitRate: baseline,
      rolloutHitRate: this.rollout.rate(),
      rolloutMinWindowHitRate: rolloutMin,
      dip: baseline !== null && rolloutMin !== null ? baseline - rolloutMin : null,
    };
  }
}
