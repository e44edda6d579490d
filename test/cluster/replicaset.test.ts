import { describe, expect, it } from 'vitest';
import { constant } from '../../sim/engine/distributions.js';
import { harness, pool } from './harness.js';

const zero = constant(0);
/** Created → Ready exactly 10 s later (pull 10 s, no readiness probe), as rollout-semantics.md §6 assumes. */
const TEN_SECONDS = { imagePull: constant(10), processStart: zero, weightLoad: zero, compile: zero, graphCapture: zero, kvProfile: zero, warmup: zero };
const noProbes = { readiness: null, liveness: null, startup: null };

describe('ReplicaSet controller', () => {
  it('rollout-semantics.md §6 Example 1 with G = 30 s: pods holding GPUs 6, 8, 7, 5, 4', () => {
    const h = harness({ pools: [pool({ nodes: 2 })] });
    // The old pods spend their whole grace period terminating (preStop sleep = G), as the example assumes.
    const pod = { probes: noProbes, preStopSleep: 30, terminationGracePeriodSeconds: 30, minReadySeconds: 0 };
    const old = h.cluster.createReplicaSet(h.template({ name: 'old', pod }));
    const fresh = h.cluster.createReplicaSet(h.template({ name: 'new', version: 'new', pod, startupInput: TEN_SECONDS }));
    h.cluster.initialFleet(old, 4);
    const steps: Array<[number, number, number]> = [
      [0, 3, 2],
      [10, 1, 4],
      [20, 0, 4],
    ];
    for (const [t, o, n] of steps) {
      const act = h.sim.handler(() => {
        h.cluster.setReplicas(old, o);
        h.cluster.setReplicas(fresh, n);
      });
      h.sim.at(t, act);
    }
    const held: Array<[number, number]> = [];
    const sample = h.sim.handler((t) => held.push([t, h.cluster.stats().gpusHeld]));
    for (const t of [5, 15, 25, 35, 45, 55]) h.sim.at(t, sample, t);
    h.sim.run(60);
    expect(held).toEqual([
      [5, 6],
      [15, 8],
      [25, 8],
      [35, 7],
      [45, 5],
      [55, 4],
    ]);
    expect(h.cluster.summary().peakGpus).toBe(8);
    expect(h.cluster.status(fresh)).toMatchObject({ replicas: 4, availableReplicas: 4 });
    expect(h.cluster.status(old)).toMatchObject({ replicas: 0, existing: 0 });
  });

  it('scales down Pending pods first, then not-ready ones, then the most recently Ready', () => {
    const h = harness({ pools: [pool({ nodes: 1 })] });
    const t = h.template({ tensorParallel: 2, pod: { probes: noProbes, preStopSleep: 0, terminationGracePeriodSeconds: 30, minReadySeconds: 0 }, startupInput: TEN_SECONDS });
    const rs = h.cluster.createReplicaSet(t);
    h.cluster.initialFleet(rs, 2); // pods 0, 1: Ready at 0
    const grow = h.sim.handler(() => h.cluster.setReplicas(rs, 3)); // pod 2 at 60, Ready at 70
    const grow2 = h.sim.handler(() => h.cluster.setReplicas(rs, 6)); // pod 3 at 100 (starting), pods 4, 5 Pending
    h.sim.at(60, grow);
    h.sim.at(100, grow2);
    h.sim.run(105);
    expect(h.cluster.stats().pendingPods).toBe(2);
    const order: number[] = [];
    let replicas = 6;
    while (replicas > 0) {
      replicas--;
      const before = new Set(h.cluster.pods.filter((p) => p.active).map((p) => p.podId));
      h.cluster.setReplicas(rs, replicas);
      const after = new Set(h.cluster.pods.filter((p) => p.active).map((p) => p.podId));
      order.push(...[...before].filter((id) => !after.has(id)));
    }
    // Pending 4, 5 (by UID); then the container-less pod 3 (phase Pending); then Ready 2 (Ready for 35 s: log2 bucket
    // 35 of the nanoseconds, younger than 0 and 1 at 105 s: bucket 36); then 0, 1 by UID.
    expect(order).toEqual([4, 5, 3, 2, 0, 1]);
  });

  it('Ready ages in the same log2 bucket fall back to the UID (LogarithmicScaleDown)', () => {
    const h = harness({ pools: [pool({ nodes: 1 })] });
    const t = h.template({ pod: { probes: noProbes, preStopSleep: 0, terminationGracePeriodSeconds: 30, minReadySeconds: 0 }, startupInput: TEN_SECONDS });
    const rs = h.cluster.createReplicaSet(t);
    h.cluster.initialFleet(rs, 1); // pod 0: Ready since 0
    const grow = h.sim.handler(() => h.cluster.setReplicas(rs, 2)); // pod 1: Ready at 15
    const shrink = h.sim.handler(() => h.cluster.setReplicas(rs, 1));
    h.sim.at(5, grow);
    h.sim.at(105, shrink);
    h.sim.run(106);
    // Ages 105 s and 90 s are both in bucket 36: the older pod 0 goes (lower UID), not the more recently Ready one.
    expect(h.cluster.pods.filter((p) => p.active).map((p) => p.podId)).toEqual([1]);
  });

  it('rejects a negative or fractional replica count', () => {
    const h = harness();
    const rs = h.cluster.createReplicaSet(h.template());
    expect(() => h.cluster.setReplicas(rs, -1)).toThrow(/expected a whole number/);
    expect(() => h.cluster.setReplicas(rs, 1.5)).toThrow(/expected a whole number/);
  });
});
