import { overrideText, type Overrides } from '../batch/override-values.js';
import type { ProbeKind } from '../cluster/probes.js';
import { InputError } from '../errors.js';
import { formatIntOrPercent, intCount, intOrPercentText, scaledValue, type IntOrPercent } from '../config/int-or-percent.js';
import { maxSurge, maxUnavailable, type Fenceposts } from '../rollout/fenceposts.js';
import type { CanaryStep, StrategySpec } from '../rollout/strategy-schema.js';
import type { LoadedScenario } from '../scenario/load.js';
import { lwsBudgets } from '../rollout/lws-arithmetic.js';

/**
 * One point of the planner's decision space: every knob it sets. `overridesOf` turns it into `--set` overrides
 * of the scenario, so a configuration is always something `rollout-sim run` can re-run.
 */

export type StrategyChoice =
  | { readonly kind: 'rollingUpdate'; readonly maxSurge: IntOrPercent; readonly maxUnavailable: IntOrPercent }
  /** LeaderWorkerSet's own rolling update (budgets in groups; the scenario's partition is kept). */
  | { readonly kind: 'leaderWorkerSet'; readonly maxSurge: IntOrPercent; readonly maxUnavailable: IntOrPercent }
  | { readonly kind: 'blueGreen'; readonly scaleDownDelaySeconds: number; readonly previewReplicaCount: number | null }
  /** Every old pod goes, then the new ones come up: no extra GPUs, and no service in between. */
  | { readonly kind: 'recreate' }
  | {
      readonly kind: 'canary';
      /** Name of the steps template (or "as written"). */
      readonly template: string;
      readonly steps: readonly CanaryStep[];
      readonly maxSurge: IntOrPercent;
      readonly maxUnavailable: IntOrPercent;
    };

export interface ReadinessChoice {
  readonly kind: ProbeKind;
  readonly periodSeconds: number;
}

export interface PlanConfig {
  readonly strategy: StrategyChoice;
  readonly preStopSeconds: number;
  readonly shutdownTimeoutSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  /** null: no readiness probe (Ready as soon as the container starts). */
  readonly readiness: ReadinessChoice | null;
  readonly minReadySeconds: number;
  /** Nodes added to the model's node pool at t=0, so surge pods need not wait for the autoscaler. */
  readonly headroomNodes: number;
  /** Gateway mitigations the planner adds (docs/gateway.md), seconds; absent: the scenario's own routing. */
  readonly slowStartSeconds?: number;
  readonly waitForEndpointSeconds?: number;
}

/** What the planner needs to know of the scenario it plans for. */
export interface PlanBase {
  readonly loaded: LoadedScenario;
  readonly file: string;
  /** The user's own --set overrides of the scenario, applied before the planner's. */
  readonly baseOverrides: readonly string[];
  readonly replicas: number;
  /** GPUs of one replica: its pod's, or its LeaderWorkerSet group's pods'. */
  readonly gpusPerPod: number;
  /**
   * The rolling update the workload has: a Deployment's, or LeaderWorkerSet's for multi-node replicas (which roll
   * only with it: no blue-green, canary or Recreate).
   */
  readonly rollingKind: 'rollingUpdate' | 'leaderWorkerSet';
  /** Pods per replica of a LeaderWorkerSet group whose workers exit at SIGTERM (their preStop then covers the drain); 1 otherwise. */
  readonly groupSize: number;
  /** Why the workload rolls only with its rolling update (blue-green, Recreate and canary not searched); null when it may use any. */
  readonly rollingOnly: string | null;
  /** The model's node pool (pool 0: the one whose GPU the model runs on). */
  readonly pool: { readonly name: string; readonly nodes: number; readonly maxNodes: number; readonly gpusPerNode: number };
  /** Most GPUs the cluster can ever have (every pool at maxNodes). */
  readonly maxClusterGpus: number;
  /** Node GPUs of the scenario's cluster at t=0: what it pays for without a rollout. */
  readonly baseGpus: number;
  readonly strategyKind: string;
  /** The blue-green promotion pauses (auto-promotion off or delayed, or a pre-promotion analysis). */
  readonly promotionPauses: boolean;
  /** The scenario's own pod and server settings: where every configuration starts from. */
  readonly defaults: Omit<PlanConfig, 'strategy'>;
  /** The scenario's own configuration; null when its strategy is outside the planner's space (shadow, gateway cut-over...). */
  readonly asWritten: PlanConfig | null;
}

/** The buffer between the drain deadline and SIGKILL: vLLM's fixed 5 s EngineCore shutdown (vllm-project/vllm#31252). */
export const GRACE_BUFFER_SECONDS = 5;

/** TGPS = preStop + shutdown-timeout + buffer (startup-and-drain.md, suggested drain defaults). */
export function graceFor(preStopSeconds: number, shutdownTimeoutSeconds: number): number {
  return preStopSeconds + shutdownTimeoutSeconds + GRACE_BUFFER_SECONDS;
}

export function planBase(loaded: LoadedScenario, file: string, baseOverrides: readonly string[]): PlanBase {
  const spec = loaded.scenario.spec;
  if (!spec.rollout) throw new InputError('plan needs a rollout to plan: add spec.rollout (at, strategy)', 'spec.rollout');
  if (spec.server.model === 'queue') {
    throw new InputError('plan needs the LLM server (its drain is one of the knobs); this scenario uses model: queue', 'spec.server.model');
  }
  const pools = spec.cluster.nodePools;
  const pool0 = pools[0];
  const strategy = spec.rollout.strategy;
  const d = spec.deployment;
  const common: Omit<PlanConfig, 'strategy'> = {
    preStopSeconds: d.preStop.sleep,
    shutdownTimeoutSeconds: spec.server.shutdownTimeout,
    terminationGracePeriodSeconds: d.terminationGracePeriodSeconds,
    readiness: d.readinessProbe ? { kind: d.readinessProbe.kind, periodSeconds: d.readinessProbe.periodSeconds } : null,
    minReadySeconds: d.minReadySeconds,
    headroomNodes: 0,
  };
  const groups = d.leaderWorkerSet !== undefined || spec.rollout.newVersion.leaderWorkerSet !== undefined;
  const groupSize = d.leaderWorkerSet?.size ?? 1;
  const written = writtenStrategy(strategy);
  const asWritten: PlanConfig | null = written === null ? null : { ...common, strategy: written };
  const bg = 'blueGreen' in strategy ? strategy.blueGreen : null;
  return {
    loaded,
    file,
    baseOverrides,
    replicas: d.replicas,
    gpusPerPod: spec.model.tensorParallel * groupSize,
    rollingKind: groups || 'leaderWorkerSet' in strategy ? 'leaderWorkerSet' : 'rollingUpdate',
    groupSize,
    rollingOnly:
      groups || 'leaderWorkerSet' in strategy
        ? 'a LeaderWorkerSet rolls only with its own rolling update (Argo Rollouts and Flagger do not drive it)'
        : d.disaggregation !== undefined
          ? 'a disaggregated deployment rolls its prefill and decode roles with rolling updates'
          : null,
    pool: { name: pool0.name, nodes: pool0.nodes, maxNodes: pool0.maxNodes ?? pool0.nodes, gpusPerNode: pool0.gpusPerNode },
    maxClusterGpus: pools.reduce((sum, p) => sum + (p.maxNodes ?? p.nodes) * p.gpusPerNode, 0),
    baseGpus: pools.reduce((sum, p) => sum + p.nodes * p.gpusPerNode, 0),
    strategyKind: Object.keys(strategy)[0],
    promotionPauses: bg !== null && (!bg.autoPromotionEnabled || bg.autoPromotionSeconds > 0 || bg.prePromotionAnalysis !== undefined),
    defaults: common,
    asWritten,
  };
}

/** The scenario's strategy as a choice of the planner; null for the kinds it does not search (shadow, gateway cut-over...). */
function writtenStrategy(strategy: StrategySpec): StrategyChoice | null {
  if ('rollingUpdate' in strategy) {
    const { maxSurge, maxUnavailable } = strategy.rollingUpdate;
    return { kind: 'rollingUpdate', maxSurge, maxUnavailable };
  }
  if ('canary' in strategy) {
    const { steps, maxSurge, maxUnavailable } = strategy.canary;
    return { kind: 'canary', template: 'as written', steps, maxSurge, maxUnavailable };
  }
  if ('blueGreen' in strategy) {
    const bg = strategy.blueGreen;
    return { kind: 'blueGreen', scaleDownDelaySeconds: bg.scaleDownDelaySeconds, previewReplicaCount: bg.previewReplicaCount ?? null };
  }
  if ('recreate' in strategy) return { kind: 'recreate' };
  if ('leaderWorkerSet' in strategy) {
    const { maxSurge, maxUnavailable } = strategy.leaderWorkerSet;
    return { kind: 'leaderWorkerSet', maxSurge, maxUnavailable };
  }
  return null;
}

/** Pods a surge value allows above `replicas` (rounded up, as Kubernetes does). */
export function surgePods(value: IntOrPercent, replicas: number): number {
  return scaledValue(value, replicas, true);
}

/** Pods an unavailability value allows below `replicas` (rounded down, as Kubernetes does). */
export function unavailablePods(value: IntOrPercent, replicas: number): number {
  return scaledValue(value, replicas, false);
}

/**
 * The pods a rolling update's or canary's maxSurge and maxUnavailable resolve to for `replicas`, exactly as the
 * controllers resolve them (rollout/fenceposts.ts).
 */
export function budgetPods(budgets: { readonly maxSurge: IntOrPercent; readonly maxUnavailable: IntOrPercent }, replicas: number): Fenceposts {
  const d = { replicas, maxSurge: budgets.maxSurge, maxUnavailable: budgets.maxUnavailable };
  return { surge: maxSurge(d), unavailable: maxUnavailable(d) };
}

/**
 * The configuration as the simulation runs it: maxSurge and maxUnavailable as pod counts, so that 25% and 1 of
 * 4 replicas are one configuration (run once, and no knob apart).
 */
export function resolvedConfig(config: PlanConfig, replicas: number): PlanConfig {
  const s = config.strategy;
  if (s.kind === 'blueGreen' || s.kind === 'recreate') return config;
  if (s.kind === 'leaderWorkerSet') {
    const b = lwsBudgets({ replicas, maxSurge: s.maxSurge, maxUnavailable: s.maxUnavailable, partition: 0 });
    return { ...config, strategy: { ...s, maxSurge: intCount(b.maxSurge), maxUnavailable: intCount(b.maxUnavailable) } };
  }
  const pods = budgetPods(s, replicas);
  return { ...config, strategy: { ...s, maxSurge: intCount(pods.surge), maxUnavailable: intCount(pods.unavailable) } };
}

const STRATEGY = 'spec.rollout.strategy';
const DEPLOYMENT = 'spec.deployment';

/**
 * The `--set` overrides that turn the scenario into this configuration. A strategy of the scenario's own kind
 * is set field by field (its other fields, e.g. analysis, stay); another kind replaces the strategy.
 */
export function overridesOf(config: PlanConfig, base: PlanBase): Overrides {
  const out: Overrides = { ...strategyOverrides(config.strategy, base) };
  out['spec.deployment.preStop.sleep'] = `${config.preStopSeconds}s`;
  // A group's workers exit at SIGTERM, and the engine with them: their preStop must outlast the leader's drain.
  if (base.groupSize > 1) out[`${DEPLOYMENT}.leaderWorkerSet.workerPreStop.sleep`] = `${config.preStopSeconds + config.shutdownTimeoutSeconds}s`;
  out['spec.server.shutdownTimeout'] = `${config.shutdownTimeoutSeconds}s`;
  out[`${DEPLOYMENT}.terminationGracePeriodSeconds`] = String(config.terminationGracePeriodSeconds);
  if (config.readiness === null) {
    out[`${DEPLOYMENT}.readinessProbe`] = 'null';
  } else {
    out[`${DEPLOYMENT}.readinessProbe.kind`] = config.readiness.kind;
    out[`${DEPLOYMENT}.readinessProbe.periodSeconds`] = String(config.readiness.periodSeconds);
  }
  out[`${DEPLOYMENT}.minReadySeconds`] = String(config.minReadySeconds);
  const nodes = base.pool.nodes + config.headroomNodes;
  out['spec.cluster.nodePools[0].nodes'] = String(nodes);
  if (nodes > base.pool.maxNodes) out['spec.cluster.nodePools[0].maxNodes'] = String(nodes);
  if (config.slowStartSeconds !== undefined) out['spec.routing.slowStart.window'] = `${config.slowStartSeconds}s`;
  if (config.waitForEndpointSeconds !== undefined) out['spec.routing.waitForEndpoint'] = `${config.waitForEndpointSeconds}s`;
  return out;
}

function strategyOverrides(s: StrategyChoice, base: PlanBase): Overrides {
  const fields = strategyFields(s);
  if (base.strategyKind !== s.kind) return { [STRATEGY]: overrideText({ [s.kind]: fields }) };
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [`${STRATEGY}.${s.kind}.${k}`, overrideText(v)]));
}

function strategyFields(s: StrategyChoice): Record<string, unknown> {
  switch (s.kind) {
    case 'rollingUpdate':
    case 'leaderWorkerSet':
      return { maxSurge: intOrPercentText(s.maxSurge), maxUnavailable: intOrPercentText(s.maxUnavailable) };
    case 'blueGreen':
      return { scaleDownDelaySeconds: s.scaleDownDelaySeconds, ...(s.previewReplicaCount === null ? {} : { previewReplicaCount: s.previewReplicaCount }) };
    case 'canary':
      return { steps: s.steps, maxSurge: intOrPercentText(s.maxSurge), maxUnavailable: intOrPercentText(s.maxUnavailable) };
    case 'recreate':
      return {};
  }
}

/**
 * The knobs of a configuration as short name → value text: what tables show and what tells neighbours apart
 * (the grace period is left out: it follows from preStop and the drain).
 */
export function knobsOf(config: PlanConfig): Record<string, string> {
  const s = config.strategy;
  const strategy: Record<string, string> =
    s.kind === 'blueGreen'
      ? { strategy: 'blueGreen', soak: `${s.scaleDownDelaySeconds}s`, preview: s.previewReplicaCount === null ? 'all' : String(s.previewReplicaCount) }
      : s.kind === 'recreate'
        ? { strategy: 'recreate' }
        : {
          strategy: s.kind,
          maxSurge: formatIntOrPercent(s.maxSurge),
          maxUnavailable: formatIntOrPercent(s.maxUnavailable),
          ...(s.kind === 'canary' ? { steps: s.template } : {}),
        };
  return {
    ...strategy,
    preStop: `${config.preStopSeconds}s`,
    drain: `${config.shutdownTimeoutSeconds}s`,
    probe: config.readiness === null ? 'none' : `${config.readiness.kind}/${config.readiness.periodSeconds}s`,
    minReady: `${config.minReadySeconds}s`,
    headroom: `+${config.headroomNodes} nodes`,
    ...(config.slowStartSeconds === undefined ? {} : { slowStart: `${config.slowStartSeconds}s` }),
    ...(config.waitForEndpointSeconds === undefined ? {} : { waitForEndpoint: `${config.waitForEndpointSeconds}s` }),
  };
}

/** "rollingUpdate surge 2 unavail 0 · preStop 15s drain 90s (grace 110s) · health/10s · minReady 0s". */
export function describeConfig(config: PlanConfig): string {
  const s = config.strategy;
  const strategy =
    s.kind === 'blueGreen'
      ? `blueGreen soak ${s.scaleDownDelaySeconds}s${s.previewReplicaCount === null ? '' : ` preview ${s.previewReplicaCount}`}`
      : s.kind === 'recreate'
        ? 'recreate'
        : `${s.kind}${s.kind === 'canary' ? ` (${s.template})` : ''} surge ${formatIntOrPercent(s.maxSurge)} unavailable ${formatIntOrPercent(s.maxUnavailable)}`;
  const parts = [
    strategy,
    `preStop ${config.preStopSeconds}s + drain ${config.shutdownTimeoutSeconds}s (grace ${config.terminationGracePeriodSeconds}s)`,
    config.readiness === null ? 'no readiness probe' : `probe ${config.readiness.kind}/${config.readiness.periodSeconds}s`,
  ];
  if (config.minReadySeconds > 0) parts.push(`minReady ${config.minReadySeconds}s`);
  if (config.headroomNodes > 0) parts.push(`+${config.headroomNodes} reserved node${config.headroomNodes > 1 ? 's' : ''}`);
  if (config.slowStartSeconds !== undefined) parts.push(`slow start ${config.slowStartSeconds}s`);
  if (config.waitForEndpointSeconds !== undefined) parts.push(`wait ${config.waitForEndpointSeconds}s for a pod`);
  return parts.join(' · ');
}
