import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BEHAVIOR,
  externalAverageReplicas,
  externalValueReplicas,
  hpaDecision,
  HpaMemory,
  podsMetricReplicas,
  scaleDownLimit,
  scaleUpLimit,
  stabilize,
  type Behavior,
} from '../../sim/rollout/hpa.js';

const reading = (values: number[], missing = 0, unready = 0) => ({ values, missing, unready });

describe('replica calculation (replica_calculator.go, its test cases)', () => {
  it('scales a Pods metric by the ratio of the average to the target', () => {
    // The HPA docs: 200m against 100m doubles the replicas, 50m halves them.
    expect(podsMetricReplicas(2, reading([200, 200]), 100, 0.1)).toBe(4);
    expect(podsMetricReplicas(2, reading([50, 50]), 100, 0.1)).toBe(1);
    // TestReplicaCalcScaleUpCM: 3 pods at 20000/10000/30000 against 15000 ⇒ 4.
    expect(podsMetricReplicas(3, reading([20000, 10000, 30000]), 15000, 0.1)).toBe(4);
    // TestReplicaCalcScaleDownCM: 5 pods at 12000 against 20000 ⇒ 3.
    expect(podsMetricReplicas(5, reading([12000, 12000, 12000, 12000, 12000]), 20000, 0.1)).toBe(3);
  });

  it('keeps the size within the tolerance (TestReplicaCalcToleranceCM)', () => {
    expect(podsMetricReplicas(3, reading([20000, 21000, 21000]), 20000, 0.1)).toBe(3);
    expect(podsMetricReplicas(3, reading([20000, 21000, 21000]), 20000, 0.01)).toBe(4);
  });

  it('counts pods without metrics as the target on a scale-down and 0 on a scale-up', () => {
    // Scale-down: 2 pods at 10 (target 20) + 2 missing at 20 ⇒ average 15 ⇒ ceil(0.75·4) = 3.
    expect(podsMetricReplicas(4, reading([10, 10], 2), 20, 0.1)).toBe(3);
    // Scale-up: 2 pods at 40 + 2 missing at 0 ⇒ average 20 = target ⇒ no change.
    expect(podsMetricReplicas(4, reading([40, 40], 2), 20, 0.1)).toBe(4);
    // Scale-up: 2 pods at 60 + 1 missing at 0 ⇒ 40 ⇒ ceil(2·3) = 6.
    expect(podsMetricReplicas(3, reading([60, 60], 1), 20, 0.1)).toBe(6);
  });

  it('counts pending pods as 0 on a scale-up only', () => {
    // 2 at 30 (target 10) + 2 pending: 60/4 = 15 ⇒ ratio 1.5 ⇒ 6.
    expect(podsMetricReplicas(4, reading([30, 30], 0, 2), 10, 0.1)).toBe(6);
    // Scale-down: pending pods are set aside: ceil(0.5·2) = 1.
    expect(podsMetricReplicas(4, reading([5, 5], 0, 2), 10, 0.1)).toBe(1);
  });

  it('does not act without any metric', () => {
    expect(podsMetricReplicas(4, reading([], 4), 10, 0.1)).toBeNull();
  });

  it('external metrics: Value and AverageValue targets', () => {
    // TestReplicaCalcScaleUpCMExternal: 8600 against 4400, 1 ready pod ⇒ 2.
    expect(externalValueReplicas(1, 1, 8600, 4400, 0.1)).toBe(2);
    expect(externalValueReplicas(3, 3, 4500, 4400, 0.1)).toBe(3);
    // TestReplicaCalcScaleUpPerPodCMExternal: 8600, 2150 per pod, 3 pods ⇒ 4.
    expect(externalAverageReplicas(3, 8600, 2150, 0.1)).toBe(4);
    // TestReplicaCalcScaleDownPerPodCMExternal: 8600, 2867 per pod, 5 pods ⇒ 3.
    expect(externalAverageReplicas(5, 8600, 2867, 0.1)).toBe(3);
    expect(externalAverageReplicas(5, 8600, 1800, 0.1)).toBe(5);
  });
});

describe('behavior: rate policies (horizontal.go)', () => {
  it('default scale-up: the larger of 100% and 4 pods per 15 s, counted from the period start', () => {
    const m = new HpaMemory();
    const up = DEFAULT_BEHAVIOR.scaleUp;
    expect(scaleUpLimit(m, up, 0, 2)).toBe(6); // max(2·2, 2+4)
    expect(scaleUpLimit(m, up, 0, 10)).toBe(20); // max(10·2, 10+4)
    m.scaleUps.push({ t: 0, value: 4 }); // 2 → 6 at t=0
    expect(scaleUpLimit(m, up, 10, 6)).toBe(6); // the period still starts at 2
    expect(scaleUpLimit(m, up, 15, 6)).toBe(12); // the event left the 15 s period
  });

  it('selectPolicy Min takes the smaller proposal; Disabled keeps the size', () => {
    const m = new HpaMemory();
    expect(scaleUpLimit(m, { ...DEFAULT_BEHAVIOR.scaleUp, selectPolicy: 'Min' }, 0, 10)).toBe(14);
    expect(scaleUpLimit(m, { ...DEFAULT_BEHAVIOR.scaleUp, selectPolicy: 'Disabled' }, 0, 10)).toBe(10);
  });

  it('scale-down by 10% per 60 s: 80 → 72 → 64 (the HPA docs example, truncated proposals)', () => {
    const m = new HpaMemory();
    const rules = { stabilizationWindowSeconds: 0, selectPolicy: 'Max' as const, policies: [{ type: 'Percent' as const, value: 10, periodSeconds: 60 }] };
    expect(scaleDownLimit(m, rules, 0, 80)).toBe(72);
    m.scaleDowns.push({ t: 0, value: 8 });
    expect(scaleDownLimit(m, rules, 30, 72)).toBe(72); // the period started at 80
    expect(scaleDownLimit(m, rules, 61, 72)).toBe(64);
  });
});

describe('stabilization and the full decision', () => {
  it('holds a scale-down at the highest recommendation of the window', () => {
    const m = new HpaMemory();
    const b = DEFAULT_BEHAVIOR;
    expect(stabilize(m, b, 0, 10, 10)).toBe(10);
    expect(stabilize(m, b, 15, 10, 4)).toBe(10); // 10 recommended at t=0 is still in the 300 s window
    expect(stabilize(m, b, 301, 10, 4)).toBe(4); // t=0 left the window; t=15's 4 is the highest
  });

  it('a load spike: up at once within the policies, down only after the 300 s window', () => {
    const m = new HpaMemory();
    const bounds = { minReplicas: 2, maxReplicas: 30 };
    let current = 4;
    current = hpaDecision(m, DEFAULT_BEHAVIOR, bounds, 15, current, 40);
    expect(current).toBe(8); // max(4·2, 4+4)
    current = hpaDecision(m, DEFAULT_BEHAVIOR, bounds, 30, current, 40);
    expect(current).toBe(16);
    current = hpaDecision(m, DEFAULT_BEHAVIOR, bounds, 45, current, 40);
    expect(current).toBe(30); // maxReplicas
    for (let t = 60; t <= 330; t += 15) {
      current = hpaDecision(m, DEFAULT_BEHAVIOR, bounds, t, current, 1);
      expect(current).toBe(30);
    }
    current = hpaDecision(m, DEFAULT_BEHAVIOR, bounds, 360, current, 1);
    expect(current).toBe(2); // the 40s left the window; minReplicas
  });

  it('clamps a size outside min/max first and keeps it without a recommendation', () => {
    const b: Behavior = DEFAULT_BEHAVIOR;
    expect(hpaDecision(new HpaMemory(), b, { minReplicas: 3, maxReplicas: 5 }, 0, 8, 8)).toBe(5);
    expect(hpaDecision(new HpaMemory(), b, { minReplicas: 3, maxReplicas: 5 }, 0, 1, null)).toBe(3);
    expect(hpaDecision(new HpaMemory(), b, { minReplicas: 3, maxReplicas: 5 }, 0, 4, null)).toBe(4);
  });
});
