import { InputError } from '../errors.js';
import { UNQUANTISED_BYTES, WEIGHT_DTYPE_BYTES, KV_DTYPE_BYTES, WEIGHT_DTYPES, type KvDtype, type WeightDtype } from './catalog/dtypes.js';
import type { GpuSpec } from './catalog/gpus.js';
import { canShard, parameterCounts, type ModelArchitecture } from './catalog/models.js';

const GiB = 1024 ** 3;

/** vLLM's default KV block size (tokens per block). */
export const KV_BLOCK_TOKENS = 16;

/**
 * BLIS's memory-planner constants (serving-model.md §2.3, `sim/latency/kv_capacity.go`): peak activation
 * memory per replica, and the non-torch (CUDA context, NCCL) overhead. They are rough: on small GPUs the real
 * activation peak is much lower (a measured 24 GB case held ~9x the KV these give), hence `measuredBlocks`.
 */
export const ACTIVATION_RESERVE_BYTES = { dense: 5.5 * GiB, moe: 8 * GiB } as const;
export const NON_TORCH_BYTES_SINGLE_GPU = 0.15 * GiB;
export const NON_TORCH_BYTES_PER_GPU_UNDER_TP = 0.6 * GiB;

/** Weights of one replica: attention/MLP matrices at the weight dtype, embeddings, lm_head and norms at 16 bits. */
export function weightBytes(model: ModelArchitecture, weightDtype: WeightDtype): number {
  const p = parameterCounts(model);
  return p.matrices * WEIGHT_DTYPE_BYTES[weightDtype] + (p.total - p.matrices) * UNQUANTISED_BYTES;
}

/** vLLM shards every weight, the vocabulary included, evenly over the TP ranks. */
export function weightBytesPerGpu(model: ModelArchitecture, weightDtype: WeightDtype, tensorParallel: number): number {
  return weightBytes(model, weightDtype) / tensorParallel;
}

/** 2 (K and V) × layers × kvHeads × headDim × bytes: the model's KV per token, counted once. */
export function kvBytesPerToken(model: ModelArchitecture, kvDtype: KvDtype): number {
  return 2 * model.layers * model.kvHeads * model.headDim * KV_DTYPE_BYTES[kvDtype];
}

/** KV heads each rank stores: kvHeads / TP, or one (replicated) when there are fewer KV heads than ranks. */
export function kvHeadsPerGpu(model: ModelArchitecture, tensorParallel: number): number {
  return Math.max(1, model.kvHeads / tensorParallel);
}

export function kvBytesPerTokenPerGpu(model: ModelArchitecture, kvDtype: KvDtype, tensorParallel: number): number {
  return 2 * model.layers * kvHeadsPerGpu(model, tensorParallel) * model.headDim * KV_DTYPE_BYTES[kvDtype];
}

/** What one cached token costs the whole replica: equal to kvBytesPerToken unless heads are replicated. */
export function kvBytesPerTokenPerReplica(model: ModelArchitecture, kvDtype: KvDtype, tensorParallel: number): number {
  return kvBytesPerTokenPerGpu(model, kvDtype, tensorParallel) * tensorParallel;
}

/** One replica's deployment, as the memory planner sees it. */
export interface ReplicaMemoryConfig {
  readonly model: ModelArchitecture;
  readonly gpu: GpuSpec;
  readonly tensorParallel: number;
  readonly weightDtype: WeightDtype;
  readonly kvDtype: KvDtype;
  /** vLLM's --gpu-memory-utilization, default 0.9. */
  readonly gpuMemoryUtilization?: number;
  /** vLLM's --block-size, default 16. */
  readonly blockSize?: number;
  /** "# GPU blocks" from the vLLM start-up log: replaces the derived count. */
  readonly measuredBlocks?: number;
  /** When given, the cache must hold one sequence of this length (vLLM refuses to start otherwise). */
  readonly maxModelLen?: number;
}

export interface KvCapacity {
  readonly weightBytes: number;
  readonly weightBytesPerGpu: number;
  /** memory × utilisation × TP. */
  readonly budgetBytes: number;
  readonly activationBytes: number;
  readonly nonTorchBytes: number;
  /** Left for the KV cache in the whole replica (derived; for a measured count, blocks × block bytes). */
  readonly kvCacheBytes: number;
  /** Per cached token, across the replica's GPUs (replicated heads counted on every GPU holding them). */
  readonly kvBytesPerToken: number;
  readonly blockSize: number;
  readonly kvCacheBlocks: number;
  /** kvCacheBlocks × blockSize: the tokens the replica can hold. */
  readonly kvCacheTokens: number;
  readonly source: 'derived' | 'measured';
}

/**
 * BLIS's planner (serving-model.md §2.3): KV = memory·utilisation·TP − weights − activation − non-torch
 * overhead; blocks = floor(KV / (bytes per token × block size)). Throws an InputError when the model does not
 * fit (assertFits) or a measured count is not a positive integer. The tensorParallel must shard the model
 * (validateTensorParallel): the scenario schema and estimateServing check it before.
 */
export function kvCacheCapacity(config: ReplicaMemoryConfig): KvCapacity {
  const parts = memoryParts(config);
  const blockSize = config.blockSize ?? KV_BLOCK_TOKENS;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new InputError({ got: JSON.stringify(blockSize), problem: 'is not a block size', expected: 'a positive integer such as 16' }, 'blockSize');
  const blockBytes = parts.kvBytesPerToken * blockSize;
  let kvCacheBlocks: number;
  if (config.measuredBlocks !== undefined) {
    kvCacheBlocks = config.measuredBlocks;
    if (!Number.isInteger(kvCacheBlocks) || kvCacheBlocks < 1) {
      throw new InputError({ got: JSON.stringify(kvCacheBlocks), problem: 'is not a block count', expected: 'the positive integer vLLM logs as "# GPU blocks"' }, 'measuredBlocks');
    }
  } else {
    assertFits(config);
    kvCacheBlocks = Math.floor(parts.freeBytes / blockBytes);
  }
  const capacity: KvCapacity = {
    weightBytes: parts.weightBytes,
    weightBytesPerGpu: parts.weightBytes / config.tensorParallel,
    budgetBytes: parts.budgetBytes,
    activationBytes: parts.activationBytes,
    nonTorchBytes: parts.nonTorchBytes,
    kvCacheBytes: config.measuredBlocks === undefined ? parts.freeBytes : kvCacheBlocks * blockBytes,
    kvBytesPerToken: parts.kvBytesPerToken,
    blockSize,
    kvCacheBlocks,
    kvCacheTokens: kvCacheBlocks * blockSize,
    source: config.measuredBlocks === undefined ? 'derived' : 'measured',
  };
  if (config.maxModelLen !== undefined && capacity.kvCacheTokens < config.maxModelLen) {
    throw new InputError(
      `the max model length (${config.maxModelLen}) is larger than the ${capacity.kvCacheTokens} tokens the KV cache of ${describeReplica(config)} can hold; lower maxModelLen, raise gpuMemoryUtilization, or use more GPUs per replica`,
      'maxModelLen',
    );
  }
  return capacity;
}

interface MemoryParts {
  readonly weightBytes: number;
  readonly budgetBytes: number;
  readonly activationBytes: number;
  readonly nonTorchBytes: number;
  readonly freeBytes: number;
  readonly kvBytesPerToken: number;
}

function memoryParts(config: ReplicaMemoryConfig): MemoryParts {
  const { model, gpu, tensorParallel: tp } = config;
  const utilisation = gpuMemoryUtilization(config);
  const weights = weightBytes(model, config.weightDtype);
  const budgetBytes = gpu.memoryBytes * utilisation * tp;
  const activationBytes = model.experts > 1 ? ACTIVATION_RESERVE_BYTES.moe : ACTIVATION_RESERVE_BYTES.dense;
  const nonTorchBytes = tp === 1 ? NON_TORCH_BYTES_SINGLE_GPU : NON_TORCH_BYTES_PER_GPU_UNDER_TP * tp;
  return {
    weightBytes: weights,
    budgetBytes,
    activationBytes,
    nonTorchBytes,
    freeBytes: budgetBytes - weights - activationBytes - nonTorchBytes,
    kvBytesPerToken: kvBytesPerTokenPerReplica(model, config.kvDtype, tp),
  };
}

function gpuMemoryUtilization(config: ReplicaMemoryConfig): number {
  const u = config.gpuMemoryUtilization ?? 0.9;
  if (!(u > 0 && u <= 1)) throw new InputError({ got: JSON.stringify(u), problem: 'is not a memory fraction', expected: 'a number in (0, 1], e.g. 0.9' }, 'gpuMemoryUtilization');
  return u;
}

/** Does at least one KV block fit next to the weights, activations and runtime overhead? */
function fitsOneBlock(config: ReplicaMemoryConfig): boolean {
  const parts = memoryParts(config);
  return parts.freeBytes >= parts.kvBytesPerToken * (config.blockSize ?? KV_BLOCK_TOKENS);
}

const MAX_SUGGESTED_TP = 64;

/**
 * Throws an InputError when the replica has no room for a single KV block, saying what would fit, e.g.
 * "llama-3.1-405b (bf16, 756 GiB of weights) does not fit 4 × h100-80gb at gpuMemoryUtilization 0.9 (...):
 * needs tensorParallel ≥ 16, or fp8 weights at tensorParallel ≥ 8, or int4 weights".
 */
export function assertFits(config: ReplicaMemoryConfig): void {
  if (fitsOneBlock(config)) return;
  const parts = memoryParts(config);
  const needed = parts.weightBytes + parts.activationBytes + parts.nonTorchBytes;
  const options: string[] = [];
  const largerTp = smallestFittingTp(config);
  if (largerTp !== undefined) options.push(`tensorParallel ≥ ${largerTp}`);
  for (const dtype of WEIGHT_DTYPES) {
    if (WEIGHT_DTYPE_BYTES[dtype] >= WEIGHT_DTYPE_BYTES[config.weightDtype]) continue;
    const smaller = { ...config, weightDtype: dtype };
    if (fitsOneBlock(smaller)) {
      options.push(`${dtype} weights`);
      break;
    }
    const tp = smallestFittingTp(smaller);
    if (tp !== undefined) options.push(`${dtype} weights at tensorParallel ≥ ${tp}`);
  }
  const advice = options.length > 0 ? `needs ${options.join(', or ')}` : `no tensorParallel up to ${MAX_SUGGESTED_TP} or weight dtype makes it fit; use larger GPUs`;
  throw new InputError(
    `${describeReplica(config)} at gpuMemoryUtilization ${gpuMemoryUtilization(config)} does not fit: ${gib(parts.budgetBytes)} usable, ` +
      `${gib(needed)} needed before any KV cache (weights, activations, runtime); ${advice}`,
    'model',
  );
}

function smallestFittingTp(config: ReplicaMemoryConfig): number | undefined {
  for (let tp = config.tensorParallel + 1; tp <= MAX_SUGGESTED_TP; tp++) {
    const candidate = { ...config, tensorParallel: tp };
    if (!canShard(config.model, tp)) continue;
    if (fitsOneBlock(candidate)) return tp;
  }
  return undefined;
}

/** "llama-3.1-405b (bf16, 756 GiB of weights) on 4 × h100-80gb" */
function describeReplica(config: ReplicaMemoryConfig): string {
  return `${config.model.name} (${config.weightDtype}, ${gib(weightBytes(config.model, config.weightDtype))} of weights) on ${config.tensorParallel} × ${config.gpu.name}`;
}

function gib(bytes: number): string {
  return `${Math.round(bytes / GiB)} GiB`;
}
