import { describe, expect, it } from 'vitest';
import { makeProbe } from '../../sim/cluster/probes.js';
import { terminationPlan } from '../../sim/cluster/termination.js';
import { harness, request, type TemplateOverrides } from './harness.js';

/**
 * One serving pod of the initial fleet, requests sent to it at given times, then deleted at t=100. Returns the
 * harness, the request ids in send order, and the pod.
 */
function scenario(settings: { preStop: number; grace: number; shutdownTimeout: number }, serviceSeconds: number, sendAt: number[]) {
  const h = harness({ serviceSeconds });
  const overrides: TemplateOverrides = {
    shutdownTimeout: settings.shutdownTimeout,
    pod: {
      probes: { readiness: makeProbe('health'), liveness: null, startup: null },
      preStopSleep: settings.preStop,
      terminationGracePeriodSeconds: settings.grace,
      minReadySeconds: 0,
    },
  };
  const rs = h.cluster.createReplicaSet(h.template(overrides));
  h.cluster.initialFleet(rs, 1);
  const pod = h.cluster.pods[0];
  const ids: number[] = [];
  const send = h.sim.handler(() => {
    const req = request();
    ids.push(req.id);
    pod.accept(req);
  });
  for (const t of sendAt) h.sim.at(t, send);
  const scaleDown = h.sim.handler(() => h.cluster.setReplicas(rs, 0));
  h.sim.at(100, scaleDown);
  h.sim.run(1000);
  const gone = h.timeline(pod).find(([, e]) => e === 'Gone')?.[0];
  return { h, ids, pod, gone, outcome: (i: number) => h.sink.of(ids[i]) };
}

describe('terminationPlan', () => {
  it('counts the grace period from deletion, preStop included, with the 2 s SIGKILL floor', () => {
    expect(terminationPlan(30, 0, 0)).toEqual({ sigtermAfter: 0, killAfter: 30, cutAfter: 0, cutCause: 'drain-timeout' });
    expect(terminationPlan(60, 15, 45)).toEqual({ sigtermAfter: 15, killAfter: 60, cutAfter: 60, cutCause: 'drain-timeout' });
    expect(terminationPlan(60, 15, 60)).toEqual({ sigtermAfter: 15, killAfter: 60, cutAfter: 60, cutCause: 'sigkill' });
    expect(terminationPlan(30, 40, 100)).toEqual({ sigtermAfter: 30, killAfter: 32, cutAfter: 32, cutCause: 'sigkill' });
  });
});

describe('termination timelines (deleted at t=100)', () => {
  it('shutdownTimeout 0: SIGTERM aborts all in-flight work at once and frees the GPUs', () => {
    const { h, gone, outcome } = scenario({ preStop: 0, grace: 30, shutdownTimeout: 0 }, 50, [80, 90, 101]);
    expect(gone).toBe(100);
    expect(outcome(0)).toMatchObject({ outcome: 'dropped', cause: 'sigterm-abort', t: 100 });
    expect(outcome(1)).toMatchObject({ outcome: 'dropped', cause: 'sigterm-abort', t: 100 });
    // Still in the endpoints until 102, but nobody listens any more.
    expect(outcome(2)).toMatchObject({ outcome: 'rejected', cause: 'connection-refused' });
    expect(h.timeline(h.cluster.pods[0]).filter(([t]) => t >= 100)).toEqual([
      [100, 'Killing'],
      [100, 'SIGTERM'],
      [100, 'NotReady'],
      [100, 'Gone'],
    ]);
    expect(h.cluster.stats().gpusHeld).toBe(0);
  });

  it('drain finishing early: preStop serves on, SIGTERM stops admission, the pod exits when idle', () => {
    const { h, gone, outcome } = scenario({ preStop: 10, grace: 90, shutdownTimeout: 60 }, 25, [95, 105, 111]);
    // 95 → completes 120 (SIGTERM at 110); 105 (during preStop) → admitted, completes 130; 111 → refused, draining.
    expect(outcome(0)).toMatchObject({ outcome: 'completed', t: 120 });
    expect(outcome(1)).toMatchObject({ outcome: 'completed', t: 130 });
    expect(outcome(2)).toMatchObject({ outcome: 'rejected', cause: 'server-draining' });
    expect(gone).toBe(130);
    expect(h.timeline(h.cluster.pods[0]).filter(([t]) => t >= 100).map(([t, e]) => `${t} ${e}`)).toEqual([
      '100 Killing',
      '100 PreStop',
      '110 SIGTERM',
      '130 Exited',
      '130 NotReady',
      '130 Gone',
    ]);
  });

  it('drain timeout: what is still running at SIGTERM + shutdownTimeout is cut', () => {
    const { gone, outcome } = scenario({ preStop: 10, grace: 60, shutdownTimeout: 20 }, 100, [50, 95]);
    // SIGTERM at 110, drain deadline 130 < SIGKILL at 160: both would finish at 150 and 195, both are cut at 130.
    expect(outcome(0)).toMatchObject({ outcome: 'dropped', cause: 'drain-timeout', t: 130 });
    expect(outcome(1)).toMatchObject({ outcome: 'dropped', cause: 'drain-timeout', t: 130 });
    expect(gone).toBe(130);
  });

  it('SIGKILL: a preStop as long as the grace period leaves the 2 s minimum after SIGTERM', () => {
    const { h, gone, outcome } = scenario({ preStop: 40, grace: 30, shutdownTimeout: 100 }, 100, [90]);
    expect(outcome(0)).toMatchObject({ outcome: 'dropped', cause: 'sigkill', t: 132 });
    expect(gone).toBe(132);
    expect(h.timeline(h.cluster.pods[0]).filter(([t]) => t >= 100).map(([t, e]) => `${t} ${e}`)).toEqual([
      '100 Killing',
      '100 PreStop',
      '130 SIGTERM',
      '132 SIGKILL',
      '132 NotReady',
      '132 Gone',
    ]);
  });

  it('GPUs stay held for the whole terminating period; the RS stops counting the pod at once', () => {
    const h = harness({ serviceSeconds: 100 });
    const rs = h.cluster.createReplicaSet(
      h.template({ shutdownTimeout: 50, pod: { probes: { readiness: makeProbe('health'), liveness: null, startup: null }, preStopSleep: 5, terminationGracePeriodSeconds: 60, minReadySeconds: 0 } }),
    );
    h.cluster.initialFleet(rs, 2);
    h.cluster.pods[0].accept(request());
    h.cluster.setReplicas(rs, 1);
    expect(h.cluster.status(rs)).toMatchObject({ replicas: 1, terminatingReplicas: 1, existing: 2 });
    h.sim.run(50);
    expect(h.cluster.stats()).toMatchObject({ gpusHeld: 2, gpusDraining: 1, gpusServing: 1 });
    h.sim.run(56);
    expect(h.cluster.stats()).toMatchObject({ gpusHeld: 1, gpusDraining: 0 });
    expect(h.cluster.status(rs)).toMatchObject({ replicas: 1, existing: 1 });
  });
});
