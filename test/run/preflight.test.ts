import { describe, expect, it } from 'vitest';
import { preflight, smallestPassing } from '../../sim/run/preflight.js';
import { loadScenarioText } from '../../sim/scenario/load.js';
import { run, scenario, type Doc } from '../validation/scenario-kit.js';

/** Four TP1 pods filling one 4-GPU node, a surge-first rolling update at t=10 s. */
function fullNode(patch: Doc = {}): Doc {
  return scenario({
    duration: '300s',
    cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 4, nodes: 1 }], autoscaler: 'none' },
    rollout: { at: '10s', strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
    ...patch,
  });
}

/** The same fleet on an 8-GPU node: room enough, so only what the patch adds can block it. */
function roomyNode(cluster: Doc): Doc {
  return fullNode({ cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 1 }], autoscaler: 'none', ...cluster } });
}

const check = (doc: Doc, overrides: string[] = []) => preflight(loadScenarioText(JSON.stringify(doc), { overrides }));

describe('preflight verdicts', () => {
  it('gpu-capacity: the surge pod has no node; every fix it names finishes when applied to the scenario', () => {
    const doc = fullNode();
    const report = check(doc);
    expect(report).toMatchObject({ verdict: 'stalled', outcome: 'stalled', blockedBy: 'gpu-capacity', minExtraGpus: 4 });
    expect(report.fixes.map((f) => f.kind)).toEqual(['budgets', 'extra-gpus', 'recreate']);
    // Independently of preflight's own re-runs: the scenario with each fix written in finishes.
    const budgets = ['spec.rollout.strategy.rollingUpdate.maxSurge=0', 'spec.rollout.strategy.rollingUpdate.maxUnavailable=1'];
    expect(check(doc, budgets).verdict).toBe('completes');
    expect(check(doc, ['spec.cluster.nodePools[0].nodes=2']).verdict).toBe('completes');
  });

  it('quota: the ResourceQuota refuses the surge pod; the fewest extra GPUs is one pod\'s', () => {
    const doc = roomyNode({ resourceQuota: { gpus: 4 } });
    const report = check(doc);
    expect(report).toMatchObject({ verdict: 'stalled', blockedBy: 'quota', minExtraGpus: 1 });
    expect(report.reason).toContain('FailedCreate: exceeded quota: requests.nvidia.com/gpu, requested: 1, used: 4, limited: 4');
    expect(report.fixes[0].text).toContain('maxSurge: 0, maxUnavailable: 1');
    expect(check(doc, ['spec.cluster.resourceQuota.gpus=5']).verdict).toBe('completes');
    // Other workloads' requests count against the same quota.
    expect(check(roomyNode({ resourceQuota: { gpus: 6, usedElsewhere: 2 } })).blockedBy).toBe('quota');
  });

  it('quota: the refused pod is never created (FailedCreate on the ReplicaSet) and no GPU beyond the quota is held', () => {
    const result = run(roomyNode({ resourceQuota: { gpus: 4 } }));
    expect(result.summary.rollout).toMatchObject({ outcome: 'stalled', blockedBy: 'quota' });
    expect(result.summary.capacity.peakGpus).toBe(4);
    const failed = result.events.filter((e) => e.event === 'FailedCreate');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0].reason).toContain('exceeded quota: requests.nvidia.com/gpu, requested: 1, used: 4, limited: 4');
    expect(result.events.some((e) => e.event === 'Created' && e.version === 'new')).toBe(false);
  });

  it('kueue: surge pods stay SchedulingGated at the nominal quota; borrowing from the cohort lets it finish', () => {
    const gated = roomyNode({ kueue: { nominalQuota: 4 } });
    expect(check(gated)).toMatchObject({ verdict: 'stalled', blockedBy: 'kueue', minExtraGpus: 1 });
    const result = run(gated);
    expect(result.events.some((e) => e.event === 'SchedulingGated' && e.version === 'new')).toBe(true);
    expect(result.summary.rollout.blockedBy).toBe('kueue');
    expect(check(roomyNode({ kueue: { nominalQuota: 4, cohortUnused: 1 } })).verdict).toBe('completes');
    expect(check(roomyNode({ kueue: { nominalQuota: 4, cohortUnused: 1, borrowingLimit: 0 } })).blockedBy).toBe('kueue');
  });

  it('stockout: the pool may grow but every VM request fails; reserving a node lets it finish', () => {
    const pools = (stockout: Doc) => [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 4, nodes: 1, maxNodes: 2, stockout }];
    const out = fullNode({ cluster: { nodePools: pools({ windows: [{ from: '0s', to: '24h' }] }), autoscaler: 'generic' } });
    expect(check(out)).toMatchObject({ verdict: 'stalled', blockedBy: 'stockout', minExtraGpus: 4 });
    const result = run(out);
    expect(result.events.some((e) => e.event === 'FailedScaleUp')).toBe(true);
    expect(result.summary.capacity.nodesAdded).toBe(0);
    // A window that ends, or a chance of failure, only delays it.
    expect(check(fullNode({ cluster: { nodePools: pools({ windows: [{ from: '0s', to: '30m' }] }), autoscaler: 'generic' } })).verdict).toBe('completes');
    expect(check(fullNode({ cluster: { nodePools: pools({ probability: 0.5 }), autoscaler: 'generic' } })).verdict).toBe('completes');
  });

  it('gpu-capacity, not stockout, when the autoscaler has reached maxNodes', () => {
    const capped = fullNode({ cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 4, nodes: 1, maxNodes: 1 }], autoscaler: 'generic' } });
    expect(check(capped).blockedBy).toBe('gpu-capacity');
  });

  it('crash-loop: the new version never starts; no GPU count or budget helps', () => {
    const report = check(roomyNode({}), ['spec.rollout.newVersion.crashOnStart=true']);
    expect(report).toMatchObject({ verdict: 'stalled', blockedBy: 'crash-loop', minExtraGpus: null, fixes: [] });
  });

  it('analysis-paused: a canary paused without a duration and never promoted', () => {
    const doc = roomyNode({});
    (doc.spec as Doc).rollout = { at: '10s', strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } };
    expect(check(doc)).toMatchObject({ verdict: 'stalled', blockedBy: 'analysis-paused', minExtraGpus: null });
    (doc.spec as Doc).rollout = { at: '10s', promoteAt: ['200s'], strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } };
    expect(check(doc).verdict).toBe('completes');
  });

  it('image-pull: a pull that outlasts the progress deadline holds the rollout; one the run cut short does not', () => {
    const doc = roomyNode({});
    (doc.spec as Doc).startup = { ...((doc.spec as Doc).startup as Doc), imagePull: '2h' };
    // Unfinished at the end of the run, but the pull was still progressing: not blocked.
    expect(run(doc).summary.rollout).toMatchObject({ outcome: 'stalled', blockedBy: 'none', fix: null });
    (doc.spec as Doc).rollout = { ...((doc.spec as Doc).rollout as Doc), progressDeadlineSeconds: 60 };
    const result = run(doc);
    expect(result.summary.rollout).toMatchObject({ outcome: 'stalled', blockedBy: 'image-pull', fix: null });
    expect(result.summary.capacity.minExtraGpus).toBeNull();
    expect(check(doc).verdict).toBe('completes'); // it finishes once the pull does
  });

  it('a rollout only too slow for the run: held by capacity at its end, but no extra GPU needed', () => {
    // A scale-up takes the CA's 30 s delay plus minutes of VM and driver start-up: the 90 s run ends first.
    const doc = fullNode({ duration: '90s', cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 4, nodes: 1, maxNodes: 2 }], autoscaler: 'generic' } });
    const result = run(doc);
    expect(result.summary.rollout).toMatchObject({ outcome: 'stalled', blockedBy: 'gpu-capacity', fix: null });
    expect(result.summary.capacity.minExtraGpus).toBe(0);
  });

  it('a completed rollout reports no blocker', () => {
    const result = run(roomyNode({}));
    expect(result.summary.rollout).toMatchObject({ outcome: 'completed', blockedBy: 'none', fix: null });
    expect(result.summary.capacity.minExtraGpus).toBeNull();
    expect(check(roomyNode({})).verdict).toBe('completes');
  });
});

describe('smallestPassing', () => {
  it('finds the first passing count of a monotone test, or null when even the most fails', () => {
    const calls: number[] = [];
    expect(smallestPassing(16, (n) => (calls.push(n), n >= 5))).toBe(5);
    expect(calls.length).toBeLessThanOrEqual(6);
    expect(smallestPassing(4, () => false)).toBeNull();
    expect(smallestPassing(4, () => true)).toBe(1);
  });
});
