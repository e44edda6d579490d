import { describe, expect, it } from 'vitest';
import { lognormalFromPercentiles, uniform } from '../../sim/engine/distributions.js';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator, type Handler } from '../../sim/engine/simulator.js';
import { GENERIC_AUTOSCALER } from '../../sim/cluster/autoscaler.js';
import type { Cluster } from '../../sim/cluster/cluster.js';
import { makeProbe } from '../../sim/cluster/probes.js';
import { FIXED_PHASES, harness, pool, request } from './harness.js';

/** Runs a check after every event. */
class CheckedSimulator extends Simulator {
  check: () => void = () => {};
  override handler(fn: Handler): number {
    return super.handler((arg) => {
      fn(arg);
      this.check();
    });
  }
}

function checkCapacity(cluster: Cluster): void {
  let allocatable = 0;
  for (const node of cluster.nodes) {
    let held = 0;
    for (const pod of cluster.pods) if (pod.node === node && pod.holdsResources) held += pod.gpus;
    if (held !== node.gpusUsed) throw new Error(`${node.name}: gpusUsed ${node.gpusUsed} but pods hold ${held}`);
    if (node.gpusUsed > node.gpusAllocatable) throw new Error(`${node.name} (${node.state}): ${node.gpusUsed} GPUs in use > ${node.gpusAllocatable} allocatable`);
    if (node.memoryRequested > node.pool.hostMemory) throw new Error(`${node.name}: memory over-committed`);
    allocatable += node.gpusAllocatable;
  }
  const stats = cluster.stats();
  if (stats.gpusHeld > allocatable) throw new Error(`${stats.gpusHeld} GPUs held > ${allocatable} allocatable`);
  if (stats.gpusHeld !== stats.gpusStarting + stats.gpusServing + stats.gpusDraining) throw new Error('GPU gauges do not add up');
}

function randomRun(seed: number): { events: number; checks: number; peak: number; maxHeld: number } {
  const sim = new CheckedSimulator();
  const autoscaler = { ...GENERIC_AUTOSCALER, nodeReady: lognormalFromPercentiles(60, 100), gpuAllocatable: uniform(60, 90), scaleDownUnneededTime: 120, scaleDownDelayAfterAdd: 60 };
  const h = harness({
    simulator: sim,
    seed,
    serviceSeconds: 40,
    autoscaler,
    pools: [pool({ name: 'a', nodes: 2, minNodes: 1, maxNodes: 4 }), pool({ name: 'b', nodes: 1, minNodes: 0, maxNodes: 3, gpusPerNode: 4, labels: { tier: 'spot' } })],
  });
  const rng = new RandomStreams(seed).stream('test.actions');
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];
  const probes = { readiness: makeProbe('health'), liveness: makeProbe('port', { initialDelaySeconds: 60 }), startup: null };
  const pod = { probes, preStopSleep: 5, terminationGracePeriodSeconds: 30, minReadySeconds: 10 };
  const old = h.cluster.createReplicaSet(h.template({ name: 'old', tensorParallel: 2, pod, shutdownTimeout: 15 }));
  const fresh = h.cluster.createReplicaSet(
    h.template({
      name: 'new',
      version: 'new',
      tensorParallel: 4,
      pod,
      startupInput: { ...FIXED_PHASES, weightLoad: 'auto', imagePull: 'auto', imageSize: 3e9 },
      faults: seed % 2 === 0 ? { crashAfter: 'compile' } : {},
    }),
  );
  h.cluster.initialFleet(old, 4);
  let maxHeld = 0;
  let checks = 0;
  sim.check = () => {
    checkCapacity(h.cluster);
    maxHeld = Math.max(maxHeld, h.cluster.stats().gpusHeld);
    checks++;
  };
  const act = sim.handler(() => {
    const rs = pick([old, fresh]);
    h.cluster.setReplicas(rs, Math.floor(rng.next() * 8));
    for (const p of h.cluster.endpoints(pick(['old', 'new'] as const))) if (rng.next() < 0.5) p.accept(request());
    if (sim.now < 3000) sim.after(5 + rng.next() * 200, act);
  });
  sim.at(1, act);
  sim.run(5000);
  return { events: sim.eventsProcessed, checks, peak: h.cluster.summary().peakGpus, maxHeld };
}

describe('capacity invariants under random scaling', () => {
  it('GPUs in use never exceed allocatable, at every event', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = randomRun(seed);
      expect(r.checks).toBeGreaterThan(200);
      // The accounting's peak is the largest gpusHeld any event saw.
      expect(r.peak).toBe(r.maxHeld);
    }
  });
});
