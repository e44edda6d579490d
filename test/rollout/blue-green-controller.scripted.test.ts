/**
 * The Argo Rollouts blue-green controller reacting to scripted preview pods, operator actions and analysis
 * telemetry. Expected traces follow rollout-semantics.md §3.2 (and argo-rollouts rollout/bluegreen.go,
 * rollout/replicaset.go for the abort scale-down); the derivation is in each comment. Defaults from the schema:
 * autoPromotionEnabled true, autoPromotionSeconds 0, scaleDownDelaySeconds 30, abortScaleDownDelaySeconds 30.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { ScriptedHost, type TraceEntry } from './scripted-host.js';
import { scriptedRollout } from './scripted-rollout.js';

const entries = (...rows: [number, string][]): TraceEntry[] => rows.map(([t, call]) => ({ t, call }));

/** One-shot error-rate check of the new version: Failed when 5 % or more of its requests fail. */
const errorRateTemplate = (extra: { interval?: number; count?: number } = {}) => ({
  'error-rate': {
    metrics: [{ name: 'error-rate', query: 'new.errorRate', successCondition: 'result < 0.05', ...extra }],
  },
});
const healthy = { completed: 99, dropped: 1 };
const failing = { completed: 80, dropped: 20 };

describe('blue-green promotion', () => {
  it('defaults: preview at full size beside the active RS, switch when all are available, old RS kept 30 s', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, { strategy: { blueGreen: {} } });
    host.advance(100);
    // Preview desired = previewReplicaCount ?? replicas = 4, no maxSurge: 8 pods from t=0.
    // t=10: 4 available = replicas, no pause (auto-promotion, 0 s) ⇒ active switch; deadline 10 + 30 = 40.
    expect(host.trace).toEqual(
      entries(
        [0, 'create new'],
        [0, 'phase preview up'],
        [0, 'log RolloutStarted'],
        [0, 'scale new 4'],
        [10, 'log SwitchActive'],
        [10, 'split new=100'],
        [10, 'phase post-promotion'],
        [10, 'phase scale-down delay'],
        [10, 'log ScaleDownDelay'],
        [40, 'scale old 0'],
        [40, 'log RolloutComplete'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 40, outcome: 'completed' });
  });

  it('the switch waits for the last preview pod to be available', () => {
    const host = new ScriptedHost({ readyAfter: { new: null } });
    const old = host.fleet('old', 4);
    scriptedRollout(host, old, { strategy: { blueGreen: {} } });
    host.at(10, () => host.ready('new', 3));
    host.at(25, () => host.ready('new'));
    host.advance(100);
    // ReadyForPause needs available == desired (4): 3 at t=10 is not enough; the 4th at 25 ⇒ switch at 25, old 0 at 55.
    expect(host.calls('split', 'scale')).toEqual(entries([0, 'scale new 4'], [25, 'split new=100'], [55, 'scale old 0']));
  });

  it('previewReplicaCount 1 without auto-promotion: pause with 1 preview pod, promote scales it to 4, switch when saturated', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { blueGreen: { previewReplicaCount: 1, autoPromotionEnabled: false } },
    });
    host.at(100, () => controller.promote());
    host.advance(200);
    // t=0 preview 1; t=10 it is available ⇒ ReadyForPause ⇒ paused (no switch without promote).
    // t=100 promote ⇒ ScaleUpPreviewCheckPoint: preview → replicas 4; the 3 new pods are available at 110 ⇒
    // IsSaturated ⇒ switch at 110; old RS scaled to 0 at 110 + 30.
    expect(host.trace.filter((e) => e.t > 0)).toEqual(
      entries(
        [10, 'phase paused'],
        [10, 'log Paused'],
        [100, 'log Promoted'],
        [100, 'log ScalingPreview'],
        [100, 'scale new 4'],
        [110, 'log SwitchActive'],
        [110, 'split new=100'],
        [110, 'phase post-promotion'],
        [110, 'phase scale-down delay'],
        [110, 'log ScaleDownDelay'],
        [140, 'scale old 0'],
        [140, 'log RolloutComplete'],
      ),
    );
    expect(host.calls('scale').filter((e) => e.t === 0)).toEqual(entries([0, 'scale new 1']));
  });

  it('autoPromotionSeconds 120: the pause starts when the preview is available and ends 120 s later', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    scriptedRollout(host, old, { strategy: { blueGreen: { autoPromotionSeconds: 120 } } });
    host.advance(129);
    expect(host.calls('split')).toEqual([]);
    host.advance(300);
    // Pause StartTime 10 ⇒ switch at 10 + 120 = 130; old RS to 0 at 130 + 30.
    expect(host.calls('log Paused', 'split', 'scale old')).toEqual(
      entries([10, 'log Paused'], [130, 'split new=100'], [160, 'scale old 0']),
    );
  });

  it('promote during a timed pause switches at once', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, { strategy: { blueGreen: { autoPromotionSeconds: 120 } } });
    host.at(50, () => controller.promote());
    host.advance(300);
    expect(host.calls('split', 'scale old')).toEqual(entries([50, 'split new=100'], [80, 'scale old 0']));
  });

  it('a preview pod that crash-loops during the pause holds the switch after promote until it recovers', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 2);
    const controller = scriptedRollout(host, old, { strategy: { blueGreen: { autoPromotionEnabled: false } } });
    host.at(20, () => host.crash('new', 1));
    host.at(30, () => controller.promote());
    host.at(45, () => host.ready('new'));
    host.advance(100);
    // Paused at 10. Promoted at 30, but the switch needs available == replicas (IsSaturated): 1 of 2 until 45.
    expect(host.calls('log Promoted', 'split', 'scale old')).toEqual(
      entries([30, 'log Promoted'], [45, 'split new=100'], [75, 'scale old 0']),
    );
  });
});

describe('blue-green analysis', () => {
  it('pre-promotion analysis (3 measurements, 60 s apart) must succeed before the switch', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    host.setTelemetry('new', healthy);
    scriptedRollout(host, old, {
      strategy: { blueGreen: { prePromotionAnalysis: { templates: ['error-rate'] } } },
      analysisTemplates: errorRateTemplate({ interval: 60, count: 3 }),
      previewTraffic: { rate: '2/s', promptTokens: 500, outputTokens: 50 },
    });
    host.advance(300);
    // The run starts when the preview is available (t=10), and so does the test traffic to it: measurements at
    // 10, 70, 130 ⇒ Successful at 130 ⇒ switch at 130 (test traffic off); old RS to 0 at 160.
    expect(
      host.calls('preview traffic', 'phase pre-promotion analysis', 'log AnalysisMeasurement', 'log AnalysisRun', 'split', 'scale old'),
    ).toEqual(
      entries(
        [10, 'preview traffic on'],
        [10, 'phase pre-promotion analysis'],
        [10, 'log AnalysisMeasurement'],
        [70, 'log AnalysisMeasurement'],
        [130, 'log AnalysisMeasurement'],
        [130, 'log AnalysisRun'],
        [130, 'preview traffic off'],
        [130, 'split new=100'],
        [160, 'scale old 0'],
      ),
    );
  });

  it('failed pre-promotion analysis: traffic never leaves the active RS, the preview goes to 0 after 30 s, rolled back', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    host.setTelemetry('new', failing);
    const controller = scriptedRollout(host, old, {
      strategy: { blueGreen: { prePromotionAnalysis: { templates: ['error-rate'] }, previewMirrorPercent: 50 } },
      analysisTemplates: errorRateTemplate(),
    });
    host.advance(100);
    // t=10: the preview is available ⇒ half the live requests are copied to it; the one measurement sees 20 %
    // errors ⇒ Failed ⇒ abort (mirror off); the stable RS is fully available, so the preview's scale-down
    // deadline is 10 + 30 = 40.
    expect(host.trace.filter((e) => e.t > 0)).toEqual(
      entries(
        [10, 'mirror new 50%'],
        [10, 'phase pre-promotion analysis'],
        [10, 'log AnalysisMeasurement'],
        [10, 'log AnalysisRun'],
        [10, 'mirror off'],
        [10, 'log RolloutAborted'],
        [10, 'phase abort'],
        [10, 'split old=100'],
        [10, 'log ScaleDownDelay'],
        [40, 'scale new 0'],
        [40, 'log RolloutRolledBack'],
      ),
    );
    expect(controller.state).toMatchObject({ finishedAt: 40, outcome: 'rolled-back', reason: 'pre-promotion analysis Failed' });
  });

  it('a pre-promotion analysis of new.* with no traffic to the preview is refused before the run', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const build = () =>
      scriptedRollout(host, old, {
        strategy: { blueGreen: { prePromotionAnalysis: { templates: ['error-rate'] } } },
        analysisTemplates: errorRateTemplate(),
      });
    expect(build).toThrow(InputError);
    expect(build).toThrow(/spec\.rollout\.strategy\.blueGreen\.prePromotionAnalysis.*reads new\.errorRate.*previewTraffic.*previewMirrorPercent/s);
  });

  it('failed post-promotion analysis: the active service goes back to the old RS, which was never scaled down', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    host.setTelemetry('new', failing);
    const controller = scriptedRollout(host, old, {
      strategy: { blueGreen: { postPromotionAnalysis: { templates: ['error-rate'] } } },
      analysisTemplates: errorRateTemplate(),
    });
    host.advance(100);
    // Switch at 10, the post-promotion run measures at 10 ⇒ Failed ⇒ abort: selector back to old at 10 and
    // the new RS to 0 at 10 + 30. The old RS keeps its 4 pods throughout (the scale-down waits for the analysis).
    expect(host.gatewayChanges()).toEqual(entries([10, 'split new=100'], [10, 'split old=100']));
    expect(host.calls('scale')).toEqual(entries([0, 'scale new 4'], [40, 'scale new 0']));
    expect(host.podCounts(old)).toMatchObject({ spec: 4, available: 4 });
    expect(controller.state).toMatchObject({ finishedAt: 40, outcome: 'rolled-back', reason: 'post-promotion analysis Failed' });
  });

  it('successful post-promotion analysis: the old RS goes at max(analysis success, switch + 30 s)', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    host.setTelemetry('new', healthy);
    scriptedRollout(host, old, {
      strategy: { blueGreen: { postPromotionAnalysis: { templates: ['error-rate'] } } },
      analysisTemplates: errorRateTemplate({ interval: 60, count: 2 }),
    });
    host.advance(200);
    // Switch at 10; measurements at 10 and 70 ⇒ Successful at 70 > 10 + 30 ⇒ old RS to 0 at 70.
    expect(host.calls('split', 'log AnalysisRun', 'scale old', 'log RolloutComplete')).toEqual(
      entries([10, 'split new=100'], [70, 'log AnalysisRun'], [70, 'scale old 0'], [70, 'log RolloutComplete']),
    );
  });
});

describe('blue-green abort', () => {
  it('operator abort during the pause: outcome aborted, preview to 0 after abortScaleDownDelaySeconds', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { blueGreen: { autoPromotionEnabled: false, abortScaleDownDelaySeconds: 45 } },
    });
    host.at(50, () => controller.abort('operator'));
    host.advance(200);
    expect(host.gatewayChanges()).toEqual(entries([50, 'split old=100']));
    expect(host.calls('scale', 'log RolloutRolledBack')).toEqual(
      entries([0, 'scale new 4'], [95, 'scale new 0'], [95, 'log RolloutRolledBack']),
    );
    expect(controller.state).toMatchObject({ finishedAt: 95, outcome: 'aborted', reason: 'operator' });
  });

  it('the abort delay starts when the stable ReplicaSet is fully available again, not at the abort', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { blueGreen: { autoPromotionEnabled: false, abortScaleDownDelaySeconds: 45 } },
    });
    host.at(40, () => host.crash(old, 1));
    host.at(50, () => controller.abort('operator'));
    host.at(120, () => host.ready(old));
    host.advance(300);
    // rollout/replicaset.go reconcileNewReplicaSet adds the scale-down-deadline annotation only once
    // stableRS.Status.AvailableReplicas >= spec.replicas (the deadline scales the preview to zero unconditionally):
    // the stable has 3 of 4 available from 40 to 120 ⇒ deadline 120 + 45 = 165, not 50 + 45.
    expect(host.calls('log ScaleDownDelay', 'scale new', 'log RolloutRolledBack')).toEqual(
      entries([0, 'scale new 4'], [120, 'log ScaleDownDelay'], [165, 'scale new 0'], [165, 'log RolloutRolledBack']),
    );
    expect(controller.state).toMatchObject({ finishedAt: 165, outcome: 'aborted' });
  });

  it('abortScaleDownDelaySeconds 0: the preview is left up and the abort completes at once', () => {
    const host = new ScriptedHost();
    const old = host.fleet('old', 4);
    const controller = scriptedRollout(host, old, {
      strategy: { blueGreen: { autoPromotionEnabled: false, abortScaleDownDelaySeconds: 0 } },
    });
    host.at(50, () => controller.abort('operator'));
    host.advance(500);
    expect(host.calls('scale')).toEqual(entries([0, 'scale new 4']));
    expect(host.podCounts('new')).toMatchObject({ spec: 4, available: 4 });
    expect(controller.state).toMatchObject({ finishedAt: 50, outcome: 'aborted' });
  });
});
