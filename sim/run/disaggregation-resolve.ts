import { resolvePodResources } from '../cluster/schema.js';
import { resolveStartup, type StartupInput } from '../cluster/startup-spec.js';
import { modelFactsOf, type PodTemplateArgs } from '../cluster/template.js';
import type { IntOrPercent } from '../config/int-or-percent.js';
import { InputError } from '../errors.js';
import type { ScenarioSpec } from '../scenario/schema.js';
import type { GpuSpec } from '../serving/catalog/gpus.js';
import { validateTensorParallel } from '../serving/catalog/models.js';
import type { KvTransferLink } from '../serving/disaggregation.js';
import { kvBytesPerToken } from '../serving/memory.js';
import { resolveServing, type CalibrationInput, type ReplicaSpan, type ServingSettings } from '../serving/setup.js';
import type { VersionRole } from '../traffic/request.js';
import type { LwsRollingConfig } from '../rollout/lws-arithmetic.js';
import type { PdRolloutMode } from '../rollout/pd-rollout.js';
import { podModelFacts, roleGroupOf, type RoleGroup } from './role-group.js';

type Template = Omit<PodTemplateArgs, 'createServer'>;
type LlmServing = Extract<ServingSettings, { kind: 'llm' }>;

/** A role's budgets in a RollingUpdate (pods) or a LeaderWorkerSet rolling update (groups, with its partition). */
export type RoleRollingBudgets = { readonly maxSurge: IntOrPercent; readonly maxUnavailable: IntOrPercent };
export type RoleLwsBudgets = Omit<LwsRollingConfig, 'replicas'>;

/**
 * How the two roles roll when the rollout runs (spec.rollout.disaggregated): each role by a Deployment's
 * RollingUpdate, or, when either role is a LeaderWorkerSet, each by LWS's rolling update. `decode` holds the
 * strategy's budgets, `prefill` the prefill override's (default: the strategy's).
 */
export type DisaggregatedRolloutPlan =
  | { readonly mode: PdRolloutMode; readonly strategy: 'rollingUpdate'; readonly decode: RoleRollingBudgets; readonly prefill: RoleRollingBudgets }
  | { readonly mode: PdRolloutMode; readonly strategy: 'leaderWorkerSet'; readonly decode: RoleLwsBudgets; readonly prefill: RoleLwsBudgets };

/** deployment.disaggregation resolved: the prefill role's pods and server, and the KV link. */
export interface ResolvedDisaggregation {
  readonly prefillReplicas: number;
  readonly prefillServing: LlmServing;
  readonly prefillTemplates: Readonly<Record<VersionRole, Template>>;
  /** disaggregation.prefill.leaderWorkerSet: each prefill replica is a group of pods; null: one pod. */
  readonly prefillGroup: RoleGroup | null;
  readonly link: KvTransferLink;
  /** Null without a rollout. */
  readonly rollout: DisaggregatedRolloutPlan | null;
}

export interface DisaggregationInputs {
  readonly spec: ScenarioSpec;
  readonly decodeServing: ServingSettings;
  readonly gpu: GpuSpec;
  readonly baseDir: string;
  readonly calibration: CalibrationInput | undefined;
  readonly startupInput: StartupInput;
  /** The decode role's (the deployment's) pod template of a version. */
  readonly decodeTemplate: (version: VersionRole) => Template;
}

const PATH = 'spec.deployment.disaggregation';

/**
 * The prefill role: the deployment's pod template with its own replicas, tensor parallelism, group of pods (its own
 * step times, KV capacity, checkpoint shard and start-up) and resources; refuses what the request-level model
 * does not cover yet.
 */
export function resolveDisaggregation(inputs: DisaggregationInputs): ResolvedDisaggregation | null {
  const { spec, decodeServing } = inputs;
  const config = spec.deployment.disaggregation;
  const rollout = spec.rollout;
  if (config === undefined) {
    if (rollout?.disaggregated !== undefined) {
      throw new InputError({ problem: 'is set without a disaggregated deployment', expected: `${PATH} (the prefill role and the KV link)` }, 'spec.rollout.disaggregated');
    }
    return null;
  }
  if (decodeServing.kind !== 'llm') {
    throw new InputError({ problem: 'needs the LLM engine', expected: 'server.model other than queue', got: 'server.model: queue' }, PATH);
  }
  if (spec.deployment.autoscaling) {
    throw new InputError({ problem: 'cannot be combined with disaggregation yet', expected: 'no autoscaling on a disaggregated deployment' }, 'spec.deployment.autoscaling');
  }
  if (spec.traffic.adapters !== undefined) {
    throw new InputError({ problem: 'cannot be combined with disaggregation yet', expected: 'no LoRA adapters with deployment.disaggregation' }, 'spec.traffic.adapters');
  }
  const newShape = rollout?.newVersion.tensorParallel !== undefined ? 'tensorParallel' : rollout?.newVersion.leaderWorkerSet !== undefined ? 'leaderWorkerSet' : null;
  if (newShape !== null) {
    throw new InputError(
      { problem: 'cannot be combined with disaggregation yet', expected: "the new version in each role's shape (a role's shape is deployment.leaderWorkerSet or disaggregation.prefill)" },
      `spec.rollout.newVersion.${newShape}`,
    );
  }
  for (const [block, path] of [
    [spec.deployment.leaderWorkerSet, 'spec.deployment.leaderWorkerSet.groupIdentity'],
    [config.prefill.leaderWorkerSet, 'spec.deployment.disaggregation.prefill.leaderWorkerSet.groupIdentity'],
  ] as const) {
    if (block?.groupIdentity === 'Hash') {
      throw new InputError({ problem: 'hash group identity with disaggregation', expected: 'Ordinal: the roles roll by their LWS partitions (DisaggregatedSet steps them)' }, path);
    }
  }
  const prefillGroup = roleGroupOf(config.prefill.leaderWorkerSet, spec.deployment.preStop.sleep, spec.cluster.nodePools[0].network, 'prefill');
  const plan = rollout === undefined ? null : rolloutPlan(rollout, prefillGroup !== null);
  const tensorParallel = config.prefill.tensorParallel ?? spec.model.tensorParallel;
  const prefillServing = resolvePrefillServing(inputs, tensorParallel, prefillGroup?.span ?? null);
  const modelFacts = podModelFacts(modelFactsOf(prefillServing.model.architecture, prefillServing.model.weightDtype), prefillGroup?.spec.size ?? 1);
  const startup = resolveStartup(inputs.startupInput, modelFacts, tensorParallel, 'spec.startup');
  const resources = config.prefill.resources === undefined ? undefined : resolvePodResources(config.prefill.resources);
  const template = (version: VersionRole): Template => {
    const decode = inputs.decodeTemplate(version);
    return {
      ...decode,
      name: `${decode.name}-prefill`,
      model: modelFacts,
      tensorParallel,
      startup,
      ...(resources === undefined ? {} : { resources }),
      group: prefillGroup?.spec ?? null,
    };
  };
  const model = decodeServing.model;
  return {
    prefillReplicas: config.prefill.replicas,
    prefillServing,
    prefillTemplates: { old: template('old'), new: template('new') },
    prefillGroup,
    link: { bandwidth: config.kvTransfer.bandwidth, latency: config.kvTransfer.latency, bytesPerToken: kvBytesPerToken(model.architecture, model.kvDtype) },
    rollout: plan,
  };
}

type Rollout = NonNullable<ScenarioSpec['rollout']>;

/**
 * Each role's budgets. A LeaderWorkerSet role (either role) rolls only with the leaderWorkerSet strategy (checked
 * for the deployment in resolve.ts, here for the prefill role), and then both roles do: a single-pod role is an
 * LWS of size 1. The coordinated planner writes the partitions itself.
 */
function rolloutPlan(rollout: Rollout, prefillIsGroup: boolean): DisaggregatedRolloutPlan {
  const strategy = rollout.strategy;
  const mode = rollout.disaggregated?.mode ?? 'independent';
  const prefillRollingUpdate = rollout.disaggregated?.prefillRollingUpdate;
  const prefillLeaderWorkerSet = rollout.disaggregated?.prefillLeaderWorkerSet;
  if ('leaderWorkerSet' in strategy) {
    if (prefillRollingUpdate !== undefined) {
      throw new InputError(
        { problem: 'is a Deployment budget but the roles roll as LeaderWorkerSets', expected: 'spec.rollout.disaggregated.prefillLeaderWorkerSet' },
        'spec.rollout.disaggregated.prefillRollingUpdate',
      );
    }
    const decode = strategy.leaderWorkerSet;
    const prefill = prefillLeaderWorkerSet ?? decode;
    if (mode === 'coordinated') {
      const staged = decode.partition > 0 ? 'spec.rollout.strategy.leaderWorkerSet.partition' : prefill.partition > 0 ? 'spec.rollout.disaggregated.prefillLeaderWorkerSet.partition' : null;
      if (staged !== null) {
        throw new InputError({ problem: 'is set with the coordinated mode', expected: "0: the coordinated planner steps both roles' partitions itself", got: 'a partition' }, staged);
      }
    }
    return { mode, strategy: 'leaderWorkerSet', decode, prefill };
  }
  if (!('rollingUpdate' in strategy)) {
    throw new InputError(
      {
        problem: 'is not supported with disaggregation yet',
        expected: 'strategy rollingUpdate, or leaderWorkerSet (each role rolled independently or coordinated)',
        got: Object.keys(strategy)[0],
      },
      'spec.rollout.strategy',
    );
  }
  if (prefillIsGroup) {
    throw new InputError(
      {
        problem: 'a LeaderWorkerSet prefill role (disaggregation.prefill.leaderWorkerSet) rolled with the rollingUpdate strategy',
        expected: "strategy: { leaderWorkerSet: { maxUnavailable, maxSurge } }, LWS's own rolling update for each role",
      },
      'spec.rollout.strategy',
    );
  }
  if (prefillLeaderWorkerSet !== undefined) {
    throw new InputError(
      { problem: 'is set but the roles roll as Deployments (strategy rollingUpdate)', expected: 'spec.rollout.disaggregated.prefillRollingUpdate' },
      'spec.rollout.disaggregated.prefillLeaderWorkerSet',
    );
  }
  return { mode, strategy: 'rollingUpdate', decode: strategy.rollingUpdate, prefill: prefillRollingUpdate ?? strategy.rollingUpdate };
}

/** The deployment's server on the prefill pods' tensor parallelism; its errors name the prefill field. */
function resolvePrefillServing(inputs: DisaggregationInputs, tensorParallel: number, span: ReplicaSpan | null): LlmServing {
  const { spec } = inputs;
  const path = `${PATH}.prefill.tensorParallel`;
  try {
    if (spec.model.architecture !== undefined) validateTensorParallel(spec.model.architecture, tensorParallel, path);
    const serving = resolveServing({ ...spec.model, tensorParallel }, spec.server, inputs.gpu, inputs.baseDir, 'spec', inputs.calibration, span);
    return serving as LlmServing;
  } catch (error) {
    if (error instanceof InputError && error.path !== path && tensorParallel !== spec.model.tensorParallel) {
      throw new InputError(`${error.message} (with the prefill pods' tensorParallel ${tensorParallel})`, path);
    }
    throw error;
  }
}
