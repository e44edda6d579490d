import { describe, expect, it } from 'vitest';
import type { GroupClusterConfig } from '../../sim/cluster/group-cluster.js';
import { intCount } from '../../sim/config/int-or-percent.js';
import { constant } from '../../sim/engine/distributions.js';
import { coordinatedPartitions, coordinatedSteps, runPdRollout, type PdRolloutMode, type PdRolloutSpec } from '../../sim/rollout/pd-rollout.js';
import { fleetPdLatency, kvTransferSeconds, pdLatency, ratioDrift, type PdReplicaCosts } from '../../sim/serving/disaggregation.js';

const costs: PdReplicaCosts = { prefillSeconds: 0.5, decodeStepFixed: 0.03, decodeStepPerSeq: 0.0002, transferSeconds: kvTransferSeconds(4096, 70272, 50e9, 20e-6) };

describe('P/D arithmetic', () => {
  it('KV transfer is latency + bytes per token × prompt / bandwidth', () => {
    expect(kvTransferSeconds(4096, 70272, 50e9, 20e-6)).toBeCloseTo(20e-6 + (4096 * 70272) / 50e9, 12);
  });

  it('TTFT adds M/D/1 queueing and the transfer; TPOT follows the decode batch (Little)', () => {
    const l = pdLatency(2, 2, { rate: 2, outputTokens: 200 }, costs);
    expect(l.prefillUtilisation).toBe(0.5);
    expect(l.ttft).toBeCloseTo(0.5 + 0.25 + costs.transferSeconds, 12);
    // 200 tokens/s per decode replica: b = 200 × 0.03 / (1 − 200 × 0.0002) = 6.25, TPOT = 0.03 + 0.0002 × 6.25.
    expect(l.decodeBatch).toBeCloseTo(6.25, 9);
    expect(l.tpot).toBeCloseTo(0.03125, 12);
    expect(pdLatency(1, 1, { rate: 3, outputTokens: 1 }, costs).ttft).toBe(Infinity);
  });

  it('ratio drift and version-pinned routing: a version with prefill but no decode takes no traffic', () => {
    expect(ratioDrift({ old: 1, new: 3 }, { old: 2, new: 0 }, 4, 2)).toBe(3);
    expect(ratioDrift({ old: 2, new: 2 }, { old: 1, new: 1 }, 4, 2)).toBe(0);
    const skewed = fleetPdLatency({ old: 1, new: 3 }, { old: 2, new: 0 }, { rate: 1.5, outputTokens: 200 }, { old: costs, new: costs });
    const even = fleetPdLatency({ old: 2, new: 2 }, { old: 1, new: 1 }, { rate: 1.5, outputTokens: 200 }, { old: costs, new: costs });
    expect(skewed.ttft).toBeGreaterThan(even.ttft * 2);
  });

  it('coordinated partitions step both roles by the same share of their replicas', () => {
    const c = { maxUnavailable: intCount(0), maxSurge: intCount(1), partition: 0 };
    const steps = coordinatedSteps({ prefill: { ...c, replicas: 4 }, decode: { ...c, replicas: 2 } });
    expect(steps).toBe(4);
    expect([1, 2, 3, 4].map((i) => coordinatedPartitions({ prefill: 4, decode: 2 }, steps, i))).toEqual([
      { prefill: 3, decode: 1 },
      { prefill: 2, decode: 1 },
      { prefill: 1, decode: 0 },
      { prefill: 0, decode: 0 },
    ]);
  });
});

describe('a P/D fleet rolled out: independent roles against a coordinated rollout', () => {
  const pool = (nodes: number, size: number, startup: number): GroupClusterConfig => ({
    nodes,
    gpusPerNode: 8,
    shape: { old: { size, gpusPerPod: 8, onePodPerNode: true }, new: { size, gpusPerPod: 8, onePodPerNode: true } },
    memberStartup: { old: constant(startup), new: constant(startup) },
    startupPolicy: 'LeaderCreated',
    restartPolicy: 'RecreateGroupOnPodRestart',
    terminationSeconds: 30,
  });
  const run = (mode: PdRolloutMode) => {
    // LWS's defaults in both roles: maxUnavailable 1, maxSurge 0.
    const budgets = { maxUnavailable: intCount(1), maxSurge: intCount(0), partition: 0 };
    const spec: PdRolloutSpec = {
      roles: {
        prefill: { cluster: pool(5, 1, 300), rollout: { ...budgets, replicas: 4 } },
        decode: { cluster: pool(6, 2, 900), rollout: { ...budgets, replicas: 2 } },
      },
      mode,
      at: 60,
      duration: 4 * 3600,
      seed: 1,
      load: { rate: 4, outputTokens: 300 },
      costs: { old: costs, new: costs },
    };
    return runPdRollout(spec).summary;
  };

  it('independent roles drift off the ratio and overload the version whose pools lag; coordinated keeps it within one group', () => {
    const independent = run('independent');
    const coordinated = run('coordinated');
    expect(independent.outcome).toBe('completed');
    expect(coordinated.outcome).toBe('completed');
    expect(independent.maxRatioDrift).toBeGreaterThanOrEqual(2);
    expect(coordinated.maxRatioDrift).toBeLessThanOrEqual(1);
    expect(independent.maxTtftSeconds + independent.unservableSeconds).toBeGreaterThan(coordinated.maxTtftSeconds + coordinated.unservableSeconds);
    // Coordination costs time: each step waits for the slower (decode) role.
    expect(coordinated.durationSeconds as number).toBeGreaterThan(independent.durationSeconds as number);
  });
});
