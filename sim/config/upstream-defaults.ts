import type { IntOrPercentText } from './int-or-percent.js';

/**
 * The defaults of the Kubernetes and Argo Rollouts fields the simulator mirrors, each written once with the
 * upstream code that sets it (read in rollout-semantics.md §1.1, §2.1, §2.2, §3.1, §3.4). The scenario schema,
 * the manifest importer, the controllers and the planner take them from here. Values are as the API writes
 * them: seconds, counts, and IntOrString percentages as strings.
 */

/** apps/v1 Deployment: pkg/apis/apps/v1/defaults.go `SetDefaults_Deployment`. */
export const DEPLOYMENT_DEFAULTS = {
  /** spec.replicas */
  replicas: 1,
  /** spec.strategy.type */
  strategyType: 'RollingUpdate',
  /** spec.strategy.rollingUpdate.maxSurge */
  maxSurge: '25%' as IntOrPercentText,
  /** spec.strategy.rollingUpdate.maxUnavailable */
  maxUnavailable: '25%' as IntOrPercentText,
  /** spec.progressDeadlineSeconds */
  progressDeadlineSeconds: 600,
  /** spec.minReadySeconds (unset: a pod is available as soon as it is Ready; docs deployment.md). */
  minReadySeconds: 0,
} as const;

/** core/v1 PodSpec: pkg/apis/core/v1/defaults.go `SetDefaults_PodSpec` (DefaultTerminationGracePeriodSeconds). */
export const POD_DEFAULTS = {
  /** spec.terminationGracePeriodSeconds */
  terminationGracePeriodSeconds: 30,
} as const;

/** core/v1 Probe: pkg/apis/core/v1/defaults.go `SetDefaults_Probe` (docs probes.md gives the same table). */
export const PROBE_TIMING_DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

/** argoproj.io/v1alpha1 Rollout: argo-rollouts utils/defaults/defaults.go. */
export const ARGO_ROLLOUT_DEFAULTS = {
  /** spec.progressDeadlineSeconds (DefaultProgressDeadlineSeconds) */
  progressDeadlineSeconds: 600,
  /** canary.maxSurge (DefaultMaxSurge "25", read as a percentage) */
  maxSurge: '25%' as IntOrPercentText,
  /** canary.maxUnavailable (DefaultMaxUnavailable "25", read as a percentage) */
  maxUnavailable: '25%' as IntOrPercentText,
  /** canary.dynamicStableScale (a bool: unset is false) */
  dynamicStableScale: false,
  /** blueGreen.autoPromotionEnabled (DefaultAutoPromotionEnabled) */
  autoPromotionEnabled: true,
  /** blueGreen.autoPromotionSeconds (unset is 0: promote as soon as green is ready) */
  autoPromotionSeconds: 0,
  /** blueGreen.scaleDownDelaySeconds, canary's with traffic routing (DefaultScaleDownDelaySeconds) */
  scaleDownDelaySeconds: 30,
  /** abortScaleDownDelaySeconds of both strategies (DefaultAbortScaleDownDelaySeconds; 0 = never) */
  abortScaleDownDelaySeconds: 30,
} as const;

/**
 * Argo AnalysisTemplate metrics: argo-rollouts utils/defaults/defaults.go (DefaultConsecutiveErrorLimit) and
 * analysis/analysis.go (DefaultErrorRetryInterval); the unset limits count as 0 in
 * `assessMetricFailureInconclusiveOrError`.
 */
export const ARGO_ANALYSIS_DEFAULTS = {
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  /** 0 = off */
  consecutiveSuccessLimit: 0,
  /** Seconds after an errored measurement before it is retried, whatever the interval. */
  errorRetryIntervalSeconds: 10,
} as const;

/**
 * Flagger Canary (fluxcd/flagger @15bd6ad5, rollout-semantics.md §4): pkg/apis/flagger/v1beta1/canary.go
 * (`AnalysisInterval`, `GetAnalysisThreshold`, `ProgressDeadlineSeconds`, the ready thresholds, `MetricInterval`)
 * and pkg/controller/webhook.go (the webhook timeout).
 */
export const FLAGGER_DEFAULTS = {
  /** analysis.interval (GetAnalysisInterval: 60 s, never below 10 s) */
  intervalSeconds: 60,
  minIntervalSeconds: 10,
  /** analysis.threshold (GetAnalysisThreshold: 1 when unset or ≤ 0) */
  threshold: 1,
  /** spec.progressDeadlineSeconds (GetProgressDeadlineSeconds) */
  progressDeadlineSeconds: 600,
  /** analysis.primaryReadyThreshold / canaryReadyThreshold, percent of updated replicas available */
  readyThresholdPercent: 100,
  /** analysis.metrics[].interval (GetMetricInterval: the Prometheus range of the built-in queries) */
  metricIntervalSeconds: 60,
  /** analysis.mirrorWeight (unset: Istio mirrors every request) */
  mirrorWeight: 100,
  /** analysis.stepWeightPromotion (0: all traffic back to the primary in one step, runPromotionTrafficShift) */
  stepWeightPromotion: 0,
} as const;

/**
 * vLLM sleep mode (`--enable-sleep-mode`; POST /sleep?level=1|2, POST /wake_up; docs.vllm.ai features/sleep_mode,
 * blog.vllm.ai 2025-10-26 "sleep mode"). Level 1 offloads the weights to CPU RAM and discards the KV cache ("make
 * sure there's enough CPU memory to store the model weights"); level 2 discards both, and the weights are reloaded
 * after the wake. The process, allocator, compiled kernels and CUDA graphs survive both.
 */
export const VLLM_SLEEP_MODE = {
  /** The level the sleepWake strategy uses unless told: the one whose wake needs no storage. */
  level: 1,
  /**
   * Level-1 wake, bytes per second per GPU (host memory → GPU): ~3 s to wake 64 GiB (issue 14, published);
   * the blog's level-1 wakes of 0.1–0.8 s for models of a few GiB to ~30 GiB per GPU fit it.
   */
  wakeBytesPerSecondPerGpu: (64 * 1024 ** 3) / 3,
} as const;
