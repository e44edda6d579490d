import { InputError } from '../errors.js';
import { UNQUANTISED_BYTES, WEIGHT_DTYPE_BYTES, KV_DTYPE_BYTES, WEIGHT_DTYPES, type KvDtype, type WeightDtype } from './catalog/dtypes.js';
import type { GpuSpec } from './catalog/gpus.js';
import { canShard, parameterCounts, type ModelArchitecture } from './catalog/models.js';

const GiB = 1024 ** 3;

/** vLLM's default KV block size (tokens per block). */
export const KV_BLOCK_TOKENS = 16;

/**
 * vLLM's memory profile (vllm/v1/worker/gpu_worker.py `determine_available_memory`, vllm/utils `memory_profiling`;
 * V0: vllm/worker/worker.py `determine_num_available_blocks`): every rank runs one dummy forward pass of
 * `max_num_batched_tokens` tokens spread over up to `max_num_seqs` sequences (`profile_run`), then samples one
 * token per sequence (`_dummy_sampler_run`), and reserves the peak PyTorch memory above the weights; memory
 * allocated outside PyTorch (CUDA context, cuBLAS workspace, NCCL buffers) is reserved as well. What is left of
 * total × gpu_memory_utilization is the KV cache.
 *
 * The forward peak grows with the batched tokens: per token, the MLP's gate/up output (2 × ffn / TP) and its
 * activation (ffn / TP), next to a few hidden-size tensors (residual, hidden states, normed input). We count
 * 3 × ffn / TP + 3 × hidden elements at 16 bits, times a fitted factor:
 * ACTIVATION_FIT = 0.95 is fitted on one measurement (vLLM issue #10517: Llama-3.1-8B on an RTX 3090, 20,000
 * batched tokens, PyTorch activation peak 17.06 − 14.99 = 2.07 GiB) and checked on the others (test/serving/
 * memory-profile.test.ts). The sampler's logits over the vocabulary for max_num_seqs sequences are float32.
 */
export const ACTIVATION_FIT = 0.95;
const ACTIVATION_ELEMENT_BYTES = 2;
const LOGIT_BYTES = 4;
/** vLLM's defaults for the profile when the caller does not say (server-schema.ts has the same). */
export const DEFAULT_MAX_NUM_BATCHED_TOKENS = 8192;
export const DEFAULT_MAX_NUM_SEQS = 256;
/**
 * Memory outside PyTorch, per GPU. One GPU: 0.35 GiB, the "non_torch_memory" vLLM logs for Llama-3.1-8B on an
 * RTX 3090 (issue #10517; CUDA context and cuBLAS workspace). Under TP, NCCL and custom all-reduce buffers:
 * BLIS's planner constant 0.6 GiB per GPU (serving-model.md §2.3, `sim/latency/kv_capacity.go`).
 */
export const NON_TORCH_BYTES_SINGLE_GPU = 0.35 * GiB;
export const NON_TORCH_BYTES_PER_GPU_UNDER_TP = 0.6 * GiB;

/**
 * Peak PyTorch memory above the weights on one rank during vLLM's profile run. `quantisedInputs`: the GEMMs run
 * W8A8 (fp8 weights on FP8 tensor cores), so each linear layer's input is first quantised to one byte per
 * element (vLLM's scaled_fp8_quant): the widest such input (hidden, or the down projection's ffn / TP) is alive
 * next to the 16-bit activation it was made from.
 */
export function activationBytesPerGpu(model: ModelArchitecture, tensorParallel: number, maxNumBatchedTokens: number, maxNumSeqs: number, quantisedInputs = false): number {
  const mlpElements = (3 * model.ffn * model.expertsPerToken) / tensorParallel;
  const perToken = ACTIVATION_FIT * ACTIVATION_ELEMENT_BYTES * (mlpElements + 3 * model.hidden);
  const sampledSequences = Math.min(maxNumSeqs, maxNumBatchedTokens);
  const fp8Inputs = quantisedInputs ? maxNumBatchedTokens * FP8_INPUT_BYTES * Math.max(model.hidden, (model.ffn * model.expertsPerToken) / tensorParallel) : 0;
  return maxNumBatchedTokens * perToken + sampledSequences * model.vocab * LOGIT_BYTES + fp8Inputs;
}

const FP8_INPUT_BYTES = 1;

/**
 * Does vLLM quantise the activations (W8A8) for these weights on this GPU? fp8 weights do on GPUs with FP8
 * tensor cores; without them (A100, A10G, A40) vLLM runs fp8 weights through the FP8 Marlin kernel as W8A16,
 * and int4 (AWQ/GPTQ) through the Marlin kernels, which dequantise tiles in registers: no workspace beyond a
 * few KiB of locks, left out.
 */
export function quantisesActivations(weightDtype: WeightDtype, gpu: GpuSpec): boolean {
  return weightDtype === 'fp8' && gpu.fp8Flops > 0;
}

/**
 * vLLM's default CUDA-graph capture sizes (vllm/config/vllm.py, v0.11 on): 1, 2, 4, then every 8 below 256,
 * then every 16 up to max_cudagraph_capture_size = min(2 × max_num_seqs, 512), never above
 * max_num_batched_tokens.
 */
export function cudaGraphCaptureSizes(maxNumSeqs: number, maxNumBatchedTokens: number): number[] {
  const largest = Math.min(2 * maxNumSeqs, MAX_CUDA_GRAPH_CAPTURE_SIZE, maxNumBatchedTokens);
  const sizes = [1, 2, 4];
  for (let n = 8; n < 256; n += 8) sizes.push(n);
  for (let n = 256; n <= MAX_CUDA_GRAPH_CAPTURE_SIZE; n += 16) sizes.push(n);
  return sizes.filter((n) => n <= largest);
}

const MAX_CUDA_GRAPH_CAPTURE_SIZE = 512;

/**
 * Device memory of one piecewise CUDA graph of one layer (kernel nodes, their parameters, the graph exec).
 * UNCONFIRMED, fitted on one log: vLLM 0.9.2, Llama-3.1-8B on one H100, "Graph capturing finished in 12 secs,
 * took 0.52 GiB" with 67 capture sizes (1, 2, 4, then every 8 up to 512) of 32 layers each, after the pool.
 */
export const CUDA_GRAPH_BYTES_PER_LAYER_GRAPH = 230 * 1024;

/**
 * What capturing the CUDA graphs takes on one rank, as vLLM's "Graph capturing finished in N secs, took X GiB"
 * line measures it (free memory before − after): one graph per capture size and layer (piecewise capture splits
 * at attention), and the graphs' shared memory pool, which holds the intermediate tensors of the largest batch.
 */
export function cudaGraphBytesPerGpu(model: ModelArchitecture, tensorParallel: number, captureSizes: readonly number[]): number {
  if (captureSizes.length === 0) return 0;
  const largest = Math.max(...captureSizes);
  const mlpElements = (3 * model.ffn * model.expertsPerToken) / tensorParallel;
  const pool = largest * ACTIVATION_FIT * ACTIVATION_ELEMENT_BYTES * (mlpElements + 3 * model.hidden);
  return captureSizes.length * model.layers * CUDA_GRAPH_BYTES_PER_LAYER_GRAPH + pool;
}

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
  /** vLLM's --max-num-batched-tokens: the tokens of the profile run that sizes the activation reserve. */
  readonly maxNumBatchedTokens?: number;
  /** vLLM's --max-num-seqs: the sequences the profile run samples. */
  readonly maxNumSeqs?: number;
  /** When given, the cache must hold one sequence of this length (vLLM refuses to start otherwise). */
  readonly maxModelLen?: number;
  /** vLLM's --enforce-eager: no CUDA graphs are captured. */
  readonly enforceEager?: boolean;
  /**
   * VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1: the profile estimates the graphs' memory and takes it out of the
   * KV budget. Off by default (as in vLLM): the graphs are captured after the KV cache is allocated, on top of
   * gpu_memory_utilization.
   */
  readonly cudaGraphsInKvBudget?: boolean;
}

export interface KvCapacity {
  readonly weightBytes: number;
  readonly weightBytesPerGpu: number;
  /** memory × utilisation × TP. */
  readonly budgetBytes: number;
  /** The profile run's activation peak, summed over the replica's GPUs. */
  readonly activationBytes: number;
  /** Memory outside PyTorch, summed over the replica's GPUs. */
  readonly nonTorchBytes: number;
  /** CUDA-graph capture, summed over the replica's GPUs (0 under enforceEager). */
  readonly cudaGraphBytes: number;
  /** Whether cudaGraphBytes came out of the KV budget (cudaGraphsInKvBudget) or sits above it. */
  readonly cudaGraphsInKvBudget: boolean;
  /**
   * Device memory left on each GPU once the server runs: total − (budget, or what it holds beyond) − graphs
   * captured above the budget. Negative: the capture runs out of memory (lower gpuMemoryUtilization).
   */
  readonly headroomBytesPerGpu: number;
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
 * vLLM's profile (see ACTIVATION_FIT): KV = memory·utilisation·TP − weights − activation peak of the profile run
 * − non-torch memory; blocks = floor(KV / (bytes per token × block size)). Throws an InputError when the model does
 * not fit (assertFits) or a measured count is not a positive integer. The tensorParallel must shard the model
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
    cudaGraphBytes: parts.cudaGraphBytes,
    cudaGraphsInKvBudget: config.cudaGraphsInKvBudget === true,
    headroomBytesPerGpu: config.gpu.memoryBytes - parts.budgetBytes / config.tensorParallel - (config.cudaGraphsInKvBudget === true ? 0 : parts.cudaGraphBytes / config.tensorParallel),
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
  readonly cudaGraphBytes: number;
  readonly freeBytes: number;
  readonly kvBytesPerToken: number;
}

function memoryParts(config: ReplicaMemoryConfig): MemoryParts {
  const { model, gpu, tensorParallel: tp } = config;
  const utilisation = gpuMemoryUtilization(config);
  const weights = weightBytes(model, config.weightDtype);
  const budgetBytes = gpu.memoryBytes * utilisation * tp;
  const tokens = profileTokens(config);
  const sequences = profileSequences(config);
  const activationBytes = tp * activationBytesPerGpu(model, tp, tokens, sequences, quantisesActivations(config.weightDtype, gpu));
  const nonTorchBytes = tp === 1 ? NON_TORCH_BYTES_SINGLE_GPU : NON_TORCH_BYTES_PER_GPU_UNDER_TP * tp;
  const cudaGraphBytes = config.enforceEager === true ? 0 : tp * cudaGraphBytesPerGpu(model, tp, cudaGraphCaptureSizes(sequences, tokens));
  const graphsInBudget = config.cudaGraphsInKvBudget === true ? cudaGraphBytes : 0;
  return {
    weightBytes: weights,
    budgetBytes,
    activationBytes,
    nonTorchBytes,
    cudaGraphBytes,
    freeBytes: budgetBytes - weights - activationBytes - nonTorchBytes - graphsInBudget,
    kvBytesPerToken: kvBytesPerTokenPerReplica(model, config.kvDtype, tp),
  };
}

function profileTokens(config: ReplicaMemoryConfig): number {
  return wholeAtLeastOne(config.maxNumBatchedTokens ?? DEFAULT_MAX_NUM_BATCHED_TOKENS, 'maxNumBatchedTokens');
}

function profileSequences(config: ReplicaMemoryConfig): number {
  return wholeAtLeastOne(config.maxNumSeqs ?? DEFAULT_MAX_NUM_SEQS, 'maxNumSeqs');
}

function wholeAtLeastOne(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 1) throw new InputError(`${JSON.stringify(v)} is not a count; expected a whole number ≥ 1`, field);
  return v;
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
