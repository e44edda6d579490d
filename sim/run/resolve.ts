import { resolve } from 'node:path';
import { withCalibratedPhases } from '../cluster/calibrated-startup.js';
import type { ClusterConfig } from '../cluster/cluster.js';
import { resolveClusterConfig, resolvePodFaults, resolvePodResources, resolvePodSettings, resolveStartupInput } from '../cluster/schema.js';
import { resolveStartup } from '../cluster/startup-spec.js';
import { checkSleepHostMemory, sleepWakeLevel, wakingStartup } from '../rollout/sleep-wake.js';
import { defaultPodResources, modelFactsOf, type PodGroupSpec, type PodTemplateArgs } from '../cluster/template.js';
import type { ModelFacts, StartupSpec } from '../cluster/startup-spec.js';
import { validateTensorParallel } from '../serving/catalog/models.js';
import { loadCalibrationFile } from '../config/calibration-file.js';
import type { RolloutSchedule } from '../rollout/driver.js';
import { analysisReach, routesByWeight, strategyName } from '../rollout/create-controller.js';
import { InputError } from '../errors.js';
import { autoscalingReach, checkAutoscaledStrategy, type AutoscalingSpec } from '../rollout/autoscaling-schema.js';
import { adapterRewriteRule, rolloutAdapters } from '../rollout/adapter-rollout.js';
import type { AdapterRewriteRule } from '../routing/adapter-rewrite.js';
import { adapterNames } from '../traffic/adapters.js';
import type { RolloutSpec } from '../rollout/strategy-schema.js';
import { routerOptions } from '../routing/config.js';
import type { RouterOptions } from '../routing/router.js';
import { gatedMinReadySeconds, type DiscoverySpec } from '../routing/discovery.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { ScenarioSpec } from '../scenario/schema.js';
import { withUserCatalog } from '../serving/catalog/catalog-scope.js';
import { resolveGpu } from '../serving/catalog/resolve.js';
import { resolveServing, type ServingSettings, type VersionBehaviour } from '../serving/setup.js';
import type { WarmupSpec } from '../serving/warmup.js';
import type { VersionRole } from '../traffic/request.js';
import { engineStartup } from './engine-startup.js';
import { resolveDisaggregation, type ResolvedDisaggregation } from './disaggregation-resolve.js';
import { podModelFacts, roleGroupOf, type RoleGroup } from './role-group.js';
import { zLeaderWorkerSetDeployment, type LeaderWorkerSetDeployment } from '../cluster/leader-worker-schema.js';
import { checkRunSize } from './size-budget.js';

/** One version's pods: its server, its group, its checkpoint shard and its start-up. */
interface VersionShape {
  readonly serving: ServingSettings;
  readonly group: PodGroupSpec | null;
  readonly modelFacts: ModelFacts;
  readonly startup: StartupSpec;
}

/**
 * deployment.leaderWorkerSet as a version's group (the new version's with rollout.newVersion.leaderWorkerSet
 * over it), with its span across pods; null for one pod per replica.
 */
function podGroupOf(spec: ScenarioSpec, version: VersionRole): RoleGroup | null {
  const base = spec.deployment.leaderWorkerSet;
  const change = version === 'new' ? spec.rollout?.newVersion.leaderWorkerSet : undefined;
  if (base === undefined && change === undefined) return null;
  const written = Object.fromEntries(Object.entries(change ?? {}).filter(([, v]) => v !== undefined));
  // Without a deployment block the old version is one pod per replica: the schema's defaults at size 1.
  const lws: LeaderWorkerSetDeployment = { ...(base ?? zLeaderWorkerSetDeployment.parse({ size: 1 })), ...written };
  return roleGroupOf(lws, spec.deployment.preStop.sleep, spec.cluster.nodePools[0].network, 'main');
}

/**
 * A LeaderWorkerSet rolls its groups with its own rolling update (LWS has no Recreate, and neither Argo Rollouts nor
 * Flagger drive it), and that rolling update has no analysis, pause or abort to script.
 */
function checkGroupStrategy(spec: ScenarioSpec): void {
  const rollout = spec.rollout;
  if (!rollout) return;
  const lwsStrategy = 'leaderWorkerSet' in rollout.strategy;
  if ((spec.deployment.leaderWorkerSet !== undefined || rollout.newVersion.leaderWorkerSet !== undefined) && !lwsStrategy) {
    throw new InputError(
      {
        problem: `a LeaderWorkerSet deployment rolled with the ${strategyName(rollout)} strategy`,
        expected: 'strategy: { leaderWorkerSet: { maxUnavailable, maxSurge, partition } }, the rolling update LWS itself runs',
      },
      'spec.rollout.strategy',
    );
  }
  const lws = spec.deployment.leaderWorkerSet;
  if ('leaderWorkerSet' in rollout.strategy && lws?.groupIdentity === 'Hash' && rollout.strategy.leaderWorkerSet.partition !== 0) {
    throw new InputError(
      { problem: 'a partition with hash group identity', expected: 'partition 0: a hash-mode LeaderWorkerSet has no ordinals to stage (LWS validation rejects it)' },
      'spec.rollout.strategy.leaderWorkerSet.partition',
    );
  }
  if (lwsStrategy && (rollout.abortAt !== undefined || rollout.promoteAt.length > 0)) {
    throw new InputError(
      { problem: 'promoteAt or abortAt with the leaderWorkerSet strategy', expected: 'neither: an LWS rolling update has no pause to promote and no abort (stage it with partition instead)' },
      rollout.abortAt !== undefined ? 'spec.rollout.abortAt' : 'spec.rollout.promoteAt',
    );
  }
}

/** A pod template as the scenario resolves it; the run adds the server factory when it builds the fleet. */
export type ResolvedTemplate = Omit<PodTemplateArgs, 'createServer'>;

/**
 * Everything a run needs from the scenario, every default applied and every input checked, before anything is
 * simulated. Building the simulation from it cannot fail on the user's input.
 */
export interface ResolvedRun {
  readonly name: string;
  readonly hash: string;
  readonly baseDir: string;
  readonly seed: number;
  readonly duration: number;
  readonly windowSeconds: number;
  readonly slo: ScenarioSpec['slo'];
  /** Each version's server: the new one differs when rollout.newVersion changes the pods' or groups' shape. */
  readonly serving: Readonly<Record<VersionRole, ServingSettings>>;
  readonly behaviour: Readonly<Record<VersionRole, VersionBehaviour>>;
  readonly cluster: ClusterConfig;
  readonly templates: Readonly<Record<VersionRole, ResolvedTemplate>>;
  /** The fleet serving at time 0: the Deployment's replicas, up and warm unless spec.coldStart. */
  readonly fleet: { readonly replicas: number; readonly cold: boolean };
  /** deployment.warmup: what each pod's server does before Ready (null: nothing). */
  readonly warmup: WarmupSpec | null;
  readonly traffic: ScenarioSpec['traffic'];
  readonly router: RouterOptions;
  readonly gatewayDelay: number;
  /** The router's own pod discovery (routing.discovery), or null: it uses the Service endpoints. */
  readonly discovery: DiscoverySpec | null;
  /** `pods`: one Service over both versions' pods; `weights`: the strategy splits traffic at the gateway. */
  readonly routing: 'pods' | 'weights';
  readonly strategy: string;
  readonly rollout: { readonly spec: RolloutSpec; readonly schedule: RolloutSchedule } | null;
  /** LoRA adapter names (requests carry indexes into it) and the gateway's adapter rule of an adapter rollout. */
  readonly adapters: readonly string[];
  readonly adapterRule: AdapterRewriteRule | null;
  /** How far back rollout analyses read telemetry: the longest window of any analysis metric (0 without one). */
  readonly analysisReach: number;
  /** deployment.autoscaling: the HPA (or KEDA) on the workload; null without one. */
  readonly autoscaling: AutoscalingSpec | null;
  /** deployment.disaggregation: the prefill role and the KV link (docs/disaggregation.md); null without it. */
  readonly disaggregation: ResolvedDisaggregation | null;
}

export function resolveRun(loaded: LoadedScenario, seed?: number): ResolvedRun {
  return withUserCatalog(loaded.catalog, () => resolveRunInCatalog(loaded, seed));
}

function resolveRunInCatalog(loaded: LoadedScenario, seed?: number): ResolvedRun {
  const { scenario, baseDir } = loaded;
  const spec = scenario.spec;
  checkRunSize(spec, baseDir);
  // The model runs on the first node pool's GPU (pools of other GPU types serve other workloads).
  const gpu = resolveGpu(spec.cluster.nodePools[0].gpu, 'spec.cluster.nodePools[0].gpu');
  const calibration = spec.calibration === undefined ? undefined : { file: loadCalibrationFile(resolve(baseDir, spec.calibration), 'spec.calibration'), path: 'spec.calibration' };
  const cluster = resolveClusterConfig(spec.cluster, baseDir, 'spec.cluster');
  checkGroupStrategy(spec);
  const startupSpec = calibration === undefined ? spec.startup : withCalibratedPhases(spec.startup, calibration.file);
  const startupInput = engineStartup(resolveStartupInput(startupSpec, baseDir, 'spec.startup'), spec.server);
  const shapeOf = (version: VersionRole): VersionShape => {
    const group = podGroupOf(spec, version);
    const tensorParallel = version === 'new' ? (spec.rollout?.newVersion.tensorParallel ?? spec.model.tensorParallel) : spec.model.tensorParallel;
    if (version === 'new' && spec.model.architecture !== undefined) validateTensorParallel(spec.model.architecture, tensorParallel, 'spec.rollout.newVersion.tensorParallel');
    const serving = resolveServing({ ...spec.model, tensorParallel }, spec.server, gpu, baseDir, 'spec', calibration, group?.span ?? null);
    // Each pod of a multi-node replica loads its own shard of the checkpoint.
    const modelFacts = podModelFacts(modelFactsOf(serving.model.architecture, serving.model.weightDtype), group?.spec.size ?? 1);
    const startup = resolveStartup(startupInput, modelFacts, tensorParallel, 'spec.startup');
    return { serving, group: group?.spec ?? null, modelFacts, startup };
  };
  const shapes = { old: shapeOf('old'), new: spec.rollout?.newVersion.tensorParallel === undefined && spec.rollout?.newVersion.leaderWorkerSet === undefined ? null : shapeOf('new') };
  const shape = (version: VersionRole): VersionShape => shapes[version] ?? shapes.old;
  const serving = shapes.old.serving;
  const { modelFacts } = shapes.old;
  const podSettings = resolvePodSettings(spec.deployment);
  const pod = { ...podSettings, minReadySeconds: gatedMinReadySeconds(podSettings.minReadySeconds, spec.routing.discovery ?? null) };
  const resources = resolvePodResources(spec.deployment.resources);
  const newVersion = spec.rollout?.newVersion;
  const sleepLevel = sleepWakeLevel(spec.rollout);
  if (sleepLevel !== null) {
    const podMemory = resources.hostMemoryRequest ?? defaultPodResources(modelFacts, serving.model.tensorParallel, false).hostMemoryRequest;
    checkSleepHostMemory(sleepLevel, modelFacts.weightBytes, podMemory, serving.model.tensorParallel, cluster.nodePools, cluster.nodePools[0].gpu);
  }
  const template = (version: VersionRole): ResolvedTemplate => ({
    name: `${scenario.metadata.name}-${version}`.replace(/[^a-z0-9-]/gi, '-').toLowerCase(),
    version,
    model: shape(version).modelFacts,
    gpu: serving.gpu.name,
    tensorParallel: shape(version).serving.model.tensorParallel,
    startup: version === 'new' && sleepLevel !== null ? wakingStartup(shapes.old.startup, sleepLevel) : shape(version).startup,
    pod,
    ...serving.lifecycle,
    resources,
    faults:
      version === 'new' && newVersion
        ? resolvePodFaults({ crashOnStart: newVersion.crashOnStart, startupFactor: newVersion.startupFactor, extraLoadSeconds: 0 })
        : undefined,
    group: shape(version).group,
  });
  const rollout = spec.rollout;
  const adapters = spec.traffic.adapters === undefined ? [] : adapterNames(spec.traffic.adapters, rolloutAdapters(rollout));
  if (adapters.length > 0 && (serving.kind !== 'llm' || serving.lora === null)) {
    throw new InputError({ problem: 'requests name LoRA adapters', expected: 'server.lora (the LLM server with --enable-lora)' }, 'spec.traffic.adapters');
  }
  if (spec.deployment.autoscaling) checkAutoscaledStrategy(strategyName(rollout), 'spec.deployment.autoscaling');
  const disaggregation = resolveDisaggregation({ spec, decodeServing: serving, gpu, baseDir, calibration, startupInput, decodeTemplate: template });
  return {
    name: scenario.metadata.name,
    hash: loaded.hash,
    baseDir,
    seed: seed ?? spec.seed,
    duration: spec.duration,
    windowSeconds: spec.metrics.windowSeconds,
    slo: spec.slo,
    serving: { old: serving, new: shape('new').serving },
    behaviour: {
      old: { stepTimeFactor: 1, errorRate: 0 },
      new: { stepTimeFactor: newVersion?.stepTimeFactor ?? 1, errorRate: newVersion?.errorRate ?? 0 },
    },
    cluster,
    templates: { old: template('old'), new: template('new') },
    fleet: { replicas: spec.deployment.replicas, cold: spec.coldStart },
    warmup: spec.deployment.warmup ?? null,
    traffic: spec.traffic,
    router: routerOptions(spec.routing),
    gatewayDelay: spec.routing.gatewayPropagation,
    discovery: spec.routing.discovery ?? null,
    routing: routesByWeight(rollout) ? 'weights' : 'pods',
    strategy: strategyName(rollout),
    rollout: rollout ? { spec: rollout, schedule: { at: rollout.at, promoteAt: rollout.promoteAt, abortAt: rollout.abortAt } } : null,
    adapters,
    adapterRule: adapterRewriteRule(rollout, adapters),
    analysisReach: Math.max(analysisReach(rollout), autoscalingReach(spec.deployment.autoscaling)),
    autoscaling: spec.deployment.autoscaling ?? null,
    disaggregation,
  };
}
