import { describe, expect, it } from 'vitest';
import { compareForDeletion, logarithmicRankDiff, type RankedPod } from '../../sim/cluster/pod-ranking.js';

const base: RankedPod = {
  id: 10,
  assigned: true,
  phase: 'Running',
  ready: true,
  readySince: 100,
  deletionCost: 0,
  colocated: 1,
  restarts: 0,
  createdAt: 50,
};
const NOW = 1000;

/** [case, a's differences from base, b's differences, which goes first] */
const TABLE: Array<[string, Partial<RankedPod>, Partial<RankedPod>, 'a' | 'b']> = [
  ['unassigned before assigned', { assigned: false, phase: 'Pending', ready: false }, {}, 'a'],
  ['unassigned wins even when created earlier', { assigned: false, phase: 'Pending', ready: false, createdAt: 0 }, { createdAt: 900 }, 'a'],
  ['Pending before Running', { phase: 'Pending', ready: false }, { ready: false }, 'a'],
  ['Pending before Unknown', { phase: 'Pending', ready: false }, { phase: 'Unknown', ready: false }, 'a'],
  ['Unknown before Running', { phase: 'Unknown', ready: false }, { ready: false }, 'a'],
  ['not ready before ready', { ready: false }, {}, 'a'],
  ['lower deletion cost first', { deletionCost: -5 }, {}, 'a'],
  ['more co-located pods first', {}, { colocated: 3 }, 'b'],
  ['ready for a shorter time first (different log2 bucket)', { readySince: 990 }, { readySince: 100 }, 'a'],
  ['ready times in one log2 bucket: by UID', { id: 20, readySince: 600 }, { id: 5, readySince: 610 }, 'b'],
  ['more restarts first', { restarts: 1 }, {}, 'a'],
  ['newer first (different bucket)', { createdAt: 990 }, { createdAt: 10 }, 'a'],
  ['creation in one bucket: lower UID first', { id: 3, createdAt: 500 }, { id: 4, createdAt: 520 }, 'a'],
  ['readiness ranks before restarts', { ready: false }, { restarts: 7 }, 'a'],
  ['restarts rank before age', { restarts: 2, createdAt: 0 }, { createdAt: 999 }, 'a'],
];

describe('compareForDeletion (ActivePodsWithRanks.Less)', () => {
  for (const [name, aDiff, bDiff, first] of TABLE) {
    it(name, () => {
      const a = { ...base, id: 1, ...aDiff };
      const b = { ...base, id: 2, ...bDiff };
      const sign = Math.sign(compareForDeletion(a, b, NOW));
      expect(sign).toBe(first === 'a' ? -1 : 1);
      expect(Math.sign(compareForDeletion(b, a, NOW))).toBe(-sign);
    });
  }

  it('identical pods with equal ids are a tie', () => {
    expect(compareForDeletion(base, { ...base }, NOW)).toBe(0);
  });

  it('sorts a mixed set into the Kubernetes order', () => {
    const pods: RankedPod[] = [
      { ...base, id: 1 },
      { ...base, id: 2, assigned: false, phase: 'Pending', ready: false },
      { ...base, id: 3, ready: false },
      { ...base, id: 4, readySince: 995 },
      { ...base, id: 5, phase: 'Pending', ready: false },
    ];
    const order = [...pods].sort((a, b) => compareForDeletion(a, b, NOW)).map((p) => p.id);
    expect(order).toEqual([2, 5, 3, 4, 1]);
  });
});

describe('logarithmicRankDiff', () => {
  it('buckets ages by floor(log2(nanoseconds))', () => {
    // 1 s = 1e9 ns → bucket 29; 1.5 s → 30 (2^30 ≈ 1.07e9); 0 s → -1
    expect(logarithmicRankDiff(999, 998.5, 1000)).toBe(29 - 30);
    expect(logarithmicRankDiff(1000, 999, 1000)).toBe(-1 - 29);
    expect(logarithmicRankDiff(0, 0.5, 1000)).toBe(0);
  });
});
