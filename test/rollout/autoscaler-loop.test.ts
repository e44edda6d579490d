/**
 * The HPA's event shell over a scripted workload: the sync period, the metrics delay (a decision reads what was
 * scraped metricsDelay earlier) and which pods count as missing or unready.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../sim/cluster/pod.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { HorizontalAutoscaler } from '../../sim/rollout/autoscaler-loop.js';
import { zAutoscaling } from '../../sim/rollout/autoscaling-schema.js';

/** A serving pod whose server reports `waiting` requests. */
const pod = (waiting: () => number, state: Partial<Pod> = {}) =>
  ({
    active: true,
    rankPhase: 'Running',
    listening: true,
    ready: true,
    server: { waitingCount: waiting, runningCount: () => 0, kvUsage: () => 0 },
    ...state,
  }) as unknown as Pod;

function harness(spec: unknown, pods: () => Pod[]) {
  const sim = new Simulator();
  const writes: { t: number; replicas: number }[] = [];
  const hpa = new HorizontalAutoscaler(
    sim,
    zAutoscaling.parse(spec),
    2,
    { pods, scale: (replicas) => writes.push({ t: sim.now, replicas }), ttftP95: () => null, gatewayQueued: () => 0 },
    600,
  );
  return { sim, hpa, writes };
}

describe('the HPA loop', () => {
  it('acts at the first sync that reads a scrape taken after the load rose (metricsDelay 30 s, sync 15 s)', () => {
    let sim: Simulator | null = null;
    const waiting = () => ((sim?.now ?? 0) >= 100 ? 10 : 5);
    const h = harness({ minReplicas: 1, maxReplicas: 10, metricsDelay: 30, metrics: [{ type: 'waiting', averageValue: 5 }] }, () => [pod(waiting), pod(waiting)]);
    sim = h.sim;
    h.sim.run(200);
    // Scrapes at 0, 15, …, 90 read 5 per pod (on target); the scrape at 105 reads 10 ⇒ the sync at 135 doubles.
    expect(h.writes).toEqual([{ t: 135, replicas: 4 }]);
    expect(h.hpa.desired).toBe(4);
  });

  it('a starting pod (server not up) is missing: counted as 0 on a scale-up, which here holds the size', () => {
    const h = harness({ minReplicas: 1, maxReplicas: 10, metricsDelay: 0, metrics: [{ type: 'waiting', averageValue: 5 }] }, () => [
      pod(() => 6),
      pod(() => 0, { listening: false, server: null, ready: false }),
    ]);
    h.sim.run(60);
    // 6 against 5 is a scale-up (ratio 1.2); with the missing pod at 0 the mean is 3 ⇒ ratio 0.6 flips ⇒ no change.
    expect(h.writes).toEqual([]);
  });
});
