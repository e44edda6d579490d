/**
 * Aborts of a traffic-routed Argo canary through the real simulation (rollout-semantics.md §3.3 "Abort";
 * argo-rollouts utils/replicaset/canary.go GetDesiredCanaryWeight, rollout/trafficrouting.go
 * calculateDesiredWeightOnAbortOrStableRollback, rollout/replicaset.go shouldDelayScaleDownOnAbort). The world and
 * the row format are those of controller-goldens.test.ts: 4 replicas of TP1 pods, a new pod available 10 s after
 * scheduling, grace 0, rows (t − R0, stable pods, canary pods, available, GPUs held) where the tuple changes.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../sim/run/result.js';
import { goldenRows, podTimeline, rolloutEventTimes, run, scenario, type Doc, type Row } from './scenario-kit.js';

const R0 = 20;

interface AbortCase {
  name: string;
  canary: Doc;
  abortAfter: number;
  rows: Row[];
  durationSeconds: number;
  weights: [number, string][];
  check?: (result: RunResult) => void;
}

const CASES: AbortCase[] = [
  {
    // dynamicStableScale, abortScaleDownDelaySeconds unset. Forward: t=0 canary 1; 10 weight 25, stable 4→3
    // (ceil(75%·4)); 30 canary 3; 40 weight 75, stable →1. Abort at 60: the canary is 3 pods and the stable has
    // taken over only 1 of 4, so the weight walks back to the step below 3 pods: 25 (1 pod) ⇒ stable ceil(75%·4)
    // = 3, not 4; the gateway holds 75 until the stable has its 3. 70: weight 25, canary 3→1, and now the step
    // below 1 pod is none ⇒ weight 0 ⇒ stable →4 (held at 25 until it is available). 80: weight 0, canary →0, done.
    name: 'dynamicStableScale: the stable comes back one setWeight step at a time',
    canary: {
      trafficRouting: true,
      dynamicStableScale: true,
      steps: [{ setWeight: 25 }, { pause: { duration: '20s' } }, { setWeight: 75 }, { pause: {} }],
    },
    abortAfter: 60,
    rows: [
      [0, 4, 1, 4, 5],
      [10, 3, 1, 4, 4],
      [30, 3, 3, 4, 6],
      [40, 1, 3, 4, 4],
      [60, 3, 3, 4, 6],
      [70, 4, 1, 4, 5],
      [80, 4, 0, 4, 4],
    ],
    durationSeconds: 80,
    weights: [
      [10, 'gateway weight → 25% new'],
      [40, 'gateway weight → 75% new'],
      [70, 'gateway weight → 25% new'],
      [80, 'gateway weight → 0% new'],
    ],
  },
  {
    // No dynamicStableScale, abortScaleDownDelaySeconds unset (30 s): at the abort (30) the weight goes to 0 at
    // once (the stable is full), and the canary keeps its 2 pods until 30 s after the stable is fully available
    // (already at 30) ⇒ scaled to 0 at 60.
    name: 'the canary is kept for abortScaleDownDelaySeconds after the stable is back at full size',
    canary: { trafficRouting: true, steps: [{ setWeight: 50 }, { pause: {} }] },
    abortAfter: 30,
    rows: [
      [0, 4, 2, 4, 6],
      [10, 4, 2, 6, 6],
      [60, 4, 0, 4, 4],
    ],
    durationSeconds: 60,
    weights: [
      [10, 'gateway weight → 50% new'],
      [30, 'gateway weight → 0% new'],
    ],
    check: (r) => expect(rolloutEventTimes(r, 'ScaleDownDelay', R0)).toEqual([30]),
  },
  {
    // abortScaleDownDelaySeconds 0 with setCanaryScale: traffic leaves the canary, but its explicit size still
    // holds (Argo resets the step index to 0 on abort, where the setCanaryScale is), so it stays up.
    name: 'abortScaleDownDelaySeconds 0 leaves a setCanaryScale canary up',
    canary: {
      trafficRouting: true,
      abortScaleDownDelaySeconds: 0,
      steps: [{ setCanaryScale: { replicas: 2 } }, { setWeight: 25 }, { pause: {} }],
    },
    abortAfter: 30,
    rows: [
      [0, 4, 2, 4, 6],
      [10, 4, 2, 6, 6],
    ],
    durationSeconds: 30,
    weights: [
      [10, 'gateway weight → 25% new'],
      [30, 'gateway weight → 0% new'],
    ],
    check: (r) => expect(r.series.at(-1)?.podsNew).toBe(2),
  },
];

describe('traffic-routed canary aborts through the real simulation', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const spec = { rollout: { at: `${R0}s`, abortAt: `${R0 + c.abortAfter}s`, strategy: { canary: c.canary } } };
    const result = run(scenario(spec));
    const states = podTimeline(result.events, { gpusPerPod: 1, minReadySeconds: 0 });
    expect(goldenRows(states, R0)).toEqual(c.rows);
    const weights = result.events.filter((e) => e.event === 'SetWeight').map((e) => [e.t - R0, e.reason]);
    expect(weights).toEqual(c.weights);
    expect(result.summary.rollout.outcome).toBe('aborted');
    expect(result.summary.rollout.durationSeconds).toBe(c.durationSeconds);
    c.check?.(result);
  });
});
