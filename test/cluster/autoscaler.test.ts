import { describe, expect, it } from 'vitest';
import { constant } from '../../sim/engine/distributions.js';
import { GENERIC_AUTOSCALER } from '../../sim/cluster/autoscaler.js';
import { harness, pool } from './harness.js';

const fixedNodes = { ...GENERIC_AUTOSCALER, nodeReady: constant(60), gpuAllocatable: constant(75) };

describe('cluster autoscaler', () => {
  it('adds a node for a Pending GPU pod; the pod binds after provisioning + GPU allocatable delay', () => {
    const h = harness({ pools: [pool({ nodes: 1, minNodes: 1, maxNodes: 2 })], autoscaler: fixedNodes });
    const rs = h.cluster.createReplicaSet(h.template({ tensorParallel: 8 }));
    h.cluster.setReplicas(rs, 2);
    h.sim.run(1);
    const pending = h.cluster.pods[1];
    expect(h.timeline(pending)).toEqual([
      [0, 'Created'],
      [0, 'FailedScheduling'],
    ]);
    expect(h.events.find((e) => e.event === 'FailedScheduling')?.reason).toBe('0/1 nodes are available: 1 Insufficient nvidia.com/gpu.');
    expect(h.cluster.stats()).toMatchObject({ pendingPods: 1, nodes: 1 });
    h.sim.run(400);
    // Scans at 0, 10, 20, 30: the pod is 30 s old at the 30 s scan → VM requested at 30, Ready at 90, GPUs at 165.
    expect(h.events.filter((e) => e.pod === '').map((e) => [e.t, e.event])).toEqual([
      [30, 'TriggeredScaleUp'],
      [90, 'NodeReady'],
      [165, 'NodeAllocatable'],
    ]);
    expect(h.timeline(pending).find(([, e]) => e === 'Scheduled')?.[0]).toBe(165);
    expect(pending.node?.name).toBe('gpu-1');
    const summary = h.cluster.summary();
    expect(summary.nodesAdded).toBe(1);
    expect(summary.pendingPodSeconds).toBeCloseTo(165, 9);
    // The new node bills from the VM request at 30: 8 GPUs × (400 − 30) s, plus the first node's 8 × 400 s.
    expect(summary.nodeGpuHours).toBeCloseTo((8 * 370 + 8 * 400) / 3600, 9);
  });

  it('one node for two pods that fit on it; none beyond maxNodes', () => {
    const h = harness({ pools: [pool({ nodes: 1, minNodes: 1, maxNodes: 2 })], autoscaler: fixedNodes });
    const rs = h.cluster.createReplicaSet(h.template({ tensorParallel: 4 }));
    h.cluster.setReplicas(rs, 6);
    h.sim.run(600);
    expect(h.cluster.summary().nodesAdded).toBe(1);
    expect(h.cluster.status(rs).replicas).toBe(6);
    expect(h.cluster.stats()).toMatchObject({ pendingPods: 2, nodes: 2, gpusHeld: 16 });
  });

  it('removes an empty surge node after scale-down-unneeded-time, not before the delay after add', () => {
    const h = harness({ pools: [pool({ nodes: 1, minNodes: 1, maxNodes: 2 })], autoscaler: fixedNodes });
    const rs = h.cluster.createReplicaSet(h.template({ tensorParallel: 8 }));
    h.cluster.setReplicas(rs, 2);
    const down = h.sim.handler(() => h.cluster.setReplicas(rs, 1));
    h.sim.at(300, down);
    h.sim.run(2000);
    // Scale-down deletes the newest pod (on gpu-1), gone at 300; the node is empty from 300, the last scale-up was
    // at 30 → removable at max(300 + 600, 30 + 600) = 900, found by the scan at 900.
    const removed = h.events.find((e) => e.event === 'NodeRemoved');
    expect(removed).toMatchObject({ t: 900, node: 'gpu-1' });
    expect(h.cluster.stats().nodes).toBe(1);
  });

  it('gives up on a node that is not allocatable within maxNodeProvisionTime and backs off', () => {
    const slow = { ...fixedNodes, nodeReady: constant(100), gpuAllocatable: constant(900) };
    const h = harness({ pools: [pool({ nodes: 1, minNodes: 1, maxNodes: 2 })], autoscaler: slow });
    h.cluster.setReplicas(h.cluster.createReplicaSet(h.template({ tensorParallel: 8 })), 2);
    h.sim.run(1300);
    const nodeEvents = h.events.filter((e) => e.pod === '').map((e) => `${e.t} ${e.event} ${e.node}`);
    // Requested at 30, Ready at 130, given up at 30 + 900; pool backed off 300 s → next request at the 1230 scan.
    expect(nodeEvents).toEqual(['30 TriggeredScaleUp gpu-1', '130 NodeReady gpu-1', '930 NodeProvisionTimeout gpu-1', '930 NodeRemoved gpu-1', '1230 TriggeredScaleUp gpu-2']);
  });

  it('preset none never adds nodes', () => {
    const h = harness({ pools: [pool({ nodes: 1, minNodes: 1, maxNodes: 4 })] });
    h.cluster.setReplicas(h.cluster.createReplicaSet(h.template({ tensorParallel: 8 })), 3);
    h.sim.run(3600);
    expect(h.cluster.summary().nodesAdded).toBe(0);
    expect(h.cluster.stats().pendingPods).toBe(2);
    expect(h.cluster.summary().pendingPodSeconds).toBe(2 * 3600);
  });
});
