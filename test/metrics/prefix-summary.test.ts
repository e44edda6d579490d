import { describe, expect, it } from 'vitest';
import { PrefixSummaryBuilder } from '../../sim/metrics/prefix-summary.js';
import { GAUGE_FIELDS } from '../../sim/metrics/series.js';
import { WindowStats } from '../../sim/metrics/window-stats.js';

/** Feeds 10 s windows of 1,000 looked-up tokens with these hits, the rollout from 60 s to 100 s. */
function summarise(hits: readonly number[], bounds = { rolloutStart: 60 as number | null, rolloutEnd: 100 as number | null }) {
  const builder = new PrefixSummaryBuilder(10);
  const window = new WindowStats();
  hits.forEach((hit, index) => {
    window.reset(index * 10);
    window.gauges[GAUGE_FIELDS.indexOf('prefixQueryTokens')] = hit < 0 ? 0 : 1000;
    window.gauges[GAUGE_FIELDS.indexOf('prefixHitTokens')] = Math.max(0, hit);
    builder.add(window, index, bounds);
  });
  return builder.summary();
}

describe('prefix-cache summary', () => {
  it('takes the baseline over its second half, the rollout through the window of its end, and the worst rollout window', () => {
    // Windows 0-5 baseline (cold caches first), 6-9 rollout, 10-11 after it.
    const s = summarise([0, 200, 400, 600, 600, 600, 500, 300, 550, 600, 100, 100]);
    expect(s.baselineHitRate).toBeCloseTo(0.6, 12);
    expect(s.rolloutHitRate).toBeCloseTo(1950 / 4000, 12);
    expect(s.rolloutMinWindowHitRate).toBeCloseTo(0.3, 12);
    expect(s.dip).toBeCloseTo(0.3, 12);
    expect(s.hitRate).toBeCloseTo(4550 / 12000, 12);
  });

  it('is null where nothing was looked up, and has no baseline or dip without a rollout', () => {
    expect(summarise([-1, -1, -1])).toEqual({ hitRate: null, baselineHitRate: null, rolloutHitRate: null, rolloutMinWindowHitRate: null, dip: null });
    const noRollout = summarise([500, 500], { rolloutStart: null, rolloutEnd: null });
    expect(noRollout).toEqual({ hitRate: 0.5, baselineHitRate: null, rolloutHitRate: null, rolloutMinWindowHitRate: null, dip: null });
    // A rollout window without lookups does not count as its worst.
    expect(summarise([500, 500, 500, 500, 500, 500, -1, 400, 500, 500]).rolloutMinWindowHitRate).toBe(0.4);
  });
});
