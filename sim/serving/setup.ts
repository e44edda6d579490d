import { servingCalibrationFor, type CalibrationFile } from '../config/calibration-file.js';
import { buildDistribution } from '../config/distribution-spec.js';
import { formatIssues } from '../config/issues.js';
import type { Distribution } from '../engine/distributions.js';
import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InputError } from '../errors.js';
import type { RequestSink, VersionRole } from '../traffic/request.js';
import { resolveModelSpec, type ModelSpec, type ServingModel } from './catalog/schema.js';
import type { GpuSpec } from './catalog/gpus.js';
import { ReplicaLora, resolveLora, type LoraServerSpec, type LoraStats } from './lora.js';
import { kvCacheCapacity } from './memory.js';
import { QueueStation } from './queue-station.js';
import type { PrefixCacheTally } from './prefix-tally.js';
import { Replica, type DisaggregatedRole, type ReplicaConfig, type WarmPrefix } from './replica.js';
import type { ServerSpec } from './server-schema.js';
import type { Server } from './server.js';
import { createStepTimeModel, zStepTimeSpec, type StepTimeSpec } from './step-time/factory.js';
import { multiNodeStepTime, resolveNetwork, type MultiNodeLayout } from './step-time/multi-node.js';
import type { StepTimeModel } from './step-time/types.js';

/** How the new version differs (rollout.newVersion); the old version is the baseline. */
export interface VersionBehaviour {
  readonly stepTimeFactor: number;
  readonly errorRate: number;
}

/** When the pod's HTTP port opens and how long the server drains after SIGTERM (vLLM --shutdown-timeout). */
export interface ServerLifecycle {
  readonly listenAt: 'process-start' | 'engine-ready';
  readonly shutdownTimeout: number;
}

/** The resolved server of a scenario: every default applied, the model fitted, the KV capacity computed. */
export type ServingSettings = {
  readonly model: ServingModel;
  readonly gpu: GpuSpec;
  readonly lifecycle: ServerLifecycle;
} & (
  | { readonly kind: 'queue'; readonly serviceTime: Distribution; readonly concurrency: number; readonly maxWaiting: number | undefined }
  | {
      readonly kind: 'llm';
      readonly stepTime: StepTimeModel;
      readonly replica: ReplicaConfig;
      /** server.lora: serves LoRA adapters; null when it serves the base model only. */
      readonly lora: LoraServerSpec | null;
    }
);

/** A replica spread over several pods (deployment.leaderWorkerSet), each with model.tensorParallel GPUs. */
export interface ReplicaSpan {
  readonly pods: number;
  readonly layout: MultiNodeLayout;
  /** A NODE_NETWORKS name. */
  readonly network: string;
}

/** A calibration file (spec.calibration) and where the scenario named it. */
export interface CalibrationInput {
  readonly file: CalibrationFile;
  readonly path: string;
}

/**
 * Resolves the scenario's `model` and `server` on the GPU the model runs on. `path` is where the scenario keeps
 * them (`spec`): every error names the field as the user wrote it. A calibration sets the roofline's fitted
 * parameters under the scenario's own `stepTime.roofline` overrides (those win).
 */
export function resolveServing(
  model: ModelSpec,
  server: ServerSpec,
  gpu: GpuSpec,
  baseDir: string,
  path: string,
  calibration?: CalibrationInput,
  span: ReplicaSpan | null = null,
): ServingSettings {
  const resolvedModel = resolveModelSpec(model, baseDir, `${path}.model`);
  if (server.model === 'queue') {
    return {
      kind: 'queue',
      model: resolvedModel,
      gpu,
      // A FIFO station has no engine to initialise and nothing to drain: it listens when ready and stops at once.
      lifecycle: { listenAt: 'engine-ready', shutdownTimeout: 0 },
      serviceTime: buildDistribution(server.serviceTime, baseDir, `${path}.server.serviceTime`),
      concurrency: server.concurrency,
      maxWaiting: server.maxWaiting,
    };
  }
  const parsedStepTime = zStepTimeSpec.safeParse(server.stepTime ?? { roofline: {} });
  if (!parsedStepTime.success) {
    throw new InputError(formatIssues(parsedStepTime.error.issues, server.stepTime).join('; '), `${path}.server.stepTime`);
  }
  const dtypes = { weightDtype: resolvedModel.weightDtype, kvDtype: resolvedModel.kvDtype };
  const stepTimeSpec = calibration === undefined ? parsedStepTime.data : calibrated(parsedStepTime.data, calibration, resolvedModel, gpu);
  const pods = span?.pods ?? 1;
  // A measured table or fitted coefficients already describe the whole replica; the roofline is spread over its pods.
  const stepTime =
    span !== null && pods > 1 && 'roofline' in stepTimeSpec
      ? multiNodeStepTime(
          resolvedModel.architecture,
          gpu,
          { nodes: pods, gpusPerNode: resolvedModel.tensorParallel, layout: span.layout, network: resolveNetwork(span.network, `${path}.deployment.leaderWorkerSet.network`) },
          dtypes,
          stepTimeSpec.roofline,
        )
      : createStepTimeModel(stepTimeSpec, resolvedModel.architecture, gpu, resolvedModel.tensorParallel, dtypes, baseDir);
  const capacity = atScenarioModel(`${path}.model`, () =>
    kvCacheCapacity({
      model: resolvedModel.architecture,
      gpu,
      // Weights and KV are spread over every GPU of the replica, whichever way it spans its pods.
      tensorParallel: resolvedModel.tensorParallel * pods,
      ...dtypes,
      gpuMemoryUtilization: server.gpuMemoryUtilization,
      blockSize: server.blockSize,
      measuredBlocks: server.kvBlocks,
      maxNumBatchedTokens: server.maxNumBatchedTokens,
      maxNumSeqs: server.maxNumSeqs,
      // The roofline's cudaGraphs: false is --enforce-eager: no graph capture memory either.
      enforceEager: 'roofline' in stepTimeSpec && stepTimeSpec.roofline.cudaGraphs === false,
      cudaGraphsInKvBudget: server.cudaGraphsInKvBudget,
    }),
  );
  return {
    kind: 'llm',
    model: resolvedModel,
    gpu,
    lifecycle: { listenAt: server.listenAt, shutdownTimeout: server.shutdownTimeout },
    stepTime,
    replica: {
      maxNumSeqs: server.maxNumSeqs,
      maxNumBatchedTokens: server.maxNumBatchedTokens,
      kvBlocks: capacity.kvCacheBlocks,
      blockSize: capacity.blockSize,
      maxWaiting: server.maxWaiting,
      prefixCaching: server.prefixCaching,
      coldStart: server.coldStart,
    },
    lora: server.lora ?? null,
  };
}

/** Starts a model server for a pod: one per pod, each with its own named random stream. */
export type ServerFactory = (podId: number, version: VersionRole, warm: boolean, sink: RequestSink) => Server;

/** What every replica of a run shares besides its settings. */
export interface FleetHooks {
  /** Sums the fleet's prefix-cache lookups and hits. */
  prefixTally?: PrefixCacheTally;
  /** Prefixes each new replica loads into its prefix cache before it serves (deployment.warmup). */
  warmPrefixes?: readonly WarmPrefix[];
  /** The replicas' part in disaggregated serving (one factory per role); absent: whole requests. */
  disaggregation?: DisaggregatedRole;
}

export function serverFactory(
  settings: ServingSettings,
  sim: Simulator,
  streams: RandomStreams,
  behaviour: Readonly<Record<VersionRole, VersionBehaviour>>,
  hooks: FleetHooks = {},
  /** The run's adapter statistics; required when the server serves LoRA adapters. */
  loraStats: LoraStats | null = null,
): ServerFactory {
  if (settings.kind === 'queue') {
    const config = { serviceTime: settings.serviceTime, concurrency: settings.concurrency, maxWaiting: settings.maxWaiting };
    return (podId, _version, _warm, sink) => new QueueStation(sim, sink, config, streams.stream(`serving.service.pod-${podId}`));
  }
  const { stepTime, replica: config } = settings;
  const lora = settings.lora === null || loraStats === null ? null : resolveLora(settings.lora, loraStats.names.length);
  return (podId, version, warm, sink) => {
    const replica = new Replica({
      sim,
      sink,
      stepTime,
      config,
      warm,
      stepTimeFactor: behaviour[version].stepTimeFactor,
      errorRate: behaviour[version].errorRate,
      errorRng: streams.stream(`serving.errors.pod-${podId}`),
      prefixTally: hooks.prefixTally,
      ...(hooks.disaggregation === undefined ? {} : { disaggregation: hooks.disaggregation }),
      ...(lora === null ? {} : { lora: new ReplicaLora(lora, loraStats as LoraStats, podId, version) }),
    });
    if (hooks.warmPrefixes !== undefined) replica.warmPrefixes(hooks.warmPrefixes);
    return replica;
  };
}

/** The roofline with the calibration's fitted parameters; another step-time model ignores them. */
function calibrated(spec: StepTimeSpec, calibration: CalibrationInput, model: ServingModel, gpu: GpuSpec): StepTimeSpec {
  if (!('roofline' in spec)) return spec;
  const key = { gpu: gpu.name, model: model.architecture.name, tensorParallel: model.tensorParallel, weightDtype: model.weightDtype, kvDtype: model.kvDtype };
  const entry = servingCalibrationFor(calibration.file, key, calibration.path);
  if (entry === undefined) return spec;
  const own = Object.fromEntries(Object.entries(spec.roofline).filter(([, v]) => v !== undefined));
  return { roofline: { ...entry.roofline, ...own } };
}

/** kvCacheCapacity calls the model `model` (the estimate command's flag); in a scenario file it lives at `path`. */
function atScenarioModel<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof InputError && error.path === 'model') throw error.at(path);
    throw error;
  }
}
