import type { ReplicaSet } from '../cluster/replicaset.js';
import { InputError } from '../errors.js';
import { compileExpression } from '../expressions/safe-eval.js';
import { intCount, percent } from '../config/int-or-percent.js';
import { AdapterRewriteController, inferencePoolCanarySteps } from './adapter-rollout.js';
import { resolveTemplates } from './analysis-runner.js';
import type { AnalysisMetric } from './analysis-schema.js';
import { BlueGreenController } from './blue-green-controller.js';
import { CanaryController } from './canary-controller.js';
import type { RolloutController } from './controller.js';
import { DeploymentController } from './deployment-controller.js';
import { FlaggerController, flaggerParams } from './flagger-controller.js';
import { GatewayCutoverController } from './gateway-cutover-controller.js';
import { LeaderWorkerSetController } from './leader-worker-set-controller.js';
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
    'flagger' in s ||
    'gatewayCutover' in s ||
    ('canary' in s && s.canary.trafficRouting) ||
    'adapterRewrite' in s ||
    'inferencePoolSplit' in s
  );
}

/** How far back in time the rollout's analyses read telemetry (seconds): the metrics' windows or intervals. */
export function analysisReach(rollout: RolloutSpec | undefined): number {
  if (!rollout) return 0;
  const windows = Object.values(rollout.analysisTemplates).flatMap((t) => t.metrics.map((m) => m.window));
  if ('flagger' in rollout.strategy) windows.push(...rollout.strategy.flagger.analysis.metrics.map((m) => m.interval));
  return Math.max(0, ...windows);
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
  if ('sleepWake' in s) {
    return new DeploymentController(
      host,
      { replicas, strategy: { kind: 'sleepWake', maxUnavailable: s.sleepWake.maxUnavailable }, progressDeadlineSeconds: rollout.progressDeadlineSeconds },
      stable,
    );
  }
  if ('leaderWorkerSet' in s) {
    // Hash group identity (lws#987): the leaders are a Deployment's pods, rolled by its RollingUpdate with LWS's
    // budgets; the group-ready readiness gate makes each leader Ready only with its whole group.
    if (stable.template.group?.hash != null) {
      const { maxSurge, maxUnavailable } = s.leaderWorkerSet;
      return new DeploymentController(host, { replicas, strategy: { kind: 'rollingUpdate', maxSurge, maxUnavailable }, progressDeadlineSeconds: rollout.progressDeadlineSeconds }, stable);
    }
    return new LeaderWorkerSetController(host, { replicas, ...s.leaderWorkerSet }, stable);
  }
  if ('blueGreen' in s) {
    const bg = s.blueGreen;
    if (!bg.previewMirrorPercent && rollout.previewTraffic === undefined) {
      rejectUnfedPreviewAnalysis(bg.prePromotionAnalysis?.templates ?? [], templates, `${base}.blueGreen.prePromotionAnalysis`);
    }
    return new BlueGreenController(
      host,
      {
        replicas,
        previewReplicaCount: bg.previewReplicaCount,
        autoPromotionEnabled: bg.autoPromotionEnabled,
        autoPromotionSeconds: bg.autoPromotionSeconds,
        scaleDownDelaySeconds: bg.scaleDownDelaySeconds,
        abortScaleDownDelaySeconds: bg.abortScaleDownDelaySeconds,
        previewMirrorShare: (bg.previewMirrorPercent ?? 0) / 100,
        previewTraffic: rollout.previewTraffic !== undefined,
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
  if ('gatewayCutover' in s) return new GatewayCutoverController(host, s.gatewayCutover, stable, replicas);
  if ('flagger' in s) return new FlaggerController(host, flaggerParams(s.flagger, replicas, `${base}.flagger`), stable);
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
      soakAnalysis: metrics(sh.soakAnalysis?.templates, `${base}.shadowBlueGreen.soakAnalysis`),
    },
    stable,
  );
}

/**
 * Before the switch a blue-green preview receives no live traffic, so a pre-promotion metric on new.* (or shadow.*)
 * would measure nothing: every measurement errors and even a good version is rolled back. Refused up front.
 */
function rejectUnfedPreviewAnalysis(
  names: readonly string[],
  templates: RolloutSpec['analysisTemplates'],
  path: string,
): void {
  for (const name of names) {
    for (const metric of templates[name]?.metrics ?? []) {
      const read = compileExpression(metric.query).symbols.find((f) => f.startsWith('new.') || f.startsWith('shadow.'));
      if (read === undefined) continue;
      throw new InputError(
        `metric "${metric.name}" of template "${name}" reads ${read}, but the preview gets no traffic before the ` +
          'switch, so every measurement would error and the rollout roll back; send it test requests ' +
          '(spec.rollout.previewTraffic: { rate, promptTokens, outputTokens }) or a copy of live traffic ' +
          '(spec.rollout.strategy.blueGreen.previewMirrorPercent)',
        path,
      );
    }
  }
}
