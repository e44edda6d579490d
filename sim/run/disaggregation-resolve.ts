import { resolvePodResources } from '../cluster/schema.js';
import { resolveStartup, type ModelFacts, type StartupInput } from '../cluster/startup-spec.js';
import type { PodTemplateArgs } from '../cluster/template.js';
import type { IntOrPercent } from '../config/int-or-percent.js';
import { InputError } from '../errors.js';
import type { ScenarioSpec } from '../scenario/schema.js';
import type { GpuSpec } from '../serving/catalog/gpus.js';
import { validateTensorParallel } from '../serving/catalog/models.js';
import type { KvTransferLink } from '../serving/disaggregation.js';
import { kvBytesPerToken } from '../serving/memory.js';
import { resolveServing, type CalibrationInput, type ServingSettings } from '../serving/setup.js';
import type { VersionRole } from '../traffic/request.js';

type Template = Omit<PodTemplateArgs, 'createServer'>;
type LlmServing = Extract<ServingSettings, { kind: 'llm' }>;

/** How the two roles roll when the rollout runs (spec.rollout.disaggregated). */
export interface DisaggregatedRolloutPlan {
  readonly mode: 'independent' | 'coordinated';
  /** The decode role's (the strategy's) and the prefill role's rolling budgets. */
  readonly decode: { readonly maxSurge: IntOrPercent; readonly maxUnavailable: IntOrPercent };
  readonly prefill: { readonly maxSurge: IntOrPercent; readonly maxUnavailable: IntOrPercent };
}

/** deployment.disaggregation resolved: the prefill role's pods and server, and the KV link. */
export interface ResolvedDisaggregation {
  readonly prefillReplicas: number;
  readonly prefillServing: LlmServing;
  readonly prefillTemplates: Readonly<Record<VersionRole, Template>>;
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
  readonly modelFacts: ModelFacts;
  readonly startupInput: StartupInput;
  /** The decode role's (the deployment's) pod template of a version. */
  readonly decodeTemplate: (version: VersionRole) => Template;
}

const PATH = 'spec.deployment.disaggregation';

/**
 * The prefill role: the deployment's pod template with its own replicas, tensor parallelism (its own step times,
 * KV capacity and start-up) and resources; refuses what the request-level model does not cover yet.
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
  if (spec.deployment.leaderWorkerSet !== undefined || rollout?.newVersion.leaderWorkerSet !== undefined || rollout?.newVersion.tensorParallel !== undefined) {
    throw new InputError(
      {
        problem: 'cannot be combined with disaggregation yet',
        expected: 'single-pod roles of one shape request by request (multi-node prefill/decode roles: kind PdRollout, docs/multi-node.md)',
      },
      spec.deployment.leaderWorkerSet !== undefined ? 'spec.deployment.leaderWorkerSet' : 'spec.rollout.newVersion',
    );
  }
  if (rollout !== undefined && !('rollingUpdate' in rollout.strategy)) {
    throw new InputError(
      { problem: `is not supported with disaggregation yet`, expected: 'strategy rollingUpdate (each role rolled independently or coordinated)', got: Object.keys(rollout.strategy)[0] },
      'spec.rollout.strategy',
    );
  }
  const tensorParallel = config.prefill.tensorParallel ?? spec.model.tensorParallel;
  const prefillServing = resolvePrefillServing(inputs, tensorParallel);
  const startup = resolveStartup(inputs.startupInput, inputs.modelFacts, tensorParallel, 'spec.startup');
  const resources = config.prefill.resources === undefined ? undefined : resolvePodResources(config.prefill.resources);
  const template = (version: VersionRole): Template => {
    const decode = inputs.decodeTemplate(version);
    return {
      ...decode,
      name: `${decode.name}-prefill`,
      tensorParallel,
      startup,
      ...(resources === undefined ? {} : { resources }),
    };
  };
  const model = decodeServing.model;
  return {
    prefillReplicas: config.prefill.replicas,
    prefillServing,
    prefillTemplates: { old: template('old'), new: template('new') },
    link: { bandwidth: config.kvTransfer.bandwidth, latency: config.kvTransfer.latency, bytesPerToken: kvBytesPerToken(model.architecture, model.kvDtype) },
    rollout: rollout === undefined || !('rollingUpdate' in rollout.strategy) ? null : rolloutPlan(rollout.strategy.rollingUpdate, rollout.disaggregated),
  };
}

function rolloutPlan(
  decode: DisaggregatedRolloutPlan['decode'],
  disaggregated: NonNullable<ScenarioSpec['rollout']>['disaggregated'],
): DisaggregatedRolloutPlan {
  return { mode: disaggregated?.mode ?? 'independent', decode, prefill: disaggregated?.prefillRollingUpdate ?? decode };
}

/** The deployment's server on the prefill pods' tensor parallelism; its errors name the prefill field. */
function resolvePrefillServing(inputs: DisaggregationInputs, tensorParallel: number): LlmServing {
  const { spec } = inputs;
  const path = `${PATH}.prefill.tensorParallel`;
  try {
    if (spec.model.architecture !== undefined) validateTensorParallel(spec.model.architecture, tensorParallel, path);
    const serving = resolveServing({ ...spec.model, tensorParallel }, spec.server, inputs.gpu, inputs.baseDir, 'spec', inputs.calibration);
    return serving as LlmServing;
  } catch (error) {
    if (error instanceof InputError && error.path !== path && tensorParallel !== spec.model.tensorParallel) {
      throw new InputError(`${error.message} (with the prefill pods' tensorParallel ${tensorParallel})`, path);
    }
    throw error;
  }
}
