import { describe, expect, it } from 'vitest';
import { compareForEviction } from '../../sim/cluster/eviction.js';
import { FIXED_PHASES, harness, pool, request } from './harness.js';

const GiB = 1024 ** 3;

describe('compareForEviction (kubelet rankMemoryPressure)', () => {
  it('usage above request first, then lower priority, then the larger excess', () => {
    const over = { usage: 90, request: 30, priority: 0 };
    const under = { usage: 20, request: 30, priority: -10 };
    expect(compareForEviction(over, under)).toBeLessThan(0);
    expect(compareForEviction({ ...over, priority: 5 }, over)).toBeGreaterThan(0);
    expect(compareForEviction({ ...over, usage: 100 }, over)).toBeLessThan(0);
  });
});

describe('node-pressure eviction', () => {
  it('a blue-green fleet squeezed onto one node: the loading green pod is evicted, blue keeps serving', () => {
    // One 8-GPU node with 160 GiB of host memory. Blue: 2 × TP2 serving, 24 GiB each (8 + 8 per rank).
    // Green: 2 × TP2 whose 60 GiB checkpoints pass through host memory while loading: 48 + 2 × (24 + 60) = 216 GiB.
    const h = harness({ pools: [pool({ nodes: 1, hostMemory: 160 * GiB })], serviceSeconds: 1000 });
    const model = { name: 'test-30b', params: 30e9, weightBytes: 60 * GiB };
    const blue = h.cluster.createReplicaSet(h.template({ name: 'blue', model, tensorParallel: 2 }));
    const green = h.cluster.createReplicaSet(h.template({ name: 'green', version: 'new', model, tensorParallel: 2, startupInput: FIXED_PHASES }));
    h.cluster.initialFleet(blue, 2);
    for (const pod of h.cluster.endpoints('old')) pod.accept(request());
    h.cluster.setReplicas(green, 2);
    h.sim.run(600);

    const evicted = h.events.filter((e) => e.event === 'Evicted');
    // Weight loads start at 15 (pull 10, process 5): one green pod goes, the other fits (48 + 84 = 132 GiB).
    expect(evicted.map((e) => [e.t, e.version])).toEqual([[15, 'new']]);
    expect(evicted[0].reason).toBe('The node was low on resource: memory.');
    // Its replacement cannot land on the tainted node until the pressure condition clears (5 min).
    const replacement = h.cluster.pods[4];
    expect(h.timeline(replacement)[1]).toEqual([15, 'FailedScheduling']);
    expect(h.events.find((e) => e.pod === replacement.name && e.event === 'FailedScheduling')?.reason).toBe(
      '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }.',
    );
    expect(h.timeline(replacement).find(([, e]) => e === 'Scheduled')?.[0]).toBe(315);
    // The replacement loads from the page cache with the other green pod serving: 48 + 24 + 84 = 156 GiB, no eviction.
    expect(h.cluster.status(green)).toMatchObject({ replicas: 2, readyReplicas: 2 });
    expect(h.cluster.status(blue)).toMatchObject({ replicas: 2, readyReplicas: 2 });
    // Blue's in-flight requests were untouched.
    expect(h.sink.outcomes.filter((o) => o.outcome === 'dropped')).toEqual([]);
  });

  it('disk: image GC removes an image no pod uses before anything is evicted', () => {
    const h = harness({ pools: [pool({ nodes: 1, ephemeralDisk: 50e9 })] });
    const blue = h.cluster.createReplicaSet(h.template({ name: 'blue' }));
    const green = h.cluster.createReplicaSet(h.template({ name: 'green', version: 'new' }));
    h.cluster.initialFleet(blue, 1);
    h.cluster.setReplicas(blue, 0);
    h.cluster.setReplicas(green, 1);
    h.sim.run(100);
    // Two 22 GB images = 88% of 50 GB > 85%: the blue image (no pod uses it now) goes, green starts normally.
    expect(h.events.filter((e) => e.event === 'ImageGCed').map((e) => [e.t, e.reason])).toEqual([[10, 'rollout-sim/server:old (22.0 GB)']]);
    expect(h.cluster.nodes[0].images.has('rollout-sim/server:old')).toBe(false);
    expect(h.events.some((e) => e.event === 'Evicted')).toBe(false);
  });

  it('disk: a hub download filling the node evicts the pod using the ephemeral storage', () => {
    const h = harness({ pools: [pool({ nodes: 1, ephemeralDisk: 38e9 })] });
    const blue = h.cluster.createReplicaSet(h.template({ name: 'blue', startupInput: { ...FIXED_PHASES, imageSize: 10e9 } }));
    const green = h.cluster.createReplicaSet(
      h.template({ name: 'green', version: 'new', startupInput: { ...FIXED_PHASES, imageSize: 10e9, weightLoad: 'auto', weightSource: 'hub' } }),
    );
    h.cluster.initialFleet(blue, 1);
    h.cluster.setReplicas(green, 1);
    h.sim.run(20);
    // 10 + 10 GB of images in use + a 16 GB emptyDir download = 36 of 38 GB: below 10% available.
    const evicted = h.events.filter((e) => e.event === 'Evicted');
    expect(evicted.map((e) => [e.t, e.version, e.reason])).toEqual([[15, 'new', 'The node was low on resource: ephemeral-storage.']]);
  });
});
