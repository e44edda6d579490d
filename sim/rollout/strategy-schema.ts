import { z } from 'zod';
import { ARGO_ROLLOUT_DEFAULTS as ARGO, DEPLOYMENT_DEFAULTS, VLLM_SLEEP_MODE } from '../config/upstream-defaults.js';
import { zDuration, zIntOrPercent } from '../config/zod-units.js';
import { zPreviewTraffic } from '../traffic/config.js';
import { intCount, type IntOrPercent } from '../config/int-or-percent.js';
import { zAnalysisTemplate } from './analysis-schema.js';
import { rollingBudgetProblem } from './fenceposts.js';
import { zFlagger } from './flagger-schema.js';
import { zGatewayCutover } from './gateway-cutover-schema.js';
import { zLeaderWorkerSetShapeChange } from '../cluster/leader-worker-schema.js';

/**
 * The scenario's `rollout` field. Defaults are the real controllers' (config/upstream-defaults.ts), written out
 * here so `rollout-sim schema` shows them.
 */

const zNonNegativeInt = z.number().int().min(0);

function checkBudgets(s: { maxSurge: IntOrPercent; maxUnavailable: IntOrPercent }, ctx: z.core.$RefinementCtx): void {
  const problem = rollingBudgetProblem(s.maxSurge, s.maxUnavailable);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, path: ['maxUnavailable'] });
}

/** Kubernetes Deployment RollingUpdate (apps/v1). */
export const zRollingUpdate = z
  .strictObject({
    maxSurge: zIntOrPercent.prefault(DEPLOYMENT_DEFAULTS.maxSurge),
    maxUnavailable: zIntOrPercent.prefault(DEPLOYMENT_DEFAULTS.maxUnavailable),
  })
  .superRefine(checkBudgets);

export const zRecreate = z.strictObject({});

/**
 * LeaderWorkerSet's RollingUpdate (spec.rolloutStrategy.rollingUpdateConfiguration; docs/multi-node.md): budgets in
 * replicas (groups), LWS's defaults maxUnavailable 1 and maxSurge 0, and the partition below which groups keep
 * the old revision.
 */
export const zLeaderWorkerSetRollout = z
  .strictObject({
    maxUnavailable: zIntOrPercent.prefault(1),
    maxSurge: zIntOrPercent.prefault(0),
    partition: zNonNegativeInt.default(0).meta({ description: 'groups with an ordinal below it keep the old revision (a staged rollout)' }),
  })
  .superRefine(checkBudgets);

/**
 * A zero-surge model swap on the same GPUs with vLLM sleep mode (docs/startup-levers.md): the new version's
 * engine waits asleep beside each old pod; `maxUnavailable` pods at a time, the old one drains and is put to
 * sleep, freeing its GPUs, and the new one wakes there. Level 1: the new weights wait in host memory (checked
 * against the node's); level 2: they were discarded and are reloaded (page cache, node cache or weightSource).
 */
export const zSleepWake = z
  .strictObject({
    level: z
      .union([z.literal(1), z.literal(2)])
      .default(VLLM_SLEEP_MODE.level)
      .meta({ description: '1: weights offloaded to host memory, a wake copies them back; 2: weights discarded, a wake reloads them' }),
    maxUnavailable: zIntOrPercent
      .prefault(DEPLOYMENT_DEFAULTS.maxUnavailable)
      .meta({ description: 'pods swapped at once (no surge: the new pods take the GPUs the old ones free)' }),
  })
  .superRefine((s, ctx) => checkBudgets({ maxSurge: intCount(0), maxUnavailable: s.maxUnavailable }, ctx));

/** A reference to analysis templates declared under rollout.analysisTemplates. */
export const zAnalysisRef = z.strictObject({
  templates: z.array(z.string().min(1)).min(1),
});

/** Argo Rollouts blue-green (rollout-semantics.md §3.2). */
export const zBlueGreen = z.strictObject({
  previewReplicaCount: zNonNegativeInt.optional(),
  autoPromotionEnabled: z.boolean().default(ARGO.autoPromotionEnabled),
  autoPromotionSeconds: zDuration.prefault(ARGO.autoPromotionSeconds),
  scaleDownDelaySeconds: zDuration.prefault(ARGO.scaleDownDelaySeconds),
  abortScaleDownDelaySeconds: zDuration.prefault(ARGO.abortScaleDownDelaySeconds),
  /** The preview gets no live traffic before the switch; a mirror gives it a copy of some (as shadow's). */
  previewMirrorPercent: z.number().min(0).max(100).optional().meta({
    description:
      'share of live requests copied to the preview from when it is available until the switch (answers discarded; queries read shadow.* and new.*); unset: none',
  }),
  prePromotionAnalysis: zAnalysisRef.optional(),
  postPromotionAnalysis: zAnalysisRef.optional(),
});

const CANARY_STEP_KINDS = ['setWeight', 'pause', 'analysis', 'setCanaryScale'];

const zCanaryStep = z.union([
  z.strictObject({ setWeight: z.number().min(0).max(100) }),
  z.strictObject({ pause: z.strictObject({ duration: zDuration.optional() }) }),
  z.strictObject({ analysis: zAnalysisRef }),
  z.strictObject({
    setCanaryScale: z.union([
      z.strictObject({ replicas: zNonNegativeInt }),
      z.strictObject({ weight: z.number().min(0).max(100) }),
      z.strictObject({ matchTrafficWeight: z.literal(true) }),
    ]),
  }),
], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `expected a step with one of ${CANARY_STEP_KINDS.join(', ')} (names are case-sensitive, as in Argo Rollouts)`
      : undefined,
});
export type CanaryStep = z.output<typeof zCanaryStep>;

/** Argo Rollouts canary (rollout-semantics.md §3.3). */
export const zCanary = z
  .strictObject({
    steps: z.array(zCanaryStep).default([]),
    maxSurge: zIntOrPercent.prefault(ARGO.maxSurge),
    maxUnavailable: zIntOrPercent.prefault(ARGO.maxUnavailable),
    /** With traffic routing the gateway splits by weight; without it traffic follows pod counts. */
    trafficRouting: z.boolean().default(false),
    dynamicStableScale: z.boolean().default(ARGO.dynamicStableScale),
    scaleDownDelaySeconds: zDuration.prefault(ARGO.scaleDownDelaySeconds),
    /**
     * Left unset it means ARGO.abortScaleDownDelaySeconds, but Argo tells unset from written: with
     * dynamicStableScale an unset delay lets the canary shrink step by step during an abort, a written one keeps it
     * at full size until the delay has passed. 0 leaves the canary up. Applies with trafficRouting only.
     */
    abortScaleDownDelaySeconds: zDuration
      .optional()
      .meta({ description: `unset: ${ARGO.abortScaleDownDelaySeconds} s (and a step-wise scale-down with dynamicStableScale); 0: never scale the canary down` }),
    /** A floor for the canary and the stable ReplicaSet whenever either is not scaled to zero (trafficRouting only). */
    minPodsPerReplicaSet: zNonNegativeInt.optional(),
    /** Background analysis over the whole canary. */
    analysis: zAnalysisRef.optional(),
  })
  .superRefine(checkBudgets);

const REWRITE_STEP_KINDS = ['setWeight', 'pause', 'analysis'];

/** The steps of a gateway-weighted rollout (no pods to scale): weights, pauses and analyses, as a canary's. */
const zWeightStep = z.union(
  [
    z.strictObject({ setWeight: z.number().min(0).max(100) }),
    z.strictObject({ pause: z.strictObject({ duration: zDuration.optional() }) }),
    z.strictObject({ analysis: zAnalysisRef }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? `expected a step with one of ${REWRITE_STEP_KINDS.join(', ')}` : undefined) },
);
export type WeightStep = z.output<typeof zWeightStep>;

const zAdapterName = z.string().min(1);

/**
 * An adapter rolled out inside one InferencePool (docs/lora.md): the gateway rewrites a share of the requests
 * for adapter `from` to adapter `to` (InferenceModelRewrite / InferenceModel targetModels weights), step by step.
 * Both adapters are served by the same pods: no pod is created.
 */
const differentAdapters = (s: { from?: string; to?: string }, ctx: z.core.$RefinementCtx): void => {
  if (s.from !== undefined && s.from === s.to) ctx.addIssue({ code: 'custom', path: ['to'], message: `is the same adapter as from ("${s.from}"); expected the new version` });
};

export const zAdapterRewrite = z
  .strictObject({
    from: zAdapterName.meta({ description: 'the adapter clients ask for (the version serving now)' }),
    to: zAdapterName.meta({ description: 'the new version of the adapter' }),
    steps: z.array(zWeightStep).default([]),
    analysis: zAnalysisRef.optional().meta({ description: 'background analysis over the whole rollout (per-version telemetry: new = served by `to`)' }),
  })
  .superRefine(differentAdapters);

/**
 * A second InferencePool behind an HTTPRoute's weighted backendRefs (docs/lora.md): the new version is a fleet of
 * its own, at full size from the start (`replicas`, default the fleet's), and the route's weights move traffic
 * to it by the steps; after the last step the old pool is scaled down after scaleDownDelaySeconds. With `from`
 * and `to`, the new pool serves requests for adapter `from` with adapter `to` (its own InferenceModel).
 */
export const zInferencePoolSplit = z
  .strictObject({
    replicas: z.int().min(1).optional().meta({ description: 'pods of the new pool (default: the fleet\'s replicas)' }),
    from: zAdapterName.optional(),
    to: zAdapterName.optional(),
    steps: z.array(zWeightStep).default([]),
    scaleDownDelaySeconds: zDuration.prefault(ARGO.scaleDownDelaySeconds),
    analysis: zAnalysisRef.optional(),
  })
  .superRefine((split, ctx) => {
    differentAdapters(split, ctx);
    if ((split.from === undefined) !== (split.to === undefined)) {
      ctx.addIssue({ code: 'custom', path: [split.from === undefined ? 'from' : 'to'], message: 'from and to go together (the adapter and its new version)' });
    }
  });

/**
 * The sequence production teams use for heavy models: deploy green at full size, mirror a share of live traffic
 * to it (real load, answers discarded), analyse green against blue, cut over at the gateway, soak with blue kept
 * for instant rollback (optionally analysing green's live traffic), then scale blue down.
 */
export const zShadowBlueGreen = z.strictObject({
  mirrorPercent: z.number().min(0).max(100).default(100),
  shadowDuration: zDuration.prefault('10m'),
  analysis: zAnalysisRef.optional().meta({
    description: 'runs during the shadow stage only, on the mirrored copies (queries read shadow.*); ends with it',
  }),
  soakSeconds: zDuration.prefault('30m'),
  soakAnalysis: zAnalysisRef.optional().meta({
    description:
      'runs during the soak, when green serves the live traffic (queries read new.*); Failed, Error or Inconclusive switches back to blue; ends with the soak',
  }),
  /** As Argo's blue-green. */
  abortScaleDownDelaySeconds: zDuration.prefault(ARGO.abortScaleDownDelaySeconds),
});

export const zStrategy = z.union(
  [
    z.strictObject({ rollingUpdate: zRollingUpdate }),
    z.strictObject({ recreate: zRecreate }),
    z.strictObject({ blueGreen: zBlueGreen }),
    z.strictObject({ canary: zCanary }),
    z.strictObject({ shadowBlueGreen: zShadowBlueGreen }),
    z.strictObject({ flagger: zFlagger }),
    z.strictObject({ gatewayCutover: zGatewayCutover }),
    z.strictObject({ adapterRewrite: zAdapterRewrite }),
    z.strictObject({ inferencePoolSplit: zInferencePoolSplit }),
    z.strictObject({ sleepWake: zSleepWake }),
    z.strictObject({ leaderWorkerSet: zLeaderWorkerSetRollout }),
  ],
  {
    error:
      'expected exactly one of rollingUpdate, recreate, blueGreen, canary, shadowBlueGreen, flagger, gatewayCutover, adapterRewrite, inferencePoolSplit, sleepWake, leaderWorkerSet',
  },
);
export type StrategySpec = z.output<typeof zStrategy>;

/** What is different about the new version: so rollback paths can be planned and tested. */
export const zNewVersion = z.strictObject({
  /** Multiplies every engine step time (a slower build). */
  stepTimeFactor: z.number().positive().default(1),
  /** Share of requests the new version fails with a server error. */
  errorRate: z.number().min(0).max(1).default(0),
  /** The container exits during start-up every time (CrashLoopBackOff). */
  crashOnStart: z.boolean().default(false),
  /** Multiplies every start-up phase (a bigger image or slower load). */
  startupFactor: z.number().positive().default(1),
  tensorParallel: z.int().min(1).optional().meta({ description: "the new version's GPUs per pod, where it differs from model.tensorParallel" }),
  leaderWorkerSet: zLeaderWorkerSetShapeChange.optional(),
});

/**
 * How the two roles of a disaggregated deployment (deployment.disaggregation) roll (docs/disaggregation.md):
 * `independent`, each role's own Deployment RollingUpdate (or LWS rolling update with strategy leaderWorkerSet);
 * `coordinated`, one controller stepping both roles' new ReplicaSets (or LWS partitions) by the same share of
 * their replicas (LWS DisaggregatedSet's planner).
 */
export const zDisaggregatedRollout = z.strictObject({
  mode: z.enum(['independent', 'coordinated']).meta({ description: 'independent: each role its own RollingUpdate; coordinated: both roles step together' }),
  prefillRollingUpdate: zRollingUpdate.optional().meta({ description: "the prefill role's maxSurge/maxUnavailable (default: the strategy's rollingUpdate)" }),
  prefillLeaderWorkerSet: zLeaderWorkerSetRollout.optional().meta({
    description: "with strategy leaderWorkerSet: the prefill role's maxUnavailable/maxSurge/partition in groups (default: the strategy's)",
  }),
});

export const zRollout = z.strictObject({
  at: zDuration,
  strategy: zStrategy,
  newVersion: zNewVersion.prefault({}),
  /**
   * Reported as a stalled rollout when no progress is made for this long (no automatic rollback). Deployments
   * and Argo Rollouts default it alike.
   */
  progressDeadlineSeconds: zDuration.prefault(DEPLOYMENT_DEFAULTS.progressDeadlineSeconds),
  /** Times at which an operator promotes a paused rollout (blue-green without auto-promotion, canary pauses). */
  promoteAt: z.array(zDuration).default([]),
  /** Time at which an operator aborts the rollout. */
  abortAt: zDuration.optional(),
  /**
   * Blue-green: test requests to the preview Service from when it is available until the switch, so a
   * pre-promotion analysis of new.* has traffic to measure.
   */
  previewTraffic: zPreviewTraffic.optional().meta({
    description:
      'blue-green: test requests sent to the preview Service from when it is available until the switch (answers discarded; counted in new.* for analyses, not in the summary)',
  }),
  /** Read by the loader before validation (scenario/gateway-manifest.ts); kept so --set and the JSON Schema accept it. */
  gatewayManifest: z
    .string()
    .optional()
    .meta({ description: 'path of Inference Extension YAML (InferenceModelRewrite, InferenceModel targetModels, or HTTPRoute over two InferencePools) to import as the strategy' }),
  disaggregated: zDisaggregatedRollout.optional().meta({ description: 'how the prefill and decode roles roll (with deployment.disaggregation; default independent)' }),
  /** Argo AnalysisTemplates by name, referenced by the strategy's analysis steps. */
  analysisTemplates: z.record(z.string(), zAnalysisTemplate).default({}),
});
export type RolloutSpec = z.output<typeof zRollout>;
