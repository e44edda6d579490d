import { describe, expect, it } from 'vitest';
import {
  activeSetCanaryScale,
  approximateWeightedCanaryStableReplicaCounts,
  calculateReplicaCountsForBasicCanary,
  currentSetWeight,
  trafficRoutedReplicaCounts,
  trafficWeightToReplicas,
  type CanaryStepLike,
} from '../../sim/rollout/canary-arithmetic.js';
import { intCount, percent, type IntOrPercent } from '../../sim/config/int-or-percent.js';

describe('approximateWeightedCanaryStableReplicaCounts', () => {
  it.each([
    [0, 0, 4],
    [10, 1, 4], // 1/4 = 25% vs 1/5 = 20%: the surge pod wins
    [25, 1, 3],
    [50, 2, 2],
    [75, 3, 1],
    [100, 4, 0],
  ])('replicas 4, maxSurge 1, weight %i ⇒ (canary %i, stable %i) (rollout-semantics.md §3.3)', (w, canary, stable) => {
    expect(approximateWeightedCanaryStableReplicaCounts(4, w, 1)).toEqual({ canary, stable });
  });

  it('keeps both sides non-empty for weights strictly between 0 and 100, and breaks .5 ties upward', () => {
    expect(approximateWeightedCanaryStableReplicaCounts(3, 50, 0)).toEqual({ canary: 2, stable: 1 });
    expect(approximateWeightedCanaryStableReplicaCounts(10, 1, 0)).toEqual({ canary: 1, stable: 9 });
    expect(approximateWeightedCanaryStableReplicaCounts(10, 99, 0)).toEqual({ canary: 9, stable: 1 });
    // a single replica without surge is the one case allowed to round to zero
    expect(approximateWeightedCanaryStableReplicaCounts(1, 20, 0)).toEqual({ canary: 0, stable: 1 });
    expect(approximateWeightedCanaryStableReplicaCounts(0, 50, 1)).toEqual({ canary: 0, stable: 0 });
  });
});

interface Case {
  replicas: number;
  weight: number;
  surge: IntOrPercent;
  unavailable: IntOrPercent;
  stable: [spec: number, available: number];
  canary: [spec: number, available: number];
  olderSpec?: number;
  expected: [canary: number, stable: number];
}

function basic(c: Case) {
  return calculateReplicaCountsForBasicCanary({
    rollout: { replicas: c.replicas, maxSurge: c.surge, maxUnavailable: c.unavailable },
    weight: c.weight,
    stable: { spec: c.stable[0], available: c.stable[1] },
    canary: { spec: c.canary[0], available: c.canary[1] },
    olderSpec: c.olderSpec ?? 0,
  });
}

describe('calculateReplicaCountsForBasicCanary', () => {
  it.each<[string, Case]>([
    ['R10 w10 surge1/unavail1 from (0,10) ⇒ (1,9)', { replicas: 10, weight: 10, surge: intCount(1), unavailable: intCount(1), stable: [10, 10], canary: [0, 0], expected: [1, 9] }],
    ['R10 w30 surge3/unavail0 ⇒ (3,10)', { replicas: 10, weight: 30, surge: intCount(3), unavailable: intCount(0), stable: [10, 10], canary: [0, 0], expected: [3, 10] }],
    ['R10 w30 surge0/unavail5 ⇒ (0,7)', { replicas: 10, weight: 30, surge: intCount(0), unavailable: intCount(5), stable: [10, 10], canary: [0, 0], expected: [0, 7] }],
    ['R1 w5 surge1/unavail0 ⇒ (1,1)', { replicas: 1, weight: 5, surge: intCount(1), unavailable: intCount(0), stable: [1, 1], canary: [0, 0], expected: [1, 1] }],
    ['R1 w95 surge1/unavail0 ⇒ (1,1)', { replicas: 1, weight: 95, surge: intCount(1), unavailable: intCount(0), stable: [1, 1], canary: [0, 0], expected: [1, 1] }],
  ])('Argo source comment: %s', (_, c) => {
    expect(basic(c)).toEqual({ canary: c.expected[0], stable: c.expected[1] });
  });

  // Expectations of argo-rollouts utils/replicaset/canary_test.go TestCalculateReplicaCountsForCanary.
  it.each<[string, Case]>([
    ['scale down extra stable replicas', { replicas: 10, weight: 20, surge: percent(20), unavailable: intCount(0), stable: [10, 10], canary: [2, 2], expected: [2, 8] }],
    ['max surge and max unavailable together', { replicas: 10, weight: 50, surge: intCount(2), unavailable: intCount(1), stable: [10, 10], canary: [0, 0], expected: [2, 9] }],
    ['scale down canary and stable toward the weight', { replicas: 10, weight: 30, surge: intCount(0), unavailable: intCount(3), stable: [8, 5], canary: [4, 4], expected: [3, 7] }],
    ['drain an unavailable stable without breaking availability', { replicas: 10, weight: 100, surge: intCount(1), unavailable: intCount(0), stable: [10, 2], canary: [10, 8], expected: [9, 2] }],
    ['do not round past maxSurge (5% of 10, surge 0)', { replicas: 10, weight: 5, surge: intCount(0), unavailable: intCount(1), stable: [10, 10], canary: [0, 0], expected: [0, 9] }],
    ['… then the canary gets its pod', { replicas: 10, weight: 5, surge: intCount(0), unavailable: intCount(1), stable: [9, 9], canary: [0, 0], expected: [1, 9] }],
    ['0%/0% resolves to unavailable 1', { replicas: 10, weight: 10, surge: percent(0), unavailable: percent(0), stable: [10, 10], canary: [0, 0], expected: [0, 9] }],
    ['honor maxSurge while the stable is unavailable', { replicas: 4, weight: 100, surge: intCount(1), unavailable: intCount(0), stable: [4, 1], canary: [0, 0], expected: [1, 4] }],
    ['honor maxUnavailable while the stable is unavailable', { replicas: 4, weight: 100, surge: intCount(1), unavailable: intCount(0), stable: [4, 1], canary: [1, 1], expected: [1, 3] }],
    ['scale down to maxUnavailable without exceeding maxSurge', { replicas: 3, weight: 99, surge: intCount(0), unavailable: intCount(2), stable: [3, 3], canary: [0, 0], expected: [0, 1] }],
    ['… part 2', { replicas: 3, weight: 99, surge: intCount(0), unavailable: intCount(2), stable: [1, 1], canary: [0, 0], expected: [2, 1] }],
    ['abort part 1: surge the stable before touching the canary', { replicas: 4, weight: 0, surge: intCount(1), unavailable: intCount(0), stable: [0, 0], canary: [4, 4], expected: [4, 1] }],
    ['abort part 2: nothing while the stable pod is unavailable', { replicas: 4, weight: 0, surge: intCount(1), unavailable: intCount(0), stable: [1, 0], canary: [4, 4], expected: [4, 1] }],
    ['abort part 3: one canary pod goes per available stable pod', { replicas: 4, weight: 0, surge: intCount(1), unavailable: intCount(0), stable: [1, 1], canary: [4, 4], expected: [3, 1] }],
    ['older ReplicaSets are drained first; the stable scales up before the canary', { replicas: 10, weight: 30, surge: intCount(1), unavailable: intCount(0), stable: [1, 1], canary: [0, 0], olderSpec: 3, expected: [1, 7] }],
  ])('%s', (_, c) => {
    expect(basic(c)).toEqual({ canary: c.expected[0], stable: c.expected[1] });
  });

  it('without a stable ReplicaSet the canary goes to replicas', () => {
    expect(
      calculateReplicaCountsForBasicCanary({
        rollout: { replicas: 4, maxSurge: intCount(1), maxUnavailable: intCount(0) },
        weight: 20,
        stable: null,
        canary: { spec: 0, available: 0 },
        olderSpec: 0,
      }),
    ).toEqual({ canary: 4, stable: 0 });
  });
});

describe('traffic-routed canary counts', () => {
  it('canary = ceil(replicas·weight/100), stable stays at replicas', () => {
    expect(trafficWeightToReplicas(10, 5)).toBe(1);
    expect(trafficWeightToReplicas(4, 50)).toBe(2);
    const base = { replicas: 10, dynamicStableScale: false, aborted: false };
    expect(trafficRoutedReplicaCounts({ ...base, weight: 30 })).toEqual({ canary: 3, stable: 10 });
    expect(trafficRoutedReplicaCounts({ ...base, weight: 5, minPodsPerReplicaSet: 2 })).toEqual({ canary: 2, stable: 10 });
    expect(trafficRoutedReplicaCounts({ ...base, weight: 0, minPodsPerReplicaSet: 2 })).toEqual({ canary: 0, stable: 10 });
  });

  it('setCanaryScale replicas or weight decide the canary size (argo canary_test.go cases)', () => {
    expect(trafficRoutedReplicaCounts({ replicas: 1, weight: 100, canaryReplicasOverride: 9, dynamicStableScale: false, aborted: false })).toEqual({ canary: 9, stable: 1 });
    expect(trafficRoutedReplicaCounts({ replicas: 4, weight: 200, dynamicStableScale: false, aborted: false })).toEqual({ canary: 8, stable: 4 });
  });

  it('dynamicStableScale keeps the stable pods for the traffic it still receives, and the canary during an abort', () => {
    const dyn = { replicas: 10, dynamicStableScale: true };
    expect(trafficRoutedReplicaCounts({ ...dyn, weight: 30, aborted: false })).toEqual({ canary: 3, stable: 7 });
    expect(trafficRoutedReplicaCounts({ ...dyn, weight: 30, aborted: false, currentWeights: { canary: 10, stable: 90 } })).toEqual({ canary: 3, stable: 9 });
    expect(trafficRoutedReplicaCounts({ ...dyn, weight: 0, aborted: true, currentWeights: { canary: 30, stable: 70 } })).toEqual({ canary: 3, stable: 10 });
    expect(trafficRoutedReplicaCounts({ ...dyn, weight: 0, aborted: true, currentWeights: { canary: 0, stable: 100 } })).toEqual({ canary: 0, stable: 10 });
  });
});

describe('canary steps', () => {
  const steps: CanaryStepLike[] = [{ setWeight: 20 }, {}, { setWeight: 50 }, {}];

  it('currentSetWeight is the last setWeight at or before the step, 100 past the end, 0 when aborted', () => {
    expect([0, 1, 2, 3, 4].map((i) => currentSetWeight(steps, i, false))).toEqual([20, 20, 50, 50, 100]);
    expect(currentSetWeight(steps, 2, true)).toBe(0);
    expect(currentSetWeight([{}, { setWeight: 10 }], 0, false)).toBe(0);
    expect(currentSetWeight([], 0, false)).toBe(100);
  });

  it('activeSetCanaryScale finds the setCanaryScale in force, cancelled by matchTrafficWeight or no routing', () => {
    const scaled: CanaryStepLike[] = [
      { setWeight: 20 },
      { setCanaryScale: { replicas: 3 } },
      {},
      { setCanaryScale: { matchTrafficWeight: true } },
      {},
    ];
    expect(activeSetCanaryScale(scaled, 0, true)).toBeNull();
    expect(activeSetCanaryScale(scaled, 2, true)).toEqual({ replicas: 3 });
    expect(activeSetCanaryScale(scaled, 4, true)).toBeNull();
    expect(activeSetCanaryScale(scaled, 2, false)).toBeNull();
  });
});
