import { InputError } from '../errors.js';
import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { buildDistribution } from '../config/distribution-spec.js';
import type { ScenarioSpec } from '../scenario/schema.js';
import { resolveGpu } from '../serving/catalog/resolve.js';
import { resolveModelSpec, type ServingModel } from '../serving/catalog/schema.js';
import type { GpuSpec } from '../serving/catalog/gpus.js';
import { kvCacheCapacity } from '../serving/memory.js';
import { QueueStation } from '../serving/queue-station.js';
import { Replica, type ReplicaConfig } from '../serving/replica.js';
import type { Server } from '../serving/server.js';
import { createStepTimeModel, zStepTimeSpec } from '../serving/step-time/factory.js';
import type { StepTimeModel } from '../serving/step-time/types.js';
import type { RequestSink, VersionRole } from '../traffic/request.js';
import { formatIssues } from '../config/issues.js';

/** How the new version differs (rollout.newVersion); the old version is the baseline. */
export interface VersionBehaviour {
  stepTimeFactor: number;
  errorRate: number;
}

/** Everything needed to start a model server for a pod: one factory per scenario. */
export interface ServingSetup {
  model: ServingModel;
  gpu: GpuSpec;
  /** Per-replica KV capacity in blocks (LLM mode). */
  kvBlocks: number;
  stepTime: StepTimeModel | null;
  createServer(podId: number, version: VersionRole, warm: boolean, sink: RequestSink): Server;
}

/** The GPU the model runs on: the first node pool's (pools of other GPU types serve other workloads). */
export function modelGpu(spec: ScenarioSpec): GpuSpec {
  return resolveGpu(spec.cluster.nodePools[0].gpu, 'spec.cluster.nodePools[0].gpu');
}

export function buildServing(
  spec: ScenarioSpec,
  baseDir: string,
  sim: Simulator,
  streams: RandomStreams,
  behaviour: Record<VersionRole, VersionBehaviour>,
): ServingSetup {
  const model = resolveModelSpec(spec.model, baseDir, 'spec.model');
  const gpu = modelGpu(spec);
  const server = spec.server;
  if (server.model === 'queue') {
    const serviceTime = buildDistribution(server.serviceTime, baseDir, 'spec.server.serviceTime');
    return {
      model,
      gpu,
      kvBlocks: 0,
      stepTime: null,
      createServer: (podId, _version, _warm, sink) =>
        new QueueStation(
          sim,
          sink,
          { serviceTime, concurrency: server.concurrency, maxWaiting: server.maxWaiting },
          streams.stream(`serving.service.pod-${podId}`),
        ),
    };
  }
  const parsedStepTime = zStepTimeSpec.safeParse(server.stepTime ?? { roofline: {} });
  if (!parsedStepTime.success) {
    throw new InputError(formatIssues(parsedStepTime.error.issues, server.stepTime).join('; '), 'spec.server.stepTime');
  }
  const dtypes = { weightDtype: model.weightDtype, kvDtype: model.kvDtype };
  const stepTime = createStepTimeModel(parsedStepTime.data, model.architecture, gpu, model.tensorParallel, dtypes, baseDir);
  const capacity = atScenarioModel(() =>
    kvCacheCapacity({
      model: model.architecture,
      gpu,
      tensorParallel: model.tensorParallel,
      ...dtypes,
      gpuMemoryUtilization: server.gpuMemoryUtilization,
      blockSize: server.blockSize,
      measuredBlocks: server.kvBlocks,
    }),
  );
  const config: ReplicaConfig = {
    maxNumSeqs: server.maxNumSeqs,
    maxNumBatchedTokens: server.maxNumBatchedTokens,
    kvBlocks: capacity.kvCacheBlocks,
    blockSize: capacity.blockSize,
    maxWaiting: server.maxWaiting,
    prefixCaching: server.prefixCaching,
    coldStart: server.coldStart,
  };
  return {
    model,
    gpu,
    kvBlocks: capacity.kvCacheBlocks,
    stepTime,
    createServer: (podId, version, warm, sink) =>
      new Replica({
        sim,
        sink,
        stepTime,
        config,
        warm,
        stepTimeFactor: behaviour[version].stepTimeFactor,
        errorRate: behaviour[version].errorRate,
        errorRng: streams.stream(`serving.errors.pod-${podId}`),
      }),
  };
}

/** kvCacheCapacity calls the model `model` (the estimate command's flag); in a scenario file it is spec.model. */
function atScenarioModel<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof InputError && error.path === 'model') {
      throw new InputError(error.message.slice('model: '.length), 'spec.model');
    }
    throw error;
  }
}
