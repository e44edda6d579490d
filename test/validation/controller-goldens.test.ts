/**
 * Controller golden cases through the real simulation (issue 8 §2). Each case runs a whole scenario with
 * runScenario — real cluster, scheduler, kubelet, probes, ReplicaSet controller, rollout controller, router and
 * traffic — and compares (Σ old pods, new pods, available, GPUs held) over time, read back from the pod event
 * log, with a timeline derived by hand from ../shared/reference/rollout-semantics.md. The series gauges are
 * checked against the same event log.
 *
 * The world (scenario-kit.ts baseScenario): 4 replicas of TP1 pods on one 8-GPU node; a new pod is scheduled at
 * once when a GPU is free, loads for T = 10 s and is Ready at the next probe (period 1 s, aligned with the
 * container start) — i.e. exactly 10 s after scheduling — which is the reference's §6 assumption; grace 0 unless
 * a case says otherwise (a deleted pod then frees its GPU at once). Times in the rows are seconds after the
 * rollout starts (R0 = 20 s).
 *
 * Conventions of §0.3: all events of an instant apply, then the controllers run to a fixpoint; a row is the state
 * after that. Rows list only the instants where the tuple changes.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../sim/run/result.js';
import {
  goldenRows,
  merge,
  podTimeline,
  rolloutEventTimes,
  run,
  scenario,
  seriesDisagreement,
  type Doc,
  type Row,
} from './scenario-kit.js';

const R0 = 20;

interface GoldenCase {
  name: string;
  spec: Doc;
  rows: Row[];
  outcome: 'completed' | 'rolled-back' | 'stalled' | 'aborted';
  /** Seconds from the rollout start to its end (null: not finished). */
  durationSeconds: number | null;
  minReadySeconds?: number;
  check?: (result: RunResult) => void;
}

const rolling = (maxSurge: string | number, maxUnavailable: string | number, extra: Doc = {}): Doc => ({
  rollout: { at: `${R0}s`, strategy: { rollingUpdate: { maxSurge, maxUnavailable } }, ...extra },
});
/** A deleted pod holds its GPUs for G seconds: a preStop sleep of G inside a grace period of G (queue servers exit at SIGTERM). */
const grace = (seconds: number): Doc => ({
  deployment: { preStop: { sleep: `${seconds}s` }, terminationGracePeriodSeconds: seconds },
});
const withSpec = (...parts: Doc[]): Doc => parts.reduce((acc, p) => merge(acc, p), {} as Doc);

const CASES: GoldenCase[] = [
  {
    // §6 Example 1 (replicas 4, 25%/25% ⇒ surge 1, unavailable 1, minAvailable 3, maxTotal 5), G = 0:
    // t=0: new RS 1, old 4→3, new →2, then stall (allPods 5, newUnavailable 2) ⇒ (3,2,3), 5 GPUs.
    // t=10: new 1,2 available ⇒ old 3→1, new →4 ⇒ (1,4,3), 5 GPUs. t=20: old 1→0, complete ⇒ (0,4,4), 4 GPUs.
    name: 'RollingUpdate, Example 1 (25%/25%), G=0',
    spec: rolling('25%', '25%'),
    rows: [
      [0, 3, 2, 3, 5],
      [10, 1, 4, 3, 5],
      [20, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 20,
  },
  {
    // Same trajectory with G = 30 s: deleted old pods hold their GPUs 30 s (§0.4). GPUs: 5 + 1 terminating on
    // [0,10) = 6; 5 + 3 on [10,30) = 8 (the reference's peak); at 30 the t=0 pod is gone ⇒ 7; at 40 the two
    // deleted at 10 ⇒ 5; at 50 the last ⇒ 4. The Deployment is Complete at 20 all the same.
    name: 'RollingUpdate, Example 1 (25%/25%), G=30: GPUs peak at 8',
    spec: withSpec(rolling('25%', '25%'), grace(30)),
    rows: [
      [0, 3, 2, 3, 6],
      [10, 1, 4, 3, 8],
      [20, 0, 4, 4, 8],
      [30, 0, 4, 4, 7],
      [40, 0, 4, 4, 5],
      [50, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 20,
    check: (r) => {
      expect(r.summary.capacity.peakGpus).toBe(8);
      expect(r.summary.capacity.steadyGpus).toBe(4);
      expect(r.summary.capacity.surgeGpus).toBe(4);
    },
  },
  {
    // §6 Example 2 (maxSurge 0, maxUnavailable 1 ⇒ maxTotal 4): one pod at a time, R×T = 40 s, never a 5th GPU.
    name: 'RollingUpdate, Example 2 (0/1)',
    spec: rolling(0, 1),
    rows: [
      [0, 3, 1, 3, 4],
      [10, 2, 2, 3, 4],
      [20, 1, 3, 3, 4],
      [30, 0, 4, 3, 4],
      [40, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 40,
    check: (r) => expect(r.summary.rollout.minReadyReplicas).toBe(3),
  },
  {
    // minReadySeconds 5 on Example 1: a new pod is Ready 10 s after creation but available only at 15 s
    // (§1.3), and the controller counts available pods, so every step moves 5 s later: (3,2,3) at 0,
    // (1,4,3) at 15, (0,4,4) at 30.
    name: 'RollingUpdate with minReadySeconds 5',
    spec: withSpec(rolling('25%', '25%'), { deployment: { minReadySeconds: '5s' } }),
    minReadySeconds: 5,
    rows: [
      [0, 3, 2, 3, 5],
      [15, 1, 4, 3, 5],
      [30, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 30,
    check: (r) => {
      const newPod = r.events.filter((e) => e.version === 'new' && e.pod !== '').map((e) => e.pod)[0];
      const at = (event: string) => r.events.find((e) => e.pod === newPod && e.event === event)?.t;
      expect([at('Ready'), at('Available')]).toEqual([R0 + 10, R0 + 15]);
    },
  },
  {
    // Recreate (§1.5) with G = 30: t=0 old 4→0 (pods terminating, holding GPUs, 0 available); the new RS is
    // created only when no old pod exists, at 30, with 4 pods; Ready at 40. Down-time = G + T.
    name: 'Recreate, G=30',
    spec: withSpec({ rollout: { at: `${R0}s`, strategy: { recreate: {} } } }, grace(30)),
    rows: [
      [0, 0, 0, 0, 4],
      [30, 0, 4, 0, 4],
      [40, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 40,
    check: (r) => expect(r.summary.rollout.minReadyReplicas).toBe(0),
  },
  {
    // Capacity-constrained (§2.3, startup-and-drain.md problem 18): a 4-GPU cluster full with 4 old pods,
    // maxSurge 1 / maxUnavailable 0. t=0: new RS 1 (cur 4 < 5) — the pod is Pending (no GPU); old cannot shrink:
    // maxScaledDown = 5 − 4 − newUnavailable 1 = 0. Deadlock. Progress: the condition was set at 0, the controller
    // re-checks at 0 + 60 + 1 = 61 > 60 ⇒ ProgressDeadlineExceeded ⇒ outcome stalled (no rollback, §1.6).
    name: 'RollingUpdate on a full cluster, maxUnavailable 0: Pending surge pod, stalled',
    spec: withSpec(rolling(1, 0, { progressDeadlineSeconds: '60s' }), {
      duration: '200s',
      cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 4, nodes: 1 }] },
    }),
    rows: [[0, 4, 1, 4, 4]],
    outcome: 'stalled',
    durationSeconds: null,
    check: (r) => {
      expect(rolloutEventTimes(r, 'ProgressDeadlineExceeded', R0)).toEqual([61]);
      expect(r.summary.rollout.reason).toMatch(/ProgressDeadlineExceeded/);
      expect(r.events.some((e) => e.version === 'new' && e.event === 'FailedScheduling')).toBe(true);
      expect(r.series.at(-1)?.pendingPods).toBe(1);
      // Pending from 20 s to the end at 200 s.
      expect(r.summary.capacity.pendingPodSeconds).toBeCloseTo(180, 6);
    },
  },
  {
    // The same deadlock broken by the cluster autoscaler (scan every 10 s from t=0, no scale-up delay, node Ready
    // 60 s after the request, GPUs allocatable 30 s later). The Pending pod exists from 20; the scan at 30 asks
    // for a node, allocatable at 120 (R0+100), where the surge pod binds (5 GPUs) and is Ready at 110. Meanwhile
    // the deadline (30 s) is exceeded at 0 + 30 + 1 = 31 and reported; Kubernetes keeps trying.
    // t=110: new 1 available ⇒ old 4→3, new →2 (5 GPUs); 120: old →2, new →3; 130: old →1, new →4;
    // 140: old →0 — complete, so the final outcome is completed.
    name: 'Stalled surge pod unblocked by the autoscaler',
    spec: withSpec(rolling(1, 0, { progressDeadlineSeconds: '30s' }), {
      duration: '300s',
      cluster: {
        nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 4, nodes: 1, maxNodes: 2 }],
        autoscaler: { cloud: 'generic', scanInterval: '10s', scaleUpDelay: '0s', nodeReady: '60s', gpuAllocatable: '30s' },
      },
    }),
    rows: [
      [0, 4, 1, 4, 4],
      [100, 4, 1, 4, 5],
      [110, 3, 2, 4, 5],
      [120, 2, 3, 4, 5],
      [130, 1, 4, 4, 5],
      [140, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 140,
    check: (r) => {
      expect(rolloutEventTimes(r, 'ProgressDeadlineExceeded', R0)).toEqual([31]);
      expect(r.summary.capacity.nodesAdded).toBe(1);
      const node = (event: string) => r.events.find((e) => e.pod === '' && e.node !== '' && e.event === event)?.t;
      expect([node('TriggeredScaleUp'), node('NodeAllocatable')]).toEqual([30, 120]);
    },
  },
  {
    // maxSurge 0 / maxUnavailable 1 on a full 4-GPU cluster with G = 30: each replacement pod waits Pending for
    // the GPU of the pod it replaces. t=0: old 4→3 (that pod holds its GPU to 30), new →1 Pending; at 30 it binds,
    // Ready at 40; then old →2, new →2 (Pending until 70, Ready 80), and so on: each step takes G + T = 40 s,
    // R×(G+T) = 160 s in all, 4 × 30 s of Pending.
    name: 'RollingUpdate 0/1 on a full cluster with G=30: grace periods hold the GPUs',
    spec: withSpec(rolling(0, 1), grace(30), {
      cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 4, nodes: 1 }] },
    }),
    rows: [
      [0, 3, 1, 3, 4],
      [40, 2, 2, 3, 4],
      [80, 1, 3, 3, 4],
      [120, 0, 4, 3, 4],
      [160, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 160,
    check: (r) => expect(r.summary.capacity.pendingPodSeconds).toBeCloseTo(120, 6),
  },
  {
    // `kubectl rollout undo` (spec.rollout.abortAt) at R0+5 during Example 1: the old ReplicaSet is the target
    // again and rolls with the same algorithm. State at 5: old 3 available, new 2 unavailable; the undone RS is
    // now an "old" one: allPods 5, minAvailable 3, newRSUnavailable (old-version RS) 3 − 3 = 0 ⇒ maxScaledDown 2;
    // cleanupUnhealthyReplicas removes the 2 unavailable new pods first (§1.4 (a)); then the old-version RS grows
    // 3 → 4 (cur 3 < 5), its new pod available at 15 ⇒ complete, outcome rolled-back.
    name: 'RollingUpdate undone mid-way: unhealthy new pods go first, then the old RS refills',
    spec: rolling('25%', '25%', { abortAt: `${R0 + 5}s` }),
    rows: [
      [0, 3, 2, 3, 5],
      [5, 4, 0, 3, 4],
      [15, 4, 0, 4, 4],
    ],
    outcome: 'rolled-back',
    durationSeconds: 15,
    check: (r) => expect(rolloutEventTimes(r, 'RolloutUndo', R0)).toEqual([5]),
  },
  {
    // Blue-green with a pre-promotion analysis that fails its first measurement (failureLimit 0): the preview
    // (4 pods) is available at 10, the analysis starts and fails at 10 ⇒ abort; the active service never moved;
    // the preview is scaled to 0 after abortScaleDownDelaySeconds (30) ⇒ 40, rolled back.
    name: 'Blue-green pre-promotion analysis failure: preview removed after abortScaleDownDelaySeconds',
    spec: {
      rollout: {
        at: `${R0}s`,
        strategy: { blueGreen: { prePromotionAnalysis: { templates: ['always-fails'] } } },
        analysisTemplates: { 'always-fails': { metrics: [{ name: 'never-good', query: 'all.finished', failureCondition: 'result >= 0' }] } },
      },
    },
    rows: [
      [0, 4, 4, 4, 8],
      [10, 4, 4, 8, 8],
      [40, 4, 0, 4, 4],
    ],
    outcome: 'rolled-back',
    durationSeconds: 40,
    check: (r) => {
      expect(rolloutEventTimes(r, 'RolloutAborted', R0)).toEqual([10]);
      expect(rolloutEventTimes(r, 'SwitchActive', R0)).toEqual([]);
      expect((r.requests ?? []).filter((q) => q.version === 'new')).toEqual([]);
    },
  },
  {
    // Blue-green (§3.2) without previewReplicaCount: the preview RS goes straight to 4 (no maxSurge) ⇒ 8 pods;
    // at 10 all 4 are available ⇒ auto-promotion, active switch; old RS kept scaleDownDelaySeconds (30) ⇒ 0 at
    // 40, complete. Peak pods = replicas + replicas.
    name: 'Blue-green, no preview count',
    spec: { rollout: { at: `${R0}s`, strategy: { blueGreen: { scaleDownDelaySeconds: '30s' } } } },
    rows: [
      [0, 4, 4, 4, 8],
      [10, 4, 4, 8, 8],
      [40, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 40,
    check: (r) => {
      expect(rolloutEventTimes(r, 'SwitchActive', R0)).toEqual([10]);
      expectNoNewTrafficBefore(r, R0 + 10);
    },
  },
  {
    // Blue-green with previewReplicaCount 1 and auto-promotion off; the operator promotes at R0+60. Preview RS →1
    // (peak pods = replicas + preview = 5 while previewing); available at 10 ⇒ paused. Promote at 60 ⇒ preview
    // scaled to 4 (ScaleUpPreviewCheckPoint) ⇒ 8 pods; available at 70 ⇒ switch; old RS → 0 at 70 + 30 = 100.
    name: 'Blue-green with previewReplicaCount 1, manual promotion',
    spec: {
      rollout: {
        at: `${R0}s`,
        strategy: { blueGreen: { previewReplicaCount: 1, autoPromotionEnabled: false, scaleDownDelaySeconds: '30s' } },
        promoteAt: [`${R0 + 60}s`],
      },
    },
    rows: [
      [0, 4, 1, 4, 5],
      [10, 4, 1, 5, 5],
      [60, 4, 4, 5, 8],
      [70, 4, 4, 8, 8],
      [100, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 100,
    check: (r) => {
      expect(rolloutEventTimes(r, 'Paused', R0)).toEqual([10]);
      expect(rolloutEventTimes(r, 'SwitchActive', R0)).toEqual([70]);
      expectNoNewTrafficBefore(r, R0 + 70);
    },
  },
  {
    // Basic canary (§3.3, no traffic routing: the pod split is the traffic split), replicas 4, maxSurge 1,
    // maxUnavailable 0 (maxAllowed 5, minAvailable 4); steps setWeight 25, pause 20 s, setWeight 50, pause 20 s.
    // Weight→(canary, stable) for R=4, surge 1: 25 → (1,3), 50 → (2,2), 100 → (4,0) (reference table).
    // t=0: room 5−4 = 1 ⇒ canary 0→1; counted available 0 + 4 ≤ 4 ⇒ stable stays 4.           (4,1,4) 5 GPUs
    // t=10: canary available ⇒ counted 1+4 = 5 > 4 ⇒ stable 4→3; step done, pause to 30.         (3,1,4) 4
    // t=30: setWeight 50 ⇒ canary →2 (room 1); stable held: counted 1+3 = 4.                     (3,2,4) 5
    // t=40: counted 2+3 = 5 ⇒ stable →2; step done, pause to 60.                                 (2,2,4) 4
    // t=60: steps done ⇒ weight 100 ⇒ canary →3.                                                   (2,3,4) 5
    // t=70: stable →1, then room ⇒ canary →4.                                                      (1,4,4) 5
    // t=80: stable →0; canary carries the fleet ⇒ complete.                                        (0,4,4) 4
    name: 'Basic canary 25/50 with pauses, surge 1 / unavailable 0',
    spec: {
      rollout: {
        at: `${R0}s`,
        strategy: {
          canary: {
            maxSurge: 1,
            maxUnavailable: 0,
            steps: [{ setWeight: 25 }, { pause: { duration: '20s' } }, { setWeight: 50 }, { pause: { duration: '20s' } }],
          },
        },
      },
    },
    rows: [
      [0, 4, 1, 4, 5],
      [10, 3, 1, 4, 4],
      [30, 3, 2, 4, 5],
      [40, 2, 2, 4, 4],
      [60, 2, 3, 4, 5],
      [70, 1, 4, 4, 5],
      [80, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 80,
  },
  {
    // Traffic-routed canary: canary = ceil(R·w/100) (25 → 1, 75 → 3, 100 → 4), the stable stays at 4 (no
    // maxSurge bound: up to 2R pods), and the gateway weight moves only once the canary has its pods available.
    // t=0 canary →1 (weight stays 0); 10 available ⇒ weight 25, pause to 30; 30 canary →3 (weight stays 25);
    // 40 ⇒ weight 75, pause to 60; 60 canary →4; 70 ⇒ weight 100, promoted, old kept 30 s ⇒ 0 at 100.
    name: 'Traffic-routed canary 25/75',
    spec: {
      rollout: {
        at: `${R0}s`,
        strategy: {
          canary: {
            trafficRouting: true,
            scaleDownDelaySeconds: '30s',
            steps: [{ setWeight: 25 }, { pause: { duration: '20s' } }, { setWeight: 75 }, { pause: { duration: '20s' } }],
          },
        },
      },
    },
    rows: [
      [0, 4, 1, 4, 5],
      [10, 4, 1, 5, 5],
      [30, 4, 3, 5, 7],
      [40, 4, 3, 7, 7],
      [60, 4, 4, 7, 8],
      [70, 4, 4, 8, 8],
      [100, 0, 4, 4, 4],
    ],
    outcome: 'completed',
    durationSeconds: 100,
    check: (r) => {
      const weights = r.events.filter((e) => e.event === 'SetWeight').map((e) => [e.t - R0, e.reason]);
      expect(weights).toEqual([
        [10, 'gateway weight → 25% new'],
        [40, 'gateway weight → 75% new'],
        [70, 'gateway weight → 100% new'],
      ]);
    },
  },
  {
    // Analysis limits (§3.4): an in-step analysis whose every measurement fails, interval 10 s, failureLimit 3.
    // Basic canary as above: t=0 (4,1,4); t=10 (3,1,4) and the analysis step starts: measurements at 10, 20, 30,
    // 40 — the metric fails when failed > 3, i.e. on the 4th, at 40 ⇒ abort (weight 0). Rolling back within
    // surge 1 / unavailable 0: stable 3→4 first (5 GPUs), available at 50 ⇒ canary →0 ⇒ rolled back at 50 with
    // the capacity of before the rollout.
    name: 'Canary analysis with failureLimit 3 fails on the 4th measurement and rolls back',
    spec: {
      rollout: {
        at: `${R0}s`,
        strategy: {
          canary: { maxSurge: 1, maxUnavailable: 0, steps: [{ setWeight: 25 }, { analysis: { templates: ['always-fails'] } }] },
        },
        analysisTemplates: {
          'always-fails': {
            metrics: [{ name: 'never-good', query: 'all.finished', interval: '10s', count: 10, failureLimit: 3, failureCondition: 'result >= 0' }],
          },
        },
      },
    },
    rows: [
      [0, 4, 1, 4, 5],
      [10, 3, 1, 4, 4],
      [40, 4, 1, 4, 5],
      [50, 4, 0, 4, 4],
    ],
    outcome: 'rolled-back',
    durationSeconds: 50,
    check: (r) => {
      const measurements = r.events.filter((e) => e.event === 'AnalysisMeasurement');
      expect(measurements.map((e) => e.t - R0)).toEqual([10, 20, 30, 40]);
      expect(measurements.every((e) => e.reason.includes(': Failed'))).toBe(true);
      expect(rolloutEventTimes(r, 'RolloutAborted', R0)).toEqual([40]);
      const end = r.series.at(-1);
      expect([end?.podsOld, end?.readyOld, end?.podsNew, end?.gpusHeld]).toEqual([4, 4, 0, 4]);
    },
  },
];

/** Without traffic routing the gateway splits by pods; blue-green sends nothing to green before the switch. */
function expectNoNewTrafficBefore(r: RunResult, switchAt: number): void {
  const early = (r.requests ?? []).filter((q) => q.version === 'new' && q.attempt === 1 && q.arrival < switchAt);
  expect(early).toEqual([]);
  expect((r.requests ?? []).some((q) => q.version === 'new')).toBe(true);
}

describe('controller goldens through the real simulation (rollout-semantics.md §1–§3, §6)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = run(scenario(c.spec), { collectRequests: true });
    const states = podTimeline(result.events, { gpusPerPod: 1, minReadySeconds: c.minReadySeconds ?? 0 });
    expect(goldenRows(states, R0)).toEqual(c.rows);
    expect(seriesDisagreement(result, states)).toBeNull();
    const rollout = result.summary.rollout;
    expect(rollout.startedAt).toBe(R0);
    expect(rollout.outcome).toBe(c.outcome);
    expect(rollout.durationSeconds).toBe(c.durationSeconds);
    c.check?.(result);
  });

  it('the harness can fail: a golden off by one pod is caught', () => {
    const result = run(scenario(CASES[0].spec));
    const rows = goldenRows(podTimeline(result.events, { gpusPerPod: 1, minReadySeconds: 0 }), R0);
    expect(rows).not.toEqual([[0, 3, 2, 3, 5], [10, 1, 4, 3, 5], [20, 0, 4, 4, 5]]);
  });
});
