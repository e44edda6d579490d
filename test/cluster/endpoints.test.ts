import { describe, expect, it } from 'vitest';
import { makeProbe } from '../../sim/cluster/probes.js';
import { harness, request } from './harness.js';

/** Sends one request through the endpoint list (as a gateway would) at each time; returns the outcomes by time. */
function routeAt(preStopSleep: number, times: number[]) {
  const h = harness({ serviceSeconds: 1 });
  const rs = h.cluster.createReplicaSet(
    h.template({ pod: { probes: { readiness: makeProbe('health'), liveness: null, startup: null }, preStopSleep, terminationGracePeriodSeconds: 30, minReadySeconds: 0 } }),
  );
  h.cluster.initialFleet(rs, 1);
  const sent: Array<[number, number]> = [];
  const send = h.sim.handler(() => {
    const [endpoint] = h.cluster.endpoints('old');
    if (endpoint === undefined) return;
    const req = request();
    sent.push([h.sim.now, req.id]);
    endpoint.accept(req);
  });
  for (const t of times) h.sim.at(t, send);
  const scaleDown = h.sim.handler(() => h.cluster.setReplicas(rs, 0));
  h.sim.at(10, scaleDown);
  h.sim.run(100);
  return { h, results: sent.map(([t, id]) => [t, h.sink.of(id)?.cause || h.sink.of(id)?.outcome]) };
}

describe('endpoint propagation', () => {
  it('without preStop, requests routed in the 2 s before the endpoint is removed are refused', () => {
    const { h, results } = routeAt(0, [8, 10.5, 11.9, 12.5]);
    expect(results).toEqual([
      [8, 'completed'],
      [10.5, 'connection-refused'],
      [11.9, 'connection-refused'],
    ]);
    expect(h.endpointChanges).toEqual(['old', 'old']);
    expect(h.cluster.endpoints('old')).toEqual([]);
  });

  it('a preStop sleep longer than the propagation delay covers the race', () => {
    const { results } = routeAt(5, [8, 10.5, 11.9, 12.5]);
    expect(results).toEqual([
      [8, 'completed'],
      [10.5, 'completed'],
      [11.9, 'completed'],
    ]);
  });

  it('a pod that turns NotReady before its add propagates never joins', () => {
    const h = harness();
    const rs = h.cluster.createReplicaSet(
      h.template({ pod: { probes: { readiness: null, liveness: null, startup: null }, preStopSleep: 0, terminationGracePeriodSeconds: 30, minReadySeconds: 0 } }),
    );
    h.cluster.setReplicas(rs, 1);
    // No readiness probe: Ready at container start (10); deleted at 10.5, before the add at 11 lands.
    const scaleDown = h.sim.handler(() => h.cluster.setReplicas(rs, 0));
    h.sim.at(10.5, scaleDown);
    h.sim.run(30);
    expect(h.endpointChanges).toEqual([]);
    expect(h.cluster.endpoints('old')).toEqual([]);
  });
});
