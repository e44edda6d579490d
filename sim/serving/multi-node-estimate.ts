import { InputError } from '../errors.js';
import { resolveGpu, resolveModel } from './catalog/resolve.js';
import { estimateServing, stepBreakdown, type EstimateInput, type ServingEstimate } from './estimate.js';
import { multiNodeStepTime, PipelineParallelStepTime, resolveNetwork, type MultiNodeLayout } from './step-time/multi-node.js';
import { decodeBatch, prefillBatch } from './step-time/types.js';

export interface MultiNodeEstimateInput extends Omit<EstimateInput, 'tp' | 'stepTime' | 'baseDir'> {
  readonly gpusPerNode: number;
  readonly nodes: number;
  /** A NODE_NETWORKS name; default infiniband-ndr. */
  readonly network?: string;
}

/** One way to span the nodes, with the step times it gives. */
export interface LayoutEstimate {
  readonly layout: MultiNodeLayout;
  readonly stepTimeModel: string;
  readonly decodeStepMs: number;
  readonly decodeTokensPerSec: number;
  readonly prefillMs: number;
  /** Pipeline only: idle share of the stages at this batch (null for tensor parallelism). */
  readonly bubbleFraction: number | null;
}

export interface MultiNodeEstimate {
  readonly model: string;
  readonly gpu: string;
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly network: string;
  /** Memory and KV figures of the whole replica (its weights and KV split over every GPU). */
  readonly memory: Pick<ServingEstimate, 'parameters' | 'activeParameters' | 'weightBytes' | 'weightBytesPerGpu' | 'kvBytesPerToken' | 'kvCacheTokens' | 'maxConcurrentAtContext'>;
  /** Why one node is not enough, or null when the model fits one node (then multi-node is a choice, not a need). */
  readonly oneNode: string | null;
  readonly layouts: readonly LayoutEstimate[];
}

/** `estimate --nodes N`: a replica of N nodes × gpusPerNode GPUs, as pipeline stages and as one TP group. */
export function estimateMultiNode(input: MultiNodeEstimateInput): MultiNodeEstimate {
  const model = resolveModel(input.model, 'model');
  const gpu = resolveGpu(input.gpu, 'gpu');
  const network = resolveNetwork(input.network ?? 'infiniband-ndr', 'network');
  if (!Number.isInteger(input.nodes) || input.nodes < 2) throw new InputError(`nodes is ${JSON.stringify(input.nodes)}; expected 2 or more`, 'nodes');
  const whole = estimateServing({ ...input, model, gpu, tp: input.gpusPerNode * input.nodes });
  let oneNode: string | null = null;
  try {
    estimateServing({ ...input, model, gpu, tp: input.gpusPerNode });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    oneNode = err.message;
  }
  const dtypes = { weightDtype: input.weightDtype ?? 'bf16', kvDtype: input.kvDtype ?? 'bf16' } as const;
  const layouts = (['pipeline', 'tensor'] as const).map((layout): LayoutEstimate => {
    const stepTime = multiNodeStepTime(model, gpu, { nodes: input.nodes, gpusPerNode: input.gpusPerNode, layout, network }, dtypes);
    const decode = stepBreakdown(stepTime, decodeBatch(input.batch, input.context));
    return {
      layout,
      stepTimeModel: stepTime.name,
      decodeStepMs: decode.totalMs,
      decodeTokensPerSec: input.batch / (decode.totalMs / 1000),
      prefillMs: stepBreakdown(stepTime, prefillBatch(input.prompt)).totalMs,
      bubbleFraction: stepTime instanceof PipelineParallelStepTime ? stepTime.bubbleFraction(input.batch) : null,
    };
  });
  return {
    model: model.name,
    gpu: gpu.name,
    nodes: input.nodes,
    gpusPerNode: input.gpusPerNode,
    network: network.name,
    memory: {
      parameters: whole.parameters,
      activeParameters: whole.activeParameters,
      weightBytes: whole.weightBytes,
      weightBytesPerGpu: whole.weightBytesPerGpu,
      kvBytesPerToken: whole.kvBytesPerToken,
      kvCacheTokens: whole.kvCacheTokens,
      maxConcurrentAtContext: whole.maxConcurrentAtContext,
    },
    oneNode,
    layouts,
  };
}
