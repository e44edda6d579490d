import { describe, expect, it } from 'vitest';
import { constant } from '../../sim/engine/distributions.js';
import { makeProbe } from '../../sim/cluster/probes.js';
import { FIXED_PHASES, harness, request } from './harness.js';

const healthOnly = { readiness: makeProbe('health'), liveness: null, startup: null };

describe('pod start-up (fixed durations)', () => {
  it('runs the phases in order, becomes Ready on the first probe after it can serve, joins endpoints 1 s later', () => {
    const h = harness();
    const rs = h.cluster.createReplicaSet(h.template());
    h.cluster.setReplicas(rs, 1);
    h.sim.run(200);
    const pod = h.cluster.pods[0];
    // pull 10 → container start 10; process 5, load 20, compile 10, capture 5, kv 5 → engine ready at 55;
    // health probes at 10, 20, …, 60 → Ready at 60; endpoint add 1 s → 61.
    expect(h.timeline(pod)).toEqual([
      [0, 'Created'],
      [0, 'Scheduled'],
      [0, 'imagePull'],
      [10, 'Started'],
      [10, 'processStart'],
      [15, 'weightLoad'],
      [35, 'compile'],
      [45, 'graphCapture'],
      [50, 'kvProfile'],
      [55, 'warmup'],
      [55, 'EngineReady'],
      [60, 'Ready'],
    ]);
    expect(h.events.find((e) => e.event === 'EngineReady')?.reason).toBe('cold kernels');
    expect(h.servers.get(pod.podId)?.warm).toBe(false);
    expect(h.endpointChanges).toEqual(['old']);
    expect(h.cluster.endpoints('old')).toEqual([pod]);
    expect(h.cluster.status(rs)).toEqual({ replicas: 1, readyReplicas: 1, availableReplicas: 1, terminatingReplicas: 0, existing: 1 });
  });

  it('a warm-up phase makes a warm server; minReadySeconds delays availability', () => {
    const h = harness();
    const t = h.template({
      startupInput: { ...FIXED_PHASES, warmup: constant(3) },
      pod: { probes: healthOnly, preStopSleep: 0, terminationGracePeriodSeconds: 30, minReadySeconds: 30 },
    });
    const rs = h.cluster.createReplicaSet(t);
    h.cluster.setReplicas(rs, 1);
    h.sim.run(89);
    // servable at 58 → Ready at 60 → Available at 90.
    expect(h.cluster.status(rs).readyReplicas).toBe(1);
    expect(h.cluster.status(rs).availableReplicas).toBe(0);
    h.sim.run(90);
    expect(h.cluster.status(rs).availableReplicas).toBe(1);
    expect(h.servers.get(0)?.warm).toBe(true);
    expect(h.timeline(h.cluster.pods[0]).slice(-2)).toEqual([
      [60, 'Ready'],
      [90, 'Available'],
    ]);
  });

  it('refuses requests with the cause a client sees at each stage', () => {
    const h = harness();
    const t = h.template({ listenAt: 'process-start', pod: { probes: { readiness: makeProbe('port'), liveness: null, startup: null }, preStopSleep: 0, terminationGracePeriodSeconds: 30, minReadySeconds: 0 } });
    const rs = h.cluster.createReplicaSet(t);
    h.cluster.setReplicas(rs, 1);
    const pod = h.cluster.pods[0];
    const ids: number[] = [];
    const send = h.sim.handler(() => {
      const req = request();
      ids.push(req.id);
      pod.accept(req);
    });
    for (const at of [5, 30, 70]) h.sim.at(at, send);
    h.sim.run(200);
    // The port probe passes at container start (10): Ready while the weights still load.
    expect(h.timeline(pod).find(([, e]) => e === 'Ready')?.[0]).toBe(10);
    expect(h.sink.of(ids[0])).toMatchObject({ outcome: 'rejected', cause: 'connection-refused' });
    expect(h.sink.of(ids[1])).toMatchObject({ outcome: 'rejected', cause: 'server-not-ready' });
    expect(h.sink.of(ids[2])).toMatchObject({ outcome: 'completed', t: 80 });
  });

  it('no readiness probe: Ready (and in the endpoints) as soon as the container starts', () => {
    const h = harness();
    const t = h.template({ pod: { probes: { readiness: null, liveness: null, startup: null }, preStopSleep: 0, terminationGracePeriodSeconds: 30, minReadySeconds: 0 } });
    h.cluster.setReplicas(h.cluster.createReplicaSet(t), 1);
    h.sim.run(11);
    expect(h.cluster.endpoints('old').length).toBe(1);
    expect(h.timeline(h.cluster.pods[0]).find(([, e]) => e === 'Ready')?.[0]).toBe(10);
  });

  it('a pod on a node that already has the image skips the pull; one that loaded the weights reads the page cache', () => {
    const h = harness({ pools: [{ name: 'gpu', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 1, minNodes: 1, maxNodes: 1, hostMemory: 2 ** 41, ephemeralDisk: 2 ** 39, labels: {} }] });
    const t = h.template({ startupInput: { ...FIXED_PHASES, weightLoad: 'auto', weightSource: 'objectStore' } });
    const rs = h.cluster.createReplicaSet(t);
    h.cluster.setReplicas(rs, 1);
    h.sim.run(300);
    h.cluster.setReplicas(rs, 2);
    h.sim.run(600);
    const [first, second] = h.cluster.pods;
    const loadTime = (pod: typeof first) => {
      const tl = h.timeline(pod);
      const start = tl.find(([, e]) => e === 'weightLoad')![0];
      return tl.find(([, e]) => e === 'compile')![0] - start;
    };
    // 16 GB over one reader: object store 1.2 GiB/s, page cache 3 GiB/s (storage.ts defaults).
    expect(loadTime(first)).toBeCloseTo(16e9 / (1.2 * 2 ** 30), 6);
    expect(loadTime(second)).toBeCloseTo(16e9 / (3 * 2 ** 30), 6);
    const secondPull = h.timeline(second).filter(([, e]) => e === 'imagePull' || e === 'Started');
    expect(secondPull[0][0]).toBe(secondPull[1][0]);
  });

  it('the initial fleet is Ready, warm and in the endpoints at t=0', () => {
    const h = harness();
    const rs = h.cluster.createReplicaSet(h.template({ pod: { probes: healthOnly, preStopSleep: 0, terminationGracePeriodSeconds: 30, minReadySeconds: 60 } }));
    h.cluster.initialFleet(rs, 4);
    expect(h.cluster.status(rs)).toEqual({ replicas: 4, readyReplicas: 4, availableReplicas: 4, terminatingReplicas: 0, existing: 4 });
    expect(h.cluster.endpoints('old').length).toBe(4);
    expect([...h.servers.values()].every((s) => s.warm)).toBe(true);
    h.sim.run(100);
    expect(h.cluster.endpoints('old').length).toBe(4);
    expect(h.cluster.stats()).toMatchObject({ gpusServing: 4, gpusHeld: 4, gpusAllocatable: 16, readyOld: 4, endpointsOld: 4 });
  });

  it('an initial fleet that does not fit is an input error', () => {
    const h = harness();
    const rs = h.cluster.createReplicaSet(h.template({ tensorParallel: 8 }));
    expect(() => h.cluster.initialFleet(rs, 3)).toThrow(/initial fleet of 3 old pods does not fit.*Insufficient nvidia.com\/gpu/);
  });
});
