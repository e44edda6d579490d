import { InputError } from '../errors.js';
import type { KvDtype, WeightDtype } from './catalog/dtypes.js';
import type { GpuSpec } from './catalog/gpus.js';
import { parameterCounts, validateTensorParallel, type ModelArchitecture } from './catalog/models.js';
import { resolveGpu, resolveModel } from './catalog/resolve.js';
import { kvBytesPerToken, kvBytesPerTokenPerGpu, kvCacheCapacity } from './memory.js';
import { vllmMemoryLogLines } from './vllm-memory-log.js';
import { createStepTimeModel, type StepTimeSpec } from './step-time/factory.js';
import { decodeBatch, prefillBatch, type BatchShape, type StepTimeModel } from './step-time/types.js';

export interface EstimateInput {
  readonly model: string | ModelArchitecture;
  readonly gpu: string | GpuSpec;
  readonly tp: number;
  /** Decoding sequences in the step. */
  readonly batch: number;
  /** Context tokens of each decoding sequence. */
  readonly context: number;
  /** Tokens of the one prompt prefilled. */
  readonly prompt: number;
  readonly weightDtype?: WeightDtype;
  readonly kvDtype?: KvDtype;
  readonly gpuMemoryUtilization?: number;
  /** vLLM's logged "# GPU blocks", replacing the derived KV capacity. */
  readonly measuredBlocks?: number;
  /** vLLM's --max-num-batched-tokens and --max-num-seqs: they size the profile run's activation reserve. */
  readonly maxNumBatchedTokens?: number;
  readonly maxNumSeqs?: number;
  /** vLLM's --enforce-eager: no CUDA graphs. */
  readonly enforceEager?: boolean;
  /** VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1: the graphs' memory comes out of the KV budget. */
  readonly cudaGraphsInKvBudget?: boolean;
  /** vLLM's --max-model-len, for the "Maximum concurrency" line; default the model's maximum context. */
  readonly maxModelLen?: number;
  readonly stepTime?: StepTimeSpec;
  /** Resolves a profile step-time file. */
  readonly baseDir?: string;
}

export interface ServingEstimate {
  readonly model: string;
  readonly gpu: string;
  readonly tensorParallel: number;
  readonly weightDtype: WeightDtype;
  readonly kvDtype: KvDtype;
  readonly parameters: number;
  readonly activeParameters: number;
  readonly weightBytes: number;
  readonly weightBytesPerGpu: number;
  /** The model's KV per token, counted once (2 · layers · kvHeads · headDim · bytes). */
  readonly kvBytesPerToken: number;
  /** What each GPU stores per token (kvHeads / TP heads, at least one). */
  readonly kvBytesPerTokenPerGpu: number;
  readonly kvCacheBytes: number;
  readonly kvCacheTokens: number;
  readonly kvCacheBlocks: number;
  readonly kvCacheSource: 'derived' | 'measured';
  /** Sequences of `context` tokens the KV cache holds at once (whole blocks each). */
  readonly maxConcurrentAtContext: number;
  /** CUDA-graph capture memory on each GPU; null under enforceEager. */
  readonly cudaGraphBytesPerGpu: number | null;
  /** Device memory left free on each GPU once the graphs are captured (negative: capture runs out). */
  readonly headroomBytesPerGpu: number;
  /** The memory lines of vLLM's start-up log for this replica (vllm-memory-log.ts). */
  readonly vllmLog: readonly string[];
  readonly stepTimeModel: string;
  /** One decode step of `batch` sequences at `context` tokens each. */
  readonly decodeStepMs: number;
  /** The same step, GPU time apart from engine overhead (null parts: the step model cannot tell them apart). */
  readonly decodeStep: StepBreakdown;
  /** batch / decode step: output tokens per second of the replica at that batch. */
  readonly decodeTokensPerSec: number;
  /** One step prefilling a single `prompt`-token prompt (no chunking, no cached prefix). */
  readonly prefillMs: number;
  readonly prefill: StepBreakdown;
}

/** One step's wall time, and its split into GPU time and engine overhead where the model knows it. */
export interface StepBreakdown {
  readonly gpuMs: number | null;
  readonly overheadMs: number | null;
  readonly totalMs: number;
}

export function stepBreakdown(model: StepTimeModel, batch: BatchShape): StepBreakdown {
  const totalMs = 1000 * model.stepSeconds(batch);
  if (model.overheadSeconds === undefined) return { gpuMs: null, overheadMs: null, totalMs };
  const overheadMs = 1000 * model.overheadSeconds(batch);
  return { gpuMs: totalMs - overheadMs, overheadMs, totalMs };
}

/** Back-of-the-envelope serving figures for one replica; throws an InputError if the model does not fit. */
export function estimateServing(input: EstimateInput): ServingEstimate {
  const model = resolveModel(input.model, 'model');
  const gpu = resolveGpu(input.gpu, 'gpu');
  validateTensorParallel(model, input.tp, 'tp');
  const batch = positiveInt(input.batch, 'batch');
  const context = contextLength(input.context, 'context', model);
  const prompt = contextLength(input.prompt, 'prompt', model);
  if (prompt < 1) throw new InputError(`${prompt} is not a prompt length; expected at least 1 token`, 'prompt');
  const weightDtype = input.weightDtype ?? 'bf16';
  const kvDtype = input.kvDtype ?? 'bf16';

  const capacity = kvCacheCapacity({
    model,
    gpu,
    tensorParallel: input.tp,
    weightDtype,
    kvDtype,
    gpuMemoryUtilization: input.gpuMemoryUtilization,
    measuredBlocks: input.measuredBlocks,
    maxNumBatchedTokens: input.maxNumBatchedTokens,
    maxNumSeqs: input.maxNumSeqs,
    enforceEager: input.enforceEager,
    cudaGraphsInKvBudget: input.cudaGraphsInKvBudget,
  });
  const cudaGraphBytesPerGpu = input.enforceEager === true ? null : capacity.cudaGraphBytes / input.tp;
  const stepTime = createStepTimeModel(input.stepTime ?? { roofline: {} }, model, gpu, input.tp, { weightDtype, kvDtype }, input.baseDir);
  const decodeStep = stepBreakdown(stepTime, decodeBatch(batch, context));
  const prefill = stepBreakdown(stepTime, prefillBatch(prompt));
  const counts = parameterCounts(model);
  const blocksPerSequence = Math.max(1, Math.ceil(context / capacity.blockSize));
  return {
    model: model.name,
    gpu: gpu.name,
    tensorParallel: input.tp,
    weightDtype,
    kvDtype,
    parameters: counts.total,
    activeParameters: counts.active,
    weightBytes: capacity.weightBytes,
    weightBytesPerGpu: capacity.weightBytesPerGpu,
    kvBytesPerToken: kvBytesPerToken(model, kvDtype),
    kvBytesPerTokenPerGpu: kvBytesPerTokenPerGpu(model, kvDtype, input.tp),
    kvCacheBytes: capacity.kvCacheBytes,
    kvCacheTokens: capacity.kvCacheTokens,
    kvCacheBlocks: capacity.kvCacheBlocks,
    kvCacheSource: capacity.source,
    maxConcurrentAtContext: Math.floor(capacity.kvCacheBlocks / blocksPerSequence),
    cudaGraphBytesPerGpu,
    headroomBytesPerGpu: capacity.headroomBytesPerGpu,
    vllmLog: vllmMemoryLogLines({
      tensorParallel: input.tp,
      weightBytesPerGpu: capacity.weightBytesPerGpu,
      kvCacheBytes: capacity.kvCacheBytes,
      kvCacheTokens: capacity.kvCacheTokens,
      kvCacheBlocks: capacity.kvCacheBlocks,
      maxModelLen: contextLength(input.maxModelLen ?? model.maxContext, 'maxModelLen', model),
      cudaGraphBytesPerGpu,
      gpuMemoryBytes: gpu.memoryBytes,
      headroomBytesPerGpu: capacity.headroomBytesPerGpu,
    }),
    stepTimeModel: stepTime.name,
    decodeStepMs: decodeStep.totalMs,
    decodeStep,
    decodeTokensPerSec: batch / (decodeStep.totalMs / 1000),
    prefillMs: prefill.totalMs,
    prefill,
  };
}

function positiveInt(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 1) throw new InputError({ got: JSON.stringify(v), problem: 'is not a count', expected: 'a positive integer' }, field);
  return v;
}

function contextLength(v: number, field: string, model: ModelArchitecture): number {
  if (!Number.isInteger(v) || v < 0) throw new InputError({ got: JSON.stringify(v), problem: 'is not a token count', expected: 'an integer ≥ 0' }, field);
  if (v > model.maxContext) throw new InputError(`${v} tokens exceed ${model.name}'s maximum context of ${model.maxContext}`, field);
  return v;
}
