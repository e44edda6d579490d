import { describe, expect, it } from 'vitest';
import type { Estimate } from '../../sim/batch/confidence.js';
import { intCount, percent } from '../../sim/config/int-or-percent.js';
import type { PlanConfig } from '../../sim/plan/config.js';
import type { Evaluation } from '../../sim/plan/evaluation.js';
import { compareCost, knobDifferences, neighboursOf, paretoFront, rankFeasible } from '../../sim/plan/ranking.js';

const est = (mean: number): Estimate => ({ mean, halfWidth: 0, lo: mean, hi: mean, n: 2 });

const config = (over: Partial<PlanConfig> = {}): PlanConfig => ({
  strategy: { kind: 'rollingUpdate', maxSurge: intCount(1), maxUnavailable: intCount(0) },
  preStopSeconds: 5,
  shutdownTimeoutSeconds: 60,
  terminationGracePeriodSeconds: 70,
  readiness: { kind: 'health', periodSeconds: 10 },
  minReadySeconds: 0,
  headroomNodes: 0,
  ...over,
});

function evaluation(id: number, m: { xh: number; peak: number; dur: number; surge?: number; spike?: number }, over: Partial<Evaluation> = {}): Evaluation {
  return {
    id: `c${id}`,
    stage: 'test',
    label: `c${id}`,
    config: config(),
    overrides: {},
    seeds: [],
    checks: [],
    feasible: true,
    stoppedOn: [],
    metrics: {
      extraGpuHours: est(m.xh),
      peakGpus: est(m.peak),
      rolloutSeconds: est(m.dur),
      surgeGpus: est(m.surge ?? 0),
      spikeRatio: est(m.spike ?? 1),
    } as Evaluation['metrics'],
    ...over,
  };
}

describe('cost order', () => {
  it('compares extra GPU-hours, then peak GPUs, then duration, then the grace period, then the id', () => {
    const cheap = evaluation(5, { xh: 1, peak: 50, dur: 900 });
    const pricier = evaluation(1, { xh: 1.2, peak: 40, dur: 100 });
    const biggerPeak = evaluation(2, { xh: 1, peak: 52, dur: 100 });
    const slower = evaluation(3, { xh: 1, peak: 50, dur: 950 });
    const longerGrace = evaluation(4, { xh: 1, peak: 50, dur: 900 }, { config: config({ terminationGracePeriodSeconds: 600 }) });
    const sameButLater = evaluation(6, { xh: 1, peak: 50, dur: 900 });
    const order = rankFeasible([sameButLater, longerGrace, slower, biggerPeak, pricier, cheap]).map((e) => e.id);
    expect(order).toEqual(['c5', 'c6', 'c4', 'c3', 'c2', 'c1']);
  });

  it('ignores differences below its resolution (0.1 GPU-hour, 1 GPU, 10 s): noise must not decide', () => {
    const a = evaluation(1, { xh: 1.79, peak: 45.3, dur: 958 });
    const b = evaluation(2, { xh: 1.8, peak: 45.4, dur: 955 });
    expect(compareCost(a, b)).toBeLessThan(0);
    expect(compareCost(b, a)).toBeGreaterThan(0);
    const c = evaluation(3, { xh: 1.6, peak: 45.3, dur: 958 });
    expect(compareCost(c, a)).toBeLessThan(0);
  });

  it('leaves infeasible configurations out of the ranking', () => {
    expect(rankFeasible([evaluation(1, { xh: 0, peak: 1, dur: 1 }, { feasible: false })])).toEqual([]);
  });
});

describe('paretoFront', () => {
  it('keeps the feasible configurations no other beats on duration, extra GPUs and spike, fastest first', () => {
    const fastBig = evaluation(1, { xh: 5, peak: 0, dur: 100, surge: 8, spike: 2 });
    const slowSmall = evaluation(2, { xh: 1, peak: 0, dur: 900, surge: 1, spike: 2 });
    const calm = evaluation(3, { xh: 9, peak: 0, dur: 500, surge: 16, spike: 1 });
    const dominated = evaluation(4, { xh: 2, peak: 0, dur: 950, surge: 2, spike: 3 });
    const infeasibleBest = evaluation(5, { xh: 0, peak: 0, dur: 10, surge: 0, spike: 1 }, { feasible: false });
    const tie = evaluation(6, { xh: 1, peak: 0, dur: 900, surge: 1, spike: 2 });
    expect(paretoFront([dominated, calm, slowSmall, fastBig, infeasibleBest, tie]).map((e) => e.id)).toEqual(['c1', 'c3', 'c2', 'c6']);
  });
});

describe('neighbours', () => {
  it('are the configurations one knob away, with the change spelled out', () => {
    const base = evaluation(1, { xh: 0, peak: 0, dur: 0 });
    const surge = evaluation(2, { xh: 0, peak: 0, dur: 0 }, { config: config({ strategy: { kind: 'rollingUpdate', maxSurge: intCount(2), maxUnavailable: intCount(0) } }) });
    const two = evaluation(3, { xh: 0, peak: 0, dur: 0 }, { config: config({ preStopSeconds: 10, minReadySeconds: 30 }) });
    const grace = evaluation(4, { xh: 0, peak: 0, dur: 0 }, { config: config({ terminationGracePeriodSeconds: 90 }) });
    const other = evaluation(5, { xh: 0, peak: 0, dur: 0 }, { config: config({ strategy: { kind: 'blueGreen', scaleDownDelaySeconds: 30, previewReplicaCount: null } }) });
    expect(knobDifferences(base, surge, 4)).toEqual({ maxSurge: '1 → 2' });
    expect(neighboursOf(base, [base, surge, two, grace, other], 4).map((e) => e.id)).toEqual(['c2']);
  });

  it('compare budgets by the pods they resolve to, and show them as written', () => {
    const base = evaluation(1, { xh: 0, peak: 0, dur: 0 });
    const spelled = evaluation(2, { xh: 0, peak: 0, dur: 0 }, { config: config({ strategy: { kind: 'rollingUpdate', maxSurge: percent(25), maxUnavailable: intCount(0) } }) });
    const half = evaluation(3, { xh: 0, peak: 0, dur: 0 }, { config: config({ strategy: { kind: 'rollingUpdate', maxSurge: percent(50), maxUnavailable: intCount(0) } }) });
    // 25% of 4 replicas is the 1 pod base surges by; of 8 it is 2.
    expect(knobDifferences(base, spelled, 4)).toEqual({});
    expect(knobDifferences(base, spelled, 8)).toEqual({ maxSurge: '1 → 25%' });
    expect(knobDifferences(base, half, 4)).toEqual({ maxSurge: '1 → 50%' });
    expect(neighboursOf(base, [base, spelled, half], 4).map((e) => e.id)).toEqual(['c3']);
  });
});
