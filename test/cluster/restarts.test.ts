import { describe, expect, it } from 'vitest';
import { constant } from '../../sim/engine/distributions.js';
import { makeProbe } from '../../sim/cluster/probes.js';
import { FIXED_PHASES, harness } from './harness.js';

describe('container restarts', () => {
  it('a liveness probe with a short initial delay kills a slow loader over and over (CrashLoopBackOff)', () => {
    const h = harness();
    // Engine ready 105 s after container start (load 80 s); liveness on the port from 30 s, every 10 s, 3 failures.
    const t = h.template({
      startupInput: { ...FIXED_PHASES, weightLoad: constant(80) },
      pod: {
        probes: { readiness: makeProbe('health'), liveness: makeProbe('port', { initialDelaySeconds: 30 }), startup: null },
        preStopSleep: 0,
        terminationGracePeriodSeconds: 30,
        minReadySeconds: 0,
      },
    });
    const rs = h.cluster.createReplicaSet(t);
    h.cluster.setReplicas(rs, 1);
    h.sim.run(2000);
    const pod = h.cluster.pods[0];
    const starts = h.timeline(pod).filter(([, e]) => e === 'Started').map(([time]) => time);
    const kills = h.timeline(pod).filter(([, e]) => e === 'BackOff').map(([time]) => time);
    // Container start s → probes at s+30, s+40, s+50 fail → killed at s+50; restart after 10, 20, 40, 80, 160, 300 s.
    expect(starts.slice(0, 6)).toEqual([10, 70, 140, 230, 360, 570]);
    expect(kills.slice(0, 6)).toEqual([60, 120, 190, 280, 410, 620]);
    expect(h.events.filter((e) => e.event === 'BackOff').map((e) => Number(e.reason.match(/back-off (\d+)s/)?.[1]))).toEqual(
      kills.map((_, i) => Math.min(10 * 2 ** i, 300)),
    );
    expect(kills.length).toBe(9);
    expect(pod.restarts).toBe(kills.length);
    expect(h.cluster.status(rs)).toMatchObject({ replicas: 1, readyReplicas: 0 });
    // It still holds its GPU the whole time.
    expect(h.cluster.stats().gpusStarting).toBe(1);
  });

  it('a startup probe with enough budget lets the same pod load', () => {
    const h = harness();
    const t = h.template({
      startupInput: { ...FIXED_PHASES, weightLoad: constant(80) },
      pod: {
        probes: { readiness: makeProbe('health'), liveness: makeProbe('port', { initialDelaySeconds: 30 }), startup: makeProbe('health', { failureThreshold: 30 }) },
        preStopSleep: 0,
        terminationGracePeriodSeconds: 30,
        minReadySeconds: 0,
      },
    });
    h.cluster.setReplicas(h.cluster.createReplicaSet(t), 1);
    h.sim.run(500);
    const pod = h.cluster.pods[0];
    // Engine ready at 10 + 105 = 115; startup probe ticks 10, 20, …, 120 → passes at 120, readiness at 120.
    expect(pod.restarts).toBe(0);
    expect(h.timeline(pod).find(([, e]) => e === 'Ready')?.[0]).toBe(120);
  });

  it('a version that crashes during start-up loops with the back-off and is never Ready', () => {
    const h = harness();
    const t = h.template({ faults: { crashAfter: 'weightLoad' } });
    const rs = h.cluster.createReplicaSet(t);
    h.cluster.setReplicas(rs, 1);
    h.sim.run(300);
    const pod = h.cluster.pods[0];
    // Crash at the end of the load: 35 s after the first start; restarts skip the pull (image present).
    const crashes = h.timeline(pod).filter(([, e]) => e === 'BackOff').map(([time]) => time);
    expect(crashes.slice(0, 3)).toEqual([35, 35 + 10 + 25, 35 + 10 + 25 + 20 + 25]);
    expect(h.events.find((e) => e.event === 'BackOff')?.reason).toMatch(/process exited during weightLoad/);
    expect(h.cluster.status(rs).readyReplicas).toBe(0);
  });
});
