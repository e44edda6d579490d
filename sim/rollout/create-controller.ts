import type { ReplicaSet } from '../cluster/replicaset.js';
import { intCount, percent } from '../config/int-or-percent.js';
import { AdapterRewriteController, inferencePoolCanarySteps } from './adapter-rollout.js';
import { resolveTemplates } from './analysis-runner.js';
import type { AnalysisMetric } from './analysis-schema.js';
import { BlueGreenController } from './blue-green-controller.js';
import { CanaryController } from './canary-controller.js';
import type { RolloutController } from './controller.js';
import { DeploymentController } from './deployment-controller.js';
import type { RolloutHost } from './host.js';
import { ShadowBlueGreenController } from './shadow-controller.js';
import type { RolloutSpec, WeightStep } from './strategy-schema.js';

/** The strategy's name as reports show it. */
export function strategyName(rollout: RolloutSpec | undefined): string {
  if (!rollout) return 'none';
  return Object.keys(rollout.strategy)[0];
}

/** Does the strategy route traffic by weight at the gateway (rather than by pods behind one Service)? */
export function routesByWeight(rollout: RolloutSpec | undefined): boolean {
  if (!rollout) return false;
  const s = rollout.strategy;
  return (
    'blueGreen' in s ||
    'shadowBlueGreen' in s ||
    ('canary' in s && s.canary.trafficRouting) ||
    'adapterRewrite' in s ||
    'inferencePoolSplit' in s
  );
}

export function createController(
  rollout: RolloutSpec,
  host: RolloutHost,
  stable: ReplicaSet,
  replicas: number,
): RolloutController {
  const s = rollout.strategy;
  const templates = rollout.analysisTemplates;
  const metrics = (names: readonly string[] | undefined, path: string): AnalysisMetric[] | null =>
    names ? resolveTemplates(names, templates, path) : null;
  const base = 'spec.rollout.strategy';
  if ('rollingUpdate' in s) {
    return new DeploymentController(
      host,
      { replicas, strategy: { kind: 'rollingUpdate', ...s.rollingUpdate }, progressDeadlineSeconds: rollout.progressDeadlineSeconds },
      stable,
    );
  }
  if ('recreate' in s) {
    return new DeploymentController(
      host,
      { replicas, strategy: { kind: 'recreate' }, progressDeadlineSeconds: rollout.progressDeadlineSeconds },
      stable,
    );
  }
  if ('blueGreen' in s) {
    const bg = s.blueGreen;
    return new BlueGreenController(
      host,
      {
        replicas,
        previewReplicaCount: bg.previewReplicaCount,
        autoPromotionEnabled: bg.autoPromotionEnabled,
        autoPromotionSeconds: bg.autoPromotionSeconds,
        scaleDownDelaySeconds: bg.scaleDownDelaySeconds,
        abortScaleDownDelaySeconds: bg.abortScaleDownDelaySeconds,
        prePromotionAnalysis: metrics(bg.prePromotionAnalysis?.templates, `${base}.blueGreen.prePromotionAnalysis`),
        postPromotionAnalysis: metrics(bg.postPromotionAnalysis?.templates, `${base}.blueGreen.postPromotionAnalysis`),
      },
      stable,
    );
  }
  /** Each analysis step's metrics by its index in the controller's steps (`shift` steps after the written one). */
  const stepAnalysesOf = (steps: readonly (WeightStep | { setCanaryScale: unknown })[], path: string, shift = 0) => {
    const byIndex = new Map<number, AnalysisMetric[]>();
    for (const [i, step] of steps.entries()) {
      if ('analysis' in step) byIndex.set(i + shift, resolveTemplates(step.analysis.templates, templates, `${path}[${i}].analysis`));
    }
    return byIndex;
  };
  if ('adapterRewrite' in s) {
    const r = s.adapterRewrite;
    return new AdapterRewriteController(host, {
      steps: r.steps,
      stepAnalyses: stepAnalysesOf(r.steps, `${base}.adapterRewrite.steps`),
      backgroundAnalysis: metrics(r.analysis?.templates, `${base}.adapterRewrite.analysis`),
    });
  }
  if ('inferencePoolSplit' in s) {
    // A second pool at full size and the route's weights: an Argo canary with traffic routing and a fixed canary scale.
    const p = s.inferencePoolSplit;
    return new CanaryController(
      host,
      {
        replicas,
        steps: inferencePoolCanarySteps(p.steps, p.replicas ?? replicas),
        maxSurge: percent(100),
        maxUnavailable: intCount(0),
        trafficRouting: true,
        dynamicStableScale: false,
        scaleDownDelaySeconds: p.scaleDownDelaySeconds,
        abortScaleDownDelaySeconds: undefined,
        minPodsPerReplicaSet: undefined,
        stepAnalyses: stepAnalysesOf(p.steps, `${base}.inferencePoolSplit.steps`, 1),
        backgroundAnalysis: metrics(p.analysis?.templates, `${base}.inferencePoolSplit.analysis`),
      },
      stable,
    );
  }
  if ('canary' in s) {
    const c = s.canary;
    const stepAnalyses = stepAnalysesOf(c.steps, `${base}.canary.steps`);
    return new CanaryController(
      host,
      {
        replicas,
        steps: c.steps,
        maxSurge: c.maxSurge,
        maxUnavailable: c.maxUnavailable,
        trafficRouting: c.trafficRouting,
        dynamicStableScale: c.dynamicStableScale,
        scaleDownDelaySeconds: c.scaleDownDelaySeconds,
        abortScaleDownDelaySeconds: c.abortScaleDownDelaySeconds,
        minPodsPerReplicaSet: c.minPodsPerReplicaSet,
        stepAnalyses,
        backgroundAnalysis: metrics(c.analysis?.templates, `${base}.canary.analysis`),
      },
      stable,
    );
  }
  const sh = s.shadowBlueGreen;
  return new ShadowBlueGreenController(
    host,
    {
      replicas,
      mirrorShare: sh.mirrorPercent / 100,
      shadowDuration: sh.shadowDuration,
      soakSeconds: sh.soakSeconds,
      abortScaleDownDelaySeconds: sh.abortScaleDownDelaySeconds,
      analysis: metrics(sh.analysis?.templates, `${base}.shadowBlueGreen.analysis`),
    },
    stable,
  );
}
