import { describe, expect, it } from 'vitest';
import { routerWants } from '../../sim/routing/discovery.js';
import { RoutableTime } from '../../sim/routing/routable-time.js';
import { harness } from '../cluster/harness.js';

const NO_PROBES = { readiness: null, liveness: null, startup: null };

describe('routerWants', () => {
  it('wants Ready pods; Terminating ones only when the router ignores Terminating', () => {
    expect(routerWants({ ready: true, deleting: false, gone: false }, true)).toBe(true);
    expect(routerWants({ ready: false, deleting: false, gone: false }, true)).toBe(false);
    expect(routerWants({ ready: true, deleting: true, gone: false }, true)).toBe(false);
    expect(routerWants({ ready: true, deleting: true, gone: false }, false)).toBe(true);
    expect(routerWants({ ready: true, deleting: true, gone: true }, false)).toBe(false);
  });
});

describe('RoutableTime', () => {
  it('sums the stretches without endpoints and keeps the longest, an open one up to now', () => {
    const t = new RoutableTime(0);
    t.update(0, 2);
    t.update(10, 0);
    t.update(14, 0);
    t.update(15, 1);
    t.update(40, 0);
    expect(t.stats(47)).toEqual({ noEndpointSeconds: 12, longestNoEndpointSeconds: 7 });
    t.update(50, 3);
    expect(t.stats(60)).toEqual({ noEndpointSeconds: 15, longestNoEndpointSeconds: 10 });
  });
});

describe("the router's own discovery (Cluster.routerView)", () => {
  function fleet(honorsTerminating: boolean, preStopSleep = 0) {
    const h = harness();
    const view = h.cluster.routerView({ admissionDelay: 20, removalDelay: 5, honorsTerminating, readinessGate: false });
    const rs = h.cluster.createReplicaSet(
      h.template({ pod: { probes: NO_PROBES, preStopSleep, terminationGracePeriodSeconds: 30, minReadySeconds: 0 } }),
    );
    h.cluster.initialFleet(rs, 1);
    // Without probes the harness's pod is Ready at once: created at 1, Ready at 1.
    h.sim.at(1, h.sim.handler(() => h.cluster.setReplicas(rs, 2)));
    const seen: Array<[number, number, number]> = [];
    const lookAt = (times: number[]): void => {
      const look = h.sim.handler(() => seen.push([h.sim.now, h.cluster.endpoints('old').length, view.endpoints('old').length]));
      for (const t of times) h.sim.at(t, look);
    };
    return { h, rs, view, seen, lookAt };
  }

  it('admits a Ready pod admissionDelay after it is Ready, separately from the Service endpoints', () => {
    const { h, view, seen, lookAt } = fleet(true);
    lookAt([1.5, 2.5, 20.5, 21.5]);
    h.sim.run(40);
    expect(h.cluster.pods[1].readySince).toBe(1);
    // [time, Service endpoints (1 s to add), router's endpoints (20 s to admit)]
    expect(seen).toEqual([
      [1.5, 1, 1],
      [2.5, 2, 1],
      [20.5, 2, 1],
      [21.5, 2, 2],
    ]);
    expect(view.joins?.joinedAt(0)).toBe(-Infinity); // the initial fleet joined before the run
    expect(view.joins?.joinedAt(1)).toBe(21);
    expect(view.joins?.lastJoinAt).toBe(21);
  });

  it('a router that ignores Terminating keeps routing to a deleted pod until it is gone, removalDelay later', () => {
    const runs = [true, false].map((honors) => {
      const { h, rs, view, seen, lookAt } = fleet(honors, 20);
      h.sim.at(50, h.sim.handler(() => h.cluster.setReplicas(rs, 1)));
      lookAt([54.9, 55.1, 69.9]);
      h.sim.run(120);
      const deleted = h.cluster.pods.find((p) => p.deleting);
      expect(deleted?.deletedAt).toBe(50);
      expect(view.endpoints('old').length).toBe(1);
      return seen.map(([, , router]) => router);
    });
    expect(runs[0]).toEqual([2, 1, 1]); // dropped 5 s after the deletion
    expect(runs[1]).toEqual([2, 2, 2]); // still routed during its 20 s preStop
  });
});
