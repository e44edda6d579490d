import { describe, expect, it } from 'vitest';
import { intCount, percent } from '../../sim/config/int-or-percent.js';
import type { RollingUpdateParams } from '../../sim/rollout/fenceposts.js';
import { proportionalScale, type ScalableRs } from '../../sim/rollout/proportional-scaling.js';

const rs = (id: number, spec: number, createdAt: number, maxReplicasAnnotation?: number, available = 0): ScalableRs => ({
  id,
  spec,
  available,
  createdAt,
  maxReplicasAnnotation,
});

const deployment = (replicas: number, surge = percent(25), unavailable = percent(25)): RollingUpdateParams => ({
  replicas,
  maxSurge: surge,
  maxUnavailable: unavailable,
});

describe('proportionalScale (k8s sync.go scale)', () => {
  it('spreads a scale-up over the ReplicaSets in proportion to their sizes', () => {
    // 10 → 15 at 25%: max 13 → 19, toAdd 6; new round(8·19/13) = 12 (+4), old round(5·19/13) = 7 (+2).
    const actions = proportionalScale(deployment(15), rs(2, 8, 10, 13), [rs(1, 5, 0, 13)], 13);
    expect(actions).toEqual([
      { type: 'scaleRS', id: 2, replicas: 12 },
      { type: 'scaleRS', id: 1, replicas: 7 },
    ]);
  });

  it('gives the rounding leftover to the largest ReplicaSet, and on equal sizes the newer grows first', () => {
    // 4 → 5, surge 1 int: max 5 → 6, Σ 5 (3 + 2... here 2 + 2 + 1), toAdd 1.
    // Fractions: round(2·6/5) − 2 = 0 for both 2s, round(1·6/5) − 1 = 0 ⇒ leftover 1 to the first: the newer 2.
    const d = deployment(5, intCount(1), intCount(0));
    const actions = proportionalScale(d, rs(3, 2, 20, 5), [rs(1, 1, 0, 5), rs(2, 2, 10, 5)], 5);
    expect(actions).toEqual([
      { type: 'scaleRS', id: 3, replicas: 3 },
      { type: 'scaleRS', id: 2, replicas: 2 },
      { type: 'scaleRS', id: 1, replicas: 1 },
    ]);
  });

  it('scales down the larger and, among equals, the older ReplicaSet first', () => {
    // 8 → 4, surge 0 int / unavailable 1: max 8 → 4, toAdd −4 over 4 + 4: old first: round(4·4/8) − 4 = −2 each.
    const d = deployment(4, intCount(0), intCount(1));
    const actions = proportionalScale(d, rs(2, 4, 10, 8), [rs(1, 4, 0, 8)], 8);
    expect(actions).toEqual([
      { type: 'scaleRS', id: 1, replicas: 2 },
      { type: 'scaleRS', id: 2, replicas: 2 },
    ]);
  });

  it('a single active ReplicaSet takes the new size; a saturated new one takes all and old ones go to 0', () => {
    expect(proportionalScale(deployment(6), rs(2, 0, 10, 5), [rs(1, 4, 0, 5)], 4)).toEqual([{ type: 'scaleRS', id: 1, replicas: 6 }]);
    expect(proportionalScale(deployment(6), null, [], 0)).toEqual([]);
    expect(proportionalScale(deployment(4), rs(2, 4, 10, 5, 4), [rs(1, 1, 0, 5)], 5)).toEqual([{ type: 'scaleRS', id: 1, replicas: 0 }]);
  });

  it('scaling the Deployment to 0 empties every ReplicaSet', () => {
    const actions = proportionalScale(deployment(0), rs(2, 3, 10, 5), [rs(1, 2, 0, 5)], 5);
    expect(actions).toEqual([
      { type: 'scaleRS', id: 2, replicas: 0 },
      { type: 'scaleRS', id: 1, replicas: 0 },
    ]);
  });
});
