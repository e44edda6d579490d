/**
 * The Argo Rollouts canary controller reacting to scripted pods, operator actions and analysis telemetry:
 * basic canary (the pod split is the traffic split, within maxSurge/maxUnavailable) and traffic-routed canary
 * (the gateway weight follows the step once the canary has its pods). Expected traces are derived from
 * rollout-semantics.md §3.3 in the comments; the replica arithmetic itself is covered by
 * canary-arithmetic.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { zCanary } from '../../sim/rollout/strategy-schema.js';
import { ScriptedHost, type TraceEntry } from './scripted-host.js';
import { scriptedRollout } from './scripted-rollout.js';

const entries = (...rows: [number, string][]): TraceEntry[] => rows.map(([t, call]) => ({ t, call }));
const atTimes = (host: ScriptedHost, event: string) => host.logs.filter((l) => l.event === event).map((l) => l.t);

type CanaryInput = z.input<typeof zCanary>;
type Steps = NonNullable<CanaryInput['steps']>;

const errorRateTemplate = (extra: { interval?: number; count?: number } = {}) => ({
  'error-rate': {
    metrics: [{ name: 'error-rate', query: 'new.errorRate', successCondition: 'result < 0.05', ...extra }],
  },
});
const healthy = { completed: 99, dropped: 1 };
const failing = { completed: 80, dropped: 20 };

/**
 * 4 replicas, maxSurge 1, maxUnavailable 0 (surge 1, minAvailable 4, at most 5 pods): every basic-canary move is
 * "add one pod on the growing side, then, once it is available, remove one from the shrinking side".
 */
const basicCanary = (host: ScriptedHost, steps: Steps) => {
  const old = host.fleet('old', 4);
  return scriptedRollout(host, old, { strategy: { canary: { steps, maxSurge: 1, maxUnavailable: 0 } } });
};

describe('basic canary (no traffic routing)', () => {
  it('setWeight 25 → pause 60 s → setWeight 50 → pause until promote → full promotion', () => {
    const host = new ScriptedHost();
    const controller = basicCanary(host, [{ setWeight: 25 }, { pause: { duration: 60 } }, { setWeight: 50 }, { pause: {} }]);
    host.at(200, () => controller.promote());
    host.advance(300);
    // 25 % of 4 ⇒ (canary 1, stable 3). t=0: room 5 − 4 = 1 ⇒ canary 1; availability 0 + 4 ≤ minAvailable 4 ⇒ stable stays.
    // t=10: canary available ⇒ 1 + 4 − 4 = 1 to spare ⇒ stable 3; step done ⇒ pause until 10 + 60 = 70.
    // t=70: 50 % ⇒ (2, 2): canary 2 (room 1); t=80 it is available ⇒ stable 2; pause until promote.
    // t=200: weight 100 ⇒ (4, 0): canary 3; t=210: stable 1, then room ⇒ canary 4; t=220: stable 0 ⇒ complete.
    expect(host.calls('scale', 'phase', 'log RolloutComplete')).toEqual(
      entries(
        [0, 'phase weight 25%'],
        [0, 'scale new 1'],
        [10, 'scale old 3'],
        [10, 'phase pause'],
        [70, 'phase weight 50%'],
        [70, 'scale new 2'],
        [80, 'scale old 2'],
        [80, 'phase pause'],
        [200, 'phase promotion'],
        [200, 'scale new 3'],
        [210, 'scale old 1'],
        [210, 'scale new 4'],
        [220, 'scale old 0'],
        [220, 'log RolloutComplete'],
      ),
    );
    // Traffic follows the pods: the controller never writes a split.
    expect(host.calls('split')).toEqual([]);
    expect(controller.state).toMatchObject({ finishedAt: 220, outcome: 'completed' });
  });

  it('no steps: a rolling update within maxSurge/maxUnavailable, the same waves as a Deployment', () => {
    const host = new ScriptedHost();
    basicCanary(host, []);
    host.advance(100);
    // Weight 100 from the start (no steps left). Deployment 4 @ surge 1 / unavailable 0 gives
    // new 1 | old 3, new 2 | old 2, new 3 | old 1, new 4 | old 0 at 0, 10, 20, 30, 40.
    expect(host.calls('scale', 'log RolloutComplete')).toEqual(
      entries(
        [0, 'scale new 1'],
        [10, 'scale old 3'],
        [10, 'scale new 2'],
        [20, 'scale old 2'],
        [20, 'scale new 3'],
        [30, 'scale old 1'],
        [30, 'scale new 4'],
        [40, 'scale old 0'],
        [40, 'log RolloutComplete'],
      ),
    );
  });

  it('abort: weight 0 is a rolling update back to stable within the same budgets', () => {
    const host = new ScriptedHost();
    const controller = basicCanary(host, [{ setWeight: 25 }, { pause: { duration: 60 } }, { setWeight: 50 }, { pause: {} }]);
    host.at(100, () => controller.abort('operator'));
    host.advance(300);
    // At 100: (canary 2, stable 2). Weight 0 ⇒ (0, 4). Room 5 − 4 = 1 ⇒ stable 3 first; the canary is drained
    // only as far as availability allows: canary spec 2 + stable available 2 = 4 ≤ 4 ⇒ nothing yet.
    // t=110: the new stable pod is available ⇒ 2 + 3 − 4 = 1 ⇒ canary 1; then room ⇒ stable 4.
    // t=120: 1 + 4 − 4 = 1 ⇒ canary 0 ⇒ the abort is complete.
    expect(host.trace.filter((e) => e.t >= 100)).toEqual(
      entries(
        [100, 'log RolloutAborted'],
        [100, 'phase abort'],
        [100, 'scale old 3'],
        [110, 'scale new 1'],
        [110, 'scale old 4'],
        [120, 'scale new 0'],
        [120, 'log RolloutRolledBack'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 120, outcome: 'aborted', reason: 'operator' });
  });

  it('a setWeight step is complete once the stable pods it needs are created, not yet available', () => {
    const host = new ScriptedHost({ readyAfter: { old: 30 } });
    const old = host.fleet('old', 4);
    const steps: Steps = [{ setWeight: 50 }, { pause: { duration: 50 } }, { setWeight: 25 }, { pause: {} }];
    scriptedRollout(host, old, { strategy: { canary: { steps, maxSurge: 1, maxUnavailable: 1 } } });
    host.advance(200);
    // 50 % ⇒ (2, 2), reached at 10 (minAvailable 3 lets one stable pod go at once) ⇒ pause until 60.
    // t=60: 25 % of 4 ⇒ (canary 1, stable 3): room 5 − 4 = 1 ⇒ stable 3 (its new pod Ready at 90); the canary is
    // drained as far as minAvailable 3 allows: 2 + 2 − 3 = 1 ⇒ canary 1.
    // AtDesiredReplicaCountsForCanary (utils/replicaset/canary.go) checks the stable with allDesiredAreCreated
    // (spec and status.replicas == 3), the canary with allDesiredAreAvailable ⇒ step 2 done at 60, not at 90.
    expect(host.calls('phase', 'scale').filter((e) => e.t >= 60)).toEqual(
      entries([60, 'phase weight 25%'], [60, 'scale old 3'], [60, 'scale new 1'], [60, 'phase pause']),
    );
  });
});

describe('canary analysis', () => {
  it('a successful analysis step holds the next step until its last measurement', () => {
    const host = new ScriptedHost();
    host.setTelemetry('new', healthy);
    const old = host.fleet('old', 4);
    scriptedRollout(host, old, {
      strategy: { canary: { steps: [{ setWeight: 25 }, { analysis: { templates: ['error-rate'] } }, { setWeight: 50 }], maxSurge: 1, maxUnavailable: 0 } },
      analysisTemplates: errorRateTemplate({ interval: 30, count: 2 }),
    });
    host.advance(200);
    // Step 0 done at 10 (stable 3) ⇒ the run starts at 10, measures at 10 and 40 ⇒ Successful at 40 ⇒ 50 %:
    // canary 2 at 40, stable 2 at 50; then promotion: canary 3 at 50, stable 1 + canary 4 at 60, stable 0 at 70.
    expect(atTimes(host, 'AnalysisMeasurement')).toEqual([10, 40]);
    expect(host.calls('scale', 'phase', 'log RolloutComplete')).toEqual(
      entries(
        [0, 'phase weight 25%'],
        [0, 'scale new 1'],
        [10, 'scale old 3'],
        [10, 'phase analysis'],
        [40, 'phase weight 50%'],
        [40, 'scale new 2'],
        [50, 'scale old 2'],
        [50, 'phase promotion'],
        [50, 'scale new 3'],
        [60, 'scale old 1'],
        [60, 'scale new 4'],
        [70, 'scale old 0'],
        [70, 'log RolloutComplete'],
      ),
    );
  });

  it('a failed analysis step aborts at once: rolled back, the canary drained as the stable recovers', () => {
    const host = new ScriptedHost();
    host.setTelemetry('new', failing);
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { canary: { steps: [{ setWeight: 25 }, { analysis: { templates: ['error-rate'] } }, { setWeight: 100 }], maxSurge: 1, maxUnavailable: 0 } },
      analysisTemplates: errorRateTemplate(),
    });
    host.advance(200);
    // t=10: (1, 3), the analysis measures 20 % errors ⇒ Failed ⇒ abort. Weight 0 ⇒ (0, 4): room 1 ⇒ stable 4;
    // canary 1 + stable available 3 = 4 ⇒ no drain yet. t=20: 1 + 4 − 4 = 1 ⇒ canary 0 ⇒ rolled back.
    expect(host.trace.filter((e) => e.t >= 10)).toEqual(
      entries(
        [10, 'scale old 3'],
        [10, 'phase analysis'],
        [10, 'log CanaryStep'],
        [10, 'log AnalysisMeasurement'],
        [10, 'log AnalysisRun'],
        [10, 'log RolloutAborted'],
        [10, 'phase abort'],
        [10, 'scale old 4'],
        [20, 'scale new 0'],
        [20, 'log RolloutRolledBack'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 20, outcome: 'rolled-back', reason: 'analysis at step 1 Failed' });
  });

  it('background analysis measures every 60 s through the steps and aborts on its first failed measurement', () => {
    const host = new ScriptedHost();
    host.setTelemetry('new', healthy);
    host.at(100, () => host.setTelemetry('new', failing));
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }], maxSurge: 1, maxUnavailable: 0, analysis: { templates: ['error-rate'] } } },
      analysisTemplates: errorRateTemplate({ interval: 60 }),
    });
    host.advance(300);
    // Interval without count: measures until the rollout ends, at 0, 60, 120 (errors from 100) ⇒ Failed at 120.
    // At 120: (2, 2) ⇒ abort like the basic abort: stable 3 at 120; canary 1 and stable 4 at 130; canary 0 at 140.
    expect(atTimes(host, 'AnalysisMeasurement')).toEqual([0, 60, 120]);
    expect(host.calls('scale').filter((e) => e.t >= 100)).toEqual(
      entries([120, 'scale old 3'], [130, 'scale new 1'], [130, 'scale old 4'], [140, 'scale new 0']),
    );
    expect(controller.state).toMatchObject({ finishedAt: 140, outcome: 'rolled-back', reason: 'background analysis Failed' });
  });
});

describe('traffic-routed canary', () => {
  const routed = (host: ScriptedHost, steps: Steps, extra: Partial<CanaryInput> = {}) => {
    const old = host.fleet('old', 4);
    return scriptedRollout(host, old, { strategy: { canary: { steps, trafficRouting: true, ...extra } } });
  };

  it('weights move once the canary pods are available; the stable keeps all its pods until 30 s after promotion', () => {
    const host = new ScriptedHost();
    const controller = routed(host, [{ setWeight: 25 }, { pause: { duration: 60 } }, { setWeight: 50 }, { pause: {} }]);
    host.at(200, () => controller.promote());
    host.advance(400);
    // canary = ceil(4 × w / 100): 1 at 25 %, 2 at 50 %, 4 at 100 %; the stable stays at 4 (no dynamicStableScale).
    // The weight follows only when the canary has its pods: 25 at 10, 50 at 80, 100 at 210.
    // All steps done and weight 100 at 210 ⇒ promoted; old stable scaled to 0 at 210 + 30.
    expect(host.calls('scale', 'split', 'phase', 'log RolloutComplete')).toEqual(
      entries(
        [0, 'phase weight 25%'],
        [0, 'scale new 1'],
        [10, 'split old=75 new=25'],
        [10, 'phase pause'],
        [70, 'phase weight 50%'],
        [70, 'scale new 2'],
        [80, 'split old=50 new=50'],
        [80, 'phase pause'],
        [200, 'phase promotion'],
        [200, 'scale new 4'],
        [210, 'split old=0 new=100'],
        [210, 'phase scale-down delay'],
        [240, 'scale old 0'],
        [240, 'log RolloutComplete'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 240, outcome: 'completed' });
  });

  it('a canary with no available pod gets 0 % until one is available again', () => {
    const host = new ScriptedHost();
    routed(host, [{ setWeight: 25 }, { pause: {} }]);
    host.at(30, () => host.crash('new'));
    host.at(40, () => host.ready('new'));
    host.advance(100);
    expect(host.calls('split')).toEqual(entries([10, 'split old=75 new=25'], [30, 'split old=100 new=0'], [40, 'split old=75 new=25']));
  });

  it('setCanaryScale replicas 2 stays in force through the next setWeight (traffic and pods set apart)', () => {
    const host = new ScriptedHost();
    routed(host, [{ setCanaryScale: { replicas: 2 } }, { setWeight: 25 }, { pause: {} }]);
    host.advance(100);
    // Step 0: canary 2 pods, weight still 0. Step 1: setCanaryScale is still the last one ⇒ 2 pods (not
    // ceil(4 × 25 %) = 1), weight 25 once they are available.
    expect(host.calls('scale', 'split', 'phase')).toEqual(
      entries(
        [0, 'phase setCanaryScale'],
        [0, 'scale new 2'],
        [10, 'phase weight 25%'],
        [10, 'split old=75 new=25'],
        [10, 'phase pause'],
      ),
    );
  });

  it('abort with abortScaleDownDelaySeconds 60: the canary is kept 60 s after the stable is fully available', () => {
    const host = new ScriptedHost();
    const controller = routed(host, [{ setWeight: 50 }, { pause: {} }], { abortScaleDownDelaySeconds: 60 });
    host.at(30, () => controller.abort('operator'));
    host.advance(200);
    // rollout/replicaset.go reconcileNewReplicaSet: shouldDelayScaleDownOnAbort holds the canary's size (the aborted
    // weight 0 would size it to 0) and annotates the deadline once the stable is fully available (already at 30).
    expect(host.calls('scale', 'split', 'log ScaleDownDelay')).toEqual(
      entries([0, 'scale new 2'], [10, 'split old=50 new=50'], [30, 'split old=100 new=0'], [30, 'log ScaleDownDelay'], [90, 'scale new 0']),
    );
    expect(controller.state).toMatchObject({ finishedAt: 90, outcome: 'aborted' });
  });

  it('abort with abortScaleDownDelaySeconds 0 and setWeight steps: the canary follows the aborted weight to 0', () => {
    const host = new ScriptedHost();
    const controller = routed(host, [{ setWeight: 50 }, { pause: {} }], { abortScaleDownDelaySeconds: 0 });
    host.at(30, () => controller.abort('operator'));
    host.advance(200);
    // Argo's code, not its docs table (docs/features/scaledown-aborted-rs.md says "does not scale down"): with the
    // delay 0, shouldDelayScaleDownOnAbort is false, so reconcileNewReplicaSet scales the canary to NewRSNewReplicas
    // = trafficWeightToReplicas(GetCurrentSetWeight = 0 when aborted) = 0. Only a setCanaryScale keeps it up
    // (UseSetCanaryScale ignores the abort when the delay is 0; see canary-abort-goldens).
    expect(host.calls('scale', 'split')).toEqual(entries([0, 'scale new 2'], [10, 'split old=50 new=50'], [30, 'scale new 0'], [30, 'split old=100 new=0']));
    expect(controller.state).toMatchObject({ finishedAt: 30, outcome: 'aborted' });
  });

  it('dynamicStableScale: the stable shrinks only after the gateway weight has moved', () => {
    const host = new ScriptedHost();
    routed(host, [{ setWeight: 50 }, { pause: {} }], { dynamicStableScale: true });
    host.advance(100);
    // Stable = max(ceil(4 × 50 %), ceil(4 × routed stable weight)): 4 while the router sends it 100 %,
    // 2 once the weight is 50/50 (t=10, canary available).
    expect(host.calls('scale', 'split')).toEqual(entries([0, 'scale new 2'], [10, 'split old=50 new=50'], [10, 'scale old 2']));
  });
});
