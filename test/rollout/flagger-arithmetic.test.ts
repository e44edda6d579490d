/**
 * Flagger's weight arithmetic against the weights its own scheduler tests assert (fluxcd/flagger @15bd6ad5
 * pkg/controller/scheduler_svc_test.go: TestScheduler_ServicePromotion*, primary weights after each run; the
 * canary's are 100 minus those) and the docs' example (stepWeight 20, maxWeight 50: 20, 40, 60, then promotion).
 */
import { describe, expect, it } from 'vitest';
import {
  advanceCanaryWeight,
  analysisInterval,
  canaryWeightSequence,
  flaggerStrategyKind,
  maxWeight,
  metricRange,
  nextStepWeight,
  promotionTrafficShift,
  thresholdProblem,
  versionWeights,
  type FlaggerWeights,
} from '../../sim/rollout/flagger-arithmetic.js';

const analysis = (a: Partial<FlaggerWeights>): FlaggerWeights => ({ iterations: 0, mirror: false, stepWeightPromotion: 0, ...a });

describe('Flagger weights (scheduler_svc_test.go)', () => {
  it.each([
    ['TestScheduler_ServicePromotion', { stepWeight: 20, maxWeight: 50 }, [80, 60, 40]],
    ['TestScheduler_ServicePromotionMaxWeight', { stepWeight: 50, maxWeight: 100 }, [50, 0]],
    ['TestScheduler_ServicePromotionWithWeightsHappyCase', { stepWeights: [1, 2, 10, 80] }, [99, 98, 90, 20]],
    ['TestScheduler_ServicePromotionWithWeightsOverflow', { stepWeights: [1, 2, 10, 200] }, [99, 98, 90, 0]],
  ])('%s: primary weights %j', (_name, a, primaryWeights) => {
    expect(canaryWeightSequence(analysis(a)).map((w) => 100 - w)).toEqual(primaryWeights);
  });

  it('maxWeight: the last stepWeights entry capped at 100, else maxWeight, else 100', () => {
    expect(maxWeight(analysis({ stepWeights: [5, 30] }))).toBe(30);
    expect(maxWeight(analysis({ stepWeights: [5, 300], maxWeight: 20 }))).toBe(100);
    expect(maxWeight(analysis({ stepWeight: 10, maxWeight: 40 }))).toBe(40);
    expect(maxWeight(analysis({ stepWeight: 10 }))).toBe(100);
  });

  it('nextStepWeight with stepWeights: to the next entry, what is left off the entries, 1 at 100', () => {
    const a = analysis({ stepWeights: [10, 25, 60] });
    expect([0, 10, 25, 33, 100].map((w) => nextStepWeight(a, w))).toEqual([10, 15, 35, 67, 1]);
    expect(nextStepWeight(analysis({ stepWeight: 7, stepWeights: [50] }), 0)).toBe(7);
  });

  it('mirror: one mirrored run at 0 (primary 100 %), then the first step without the mirror', () => {
    const a = analysis({ stepWeight: 10, maxWeight: 30, mirror: true });
    const first = advanceCanaryWeight(a, { primary: 100, canary: 0, mirrored: false });
    expect(first).toEqual({ primary: 100, canary: 0, mirrored: true });
    expect(advanceCanaryWeight(a, first)).toEqual({ primary: 90, canary: 10, mirrored: false });
    expect(canaryWeightSequence(a)).toEqual([0, 10, 20, 30]);
  });

  it('promotion traffic shift: all at once by default, else stepWeightPromotion per run', () => {
    const at = { primary: 40, canary: 60, mirrored: false };
    expect(promotionTrafficShift(analysis({}), at)).toEqual({ routes: { primary: 100, canary: 0, mirrored: false }, done: true });
    const a = analysis({ stepWeightPromotion: 25 });
    const one = promotionTrafficShift(a, at);
    expect(one).toEqual({ routes: { primary: 65, canary: 35, mirrored: false }, done: false });
    expect(promotionTrafficShift(a, promotionTrafficShift(a, one.routes).routes).done).toBe(true);
  });

  it('strategy kind, interval clamp and threshold ranges', () => {
    expect(flaggerStrategyKind(analysis({ iterations: 3 }))).toBe('blue-green');
    expect(flaggerStrategyKind(analysis({ stepWeight: 5 }))).toBe('canary');
    expect([5, 10, 30].map(analysisInterval)).toEqual([10, 10, 30]);
    expect(metricRange('request-success-rate', undefined, 99)).toEqual({ min: 99 });
    expect(metricRange('request-duration', undefined, 500)).toEqual({ max: 500 });
    expect(metricRange('request-duration', { min: 1 }, 500)).toEqual({ min: 1 });
    expect(thresholdProblem(501, { max: 500 })).toBe('501 > 500');
    expect(thresholdProblem(98.5, { min: 99 })).toBe('98.50 < 99');
    expect(thresholdProblem(500, { min: 1, max: 500 })).toBeNull();
  });

  it('a primary mid-rolling-update divides its share over its ready pods of each version', () => {
    expect(versionWeights({ primary: 60, canary: 40, mirrored: false }, { old: 1, new: 2 })).toEqual({ old: 20, new: 80 });
    expect(versionWeights({ primary: 60, canary: 40, mirrored: false }, { old: 0, new: 0 })).toEqual({ old: 60, new: 40 });
  });
});
