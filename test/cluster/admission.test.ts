import { describe, expect, it } from 'vitest';
import { GpuAdmission, kueueAdmits, kueueCapacity, quotaAdmits, type KueueConfig } from '../../sim/cluster/admission.js';
import type { Pod } from '../../sim/cluster/pod.js';

const pod = (gpus: number): Pod => ({ gpus }) as Pod;
const queue = (k: Partial<KueueConfig>): KueueConfig => ({ nominalQuota: 8, borrowingLimit: Infinity, cohortUnused: 0, ...k });

describe('ResourceQuota admission on requests.nvidia.com/gpu', () => {
  it('admits up to the hard limit, counting what other workloads of the namespace use', () => {
    expect(quotaAdmits({ hardGpus: 16, usedElsewhere: 0 }, 14, 2)).toBe(true);
    expect(quotaAdmits({ hardGpus: 16, usedElsewhere: 0 }, 16, 2)).toBe(false);
    expect(quotaAdmits({ hardGpus: 16, usedElsewhere: 4 }, 12, 2)).toBe(false);
    expect(quotaAdmits({ hardGpus: 16, usedElsewhere: 4 }, 10, 2)).toBe(true);
  });
});

describe('Kueue ClusterQueue admission', () => {
  it('lends the cohort\'s unused quota up to the borrowing limit', () => {
    expect(kueueCapacity(queue({ nominalQuota: 8, cohortUnused: 16 }))).toBe(24);
    expect(kueueCapacity(queue({ nominalQuota: 8, cohortUnused: 16, borrowingLimit: 4 }))).toBe(12);
    expect(kueueCapacity(queue({ nominalQuota: 8, cohortUnused: 2, borrowingLimit: 4 }))).toBe(10);
    expect(kueueCapacity(queue({ nominalQuota: 8, cohortUnused: 16, borrowingLimit: 0 }))).toBe(8);
  });

  it('admits a workload only when all of its request fits', () => {
    expect(kueueAdmits(queue({ nominalQuota: 8 }), 6, 2)).toBe(true);
    expect(kueueAdmits(queue({ nominalQuota: 8 }), 7, 2)).toBe(false);
    expect(kueueAdmits(queue({ nominalQuota: 8, cohortUnused: 1 }), 7, 2)).toBe(true);
  });
});

describe('GpuAdmission ledger', () => {
  it('gates pods beyond the queue and admits them oldest first as quota is released', () => {
    const ledger = new GpuAdmission(null, queue({ nominalQuota: 4 }));
    const [a, b, c, d] = [pod(2), pod(2), pod(2), pod(2)];
    expect(ledger.created(a)).toBe(true);
    expect(ledger.created(b)).toBe(true);
    expect(ledger.created(c)).toBe(false);
    expect(ledger.created(d)).toBe(false);
    expect(ledger.gated).toEqual([c, d]);
    expect(ledger.gone(a)).toEqual([c]);
    expect(ledger.kueueUsed).toBe(4);
    expect(ledger.gone(d)).toEqual([]); // deleted while gated: only leaves the gate
    expect(ledger.gated).toEqual([]);
    expect(ledger.quotaUsed).toBe(4);
  });

  it('refuses creation over the quota and counts every created pod until it is gone', () => {
    const ledger = new GpuAdmission({ hardGpus: 4, usedElsewhere: 0 }, null);
    const first = pod(2);
    ledger.placed(first);
    expect(ledger.mayCreate(2)).toBe(true);
    ledger.created(pod(2));
    expect(ledger.mayCreate(2)).toBe(false);
    ledger.gone(first);
    expect(ledger.mayCreate(2)).toBe(true);
  });

  it('BestEffortFIFO: a gated pod that does not fit does not hold back a smaller, newer one', () => {
    const ledger = new GpuAdmission(null, queue({ nominalQuota: 4 }));
    const first = pod(2);
    ledger.created(first);
    const big = pod(4);
    expect(ledger.created(big)).toBe(false);
    expect(ledger.created(pod(2))).toBe(true);
    expect(ledger.gated).toEqual([big]);
  });
});
