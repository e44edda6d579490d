import { z } from 'zod';
import { ACTIVATION_BYTES, UNQUANTISED_BYTES, WEIGHT_DTYPE_BYTES, type ServingDtypes } from '../catalog/dtypes.js';
import type { GpuSpec, InterconnectKind } from '../catalog/gpus.js';
import { parameterCounts, type ModelArchitecture } from '../catalog/models.js';
import { kvBytesPerTokenPerGpu, kvHeadsPerGpu } from '../memory.js';
import type { BatchShape, StepTimeModel } from './types.js';

/** GPU-side constants of the roofline not tied to one GPU's datasheet. */
export interface KernelParams {
  /** Fixed time of one kernel beyond its roofline inside a CUDA graph (ramp-up, tail wave, gap to the next). */
  readonly kernelLatencySec: number;
  /** Fraction of the link bandwidth an NCCL ring all-reduce reaches (bus bandwidth / link bandwidth). */
  readonly allReduceEfficiency: Readonly<Record<InterconnectKind, number>>;
  /** Latency of one all-reduce per ring step (2 (TP − 1) steps per all-reduce). */
  readonly allReduceStepLatencySec: Readonly<Record<InterconnectKind, number>>;
}

/**
 * Fitted on the fit half of Vidur's profiles (`npm run accuracy -- --fit`, docs/accuracy.md):
 * - an eagerly launched GEMM costs its roofline + 8.8 µs (CUDA events around each op); of that, the launch
 *   (DEFAULT_OVERHEAD_PARAMS.eagerLaunchSec, 6 µs) is gone in a CUDA graph, leaving ~2.8 µs per kernel;
 * - all-reduce over NVLink (DGX A100 NVSwitch, A100/H100 NVLink-bridge pairs): 0.59 of the link, 8.7 µs per
 *   ring step; over PCIe Gen4 with peer-to-peer (the pairwise nodes at TP 4): 0.89 of the link, 6.3 µs per step.
 *   The H100 DGX all-reduce profile is held out (accuracy/vidur.ts).
 */
export const DEFAULT_KERNEL_PARAMS: KernelParams = {
  kernelLatencySec: 2.8e-6,
  allReduceEfficiency: { nvlink: 0.59, pcie: 0.74 },
  allReduceStepLatencySec: { nvlink: 8.7e-6, pcie: 7.2e-6 },
};

/**
 * The engine's CPU-side cost of a step, apart from GPU time. The step's wall time is
 *   stepOverhead + perSequence × sequences + perPrefillChunk × prefill chunks + max(GPU time, launches)
 * where launches = layers × kernelsPerLayer × launchSec in eager mode and 0 with CUDA graphs (vLLM replays
 * the whole forward pass as one graph). Sources:
 * - per sequence 4 µs: BLIS's trained-physics fit of vLLM 0.15 (β6 ≈ 4 µs per request, serving-model.md §2.4);
 * - per step 0.9 ms (CUDA graphs): our H200 measurement of Llama-3-8B decode at batch 1 (serving-model.md,
 *   introduction: a fixed ~1.5-2 ms), less the GPU-side fixed cost this model already counts at that batch
 *   (lm_head, kernel latencies: ~0.8 ms); BLIS's β7 + 32 × β5 ≈ 1.15 ms agrees;
 * - per prefill chunk 20 µs: block-table and prefix-cache hash bookkeeping, a few per-sequence costs (an
 *   estimate: no public fit separates it);
 * - eager: each op's launch costs 6 µs (Vidur's eagerly timed GEMMs fit 8.8 µs per op, of which ~2.8 µs
 *   remain inside a graph), about 12 ops a layer unfused; the step's Python costs more without graphs
 *   (1.2 ms, an estimate).
 */
export interface OverheadParams {
  readonly cudaGraphs: boolean;
  readonly stepOverheadSec: number;
  readonly eagerStepOverheadSec: number;
  readonly sequenceOverheadSec: number;
  readonly prefillChunkOverheadSec: number;
  readonly eagerLaunchSec: number;
  readonly eagerKernelsPerLayer: number;
}

export const DEFAULT_OVERHEAD_PARAMS: OverheadParams = {
  cudaGraphs: true,
  stepOverheadSec: 0.9e-3,
  eagerStepOverheadSec: 1.2e-3,
  sequenceOverheadSec: 4e-6,
  prefillChunkOverheadSec: 20e-6,
  eagerLaunchSec: 6e-6,
  eagerKernelsPerLayer: 12,
};

const fraction = z.number().gt(0).max(1);
const seconds = z.number().min(0);

/** Scenario overrides of the roofline; omitted fields keep the GPU's efficiencies and the fitted defaults. */
export const zRooflineParams = z.strictObject({
  hbmEfficiency: fraction.optional().meta({ description: 'fraction of peak memory bandwidth reached; default: the GPU\'s' }),
  matmulEfficiency: fraction.optional().meta({ description: 'fraction of peak tensor-core FLOP/s reached; default: the GPU\'s' }),
  interconnectEfficiency: fraction.optional().meta({ description: 'fraction of the link bandwidth an all-reduce reaches' }),
  allReduceStepLatencySec: seconds.optional().meta({ description: 'latency per ring step of an all-reduce' }),
  kernelLatencySec: seconds.optional(),
  cudaGraphs: z.boolean().optional().meta({ description: 'vLLM runs with CUDA graphs (default) or --enforce-eager (false)' }),
  stepOverheadSec: seconds.optional().meta({ description: 'CPU cost per step (CUDA graphs; eagerStepOverheadSec without)' }),
  eagerStepOverheadSec: seconds.optional(),
  sequenceOverheadSec: seconds.optional().meta({ description: 'CPU cost per scheduled sequence per step' }),
  prefillChunkOverheadSec: seconds.optional().meta({ description: 'CPU cost per prefill chunk per step' }),
  eagerLaunchSec: seconds.optional(),
});
export type RooflineOverrides = z.output<typeof zRooflineParams>;

/** GEMM groups of a layer: QKV projection, output projection, MLP gate+up, MLP down (dense MLP only). */
const DENSE_GROUPS = 4;

/**
 * A per-operator roofline of one engine step on one replica (all TP ranks in lockstep: one rank's time is the
 * step's). Each operator costs max(FLOPs / matmul rate, bytes / memory rate) plus a kernel latency, and the
 * operators run one after another, so the step's GPU time is their sum:
 * - linear layers, per GEMM group and layer: 2 × its rank's parameters per token against its weights (at the
 *   weight dtype) plus the activations it reads and writes; lm_head only for the sampled positions, at 16 bits;
 * - MoE experts: the FLOPs of the routed experts against the bytes of the distinct experts the step's tokens
 *   reach (expected count for uniform routing);
 * - attention: decode reads each sequence's KV; prefill computes the causal query-key pairs
 *   (4 × heads × headDim FLOPs each: QKᵀ and AV) and reads the cached prefix's KV; at the BF16 rate;
 * - norms, residual adds, rotary embedding and the MLP activation: memory-bound element-wise passes;
 * - tensor parallelism: 2 all-reduces per layer of tokens × hidden 16-bit activations, as a ring over the
 *   GPU's link (NVLink or PCIe), each 2 (TP − 1) steps of latency plus 2 (TP − 1) / TP of the payload.
 * The GPU's `efficiency` gives the achieved fractions of peak; the step adds the engine overhead
 * (OverheadParams). Every constant is computed here once: stepSeconds allocates nothing.
 */
export class RooflineStepTime implements StepTimeModel {
  readonly name: string;
  /** Per dense GEMM group, summed over layers: seconds of FLOPs per token, of weights, of activations per token. */
  private readonly gemmComputeSec = new Float64Array(DENSE_GROUPS);
  private readonly gemmWeightSec = new Float64Array(DENSE_GROUPS);
  private readonly gemmActivationSec = new Float64Array(DENSE_GROUPS);
  private readonly gemmLatencySec: number;
  private readonly lmHeadComputeSec: number;
  private readonly lmHeadWeightSec: number;
  private readonly lmHeadLatencySec: number;
  /** MoE, summed over layers: FLOPs of one token's routed experts; bytes of one expert; activations per token. */
  private readonly expertComputeSecPerToken: number;
  private readonly expertWeightSec: number;
  private readonly expertActivationSecPerToken: number;
  private readonly experts: number;
  /** Probability that one token does not route to a given expert. */
  private readonly missProbability: number;
  private readonly attentionComputeSecPerPair: number;
  private readonly kvSecPerToken: number;
  private readonly attentionLatencySec: number;
  private readonly elementwiseSecPerToken: number;
  private readonly elementwiseLatencySec: number;
  private readonly allReduceFixedSec: number;
  private readonly allReduceSecPerToken: number;
  private readonly fixedOverheadSec: number;
  private readonly sequenceOverheadSec: number;
  private readonly chunkOverheadSec: number;
  private readonly launchSec: number;
  /** Expert reads for the last token count asked: a decode run repeats it every step, and Math.pow is dear. */
  private memoTokens = -1;
  private memoExpertSec = 0;

  constructor(model: ModelArchitecture, gpu: GpuSpec, tensorParallel: number, dtypes: ServingDtypes, overrides: RooflineOverrides = {}) {
    const tp = tensorParallel;
    const kernel = DEFAULT_KERNEL_PARAMS;
    const o: OverheadParams = { ...DEFAULT_OVERHEAD_PARAMS, ...definedOnly(overrides) };
    this.name = `roofline(${model.name}, ${tp} × ${gpu.name}, ${dtypes.weightDtype}/${dtypes.kvDtype} KV${o.cudaGraphs ? '' : ', eager'})`;

    const matmulEfficiency = overrides.matmulEfficiency ?? gpu.efficiency.matmul;
    const hbmEfficiency = overrides.hbmEfficiency ?? gpu.efficiency.hbm;
    const fp8Matmuls = dtypes.weightDtype === 'fp8' && gpu.fp8Flops > 0;
    const matmulRate = (fp8Matmuls ? gpu.fp8Flops : gpu.bf16Flops) * matmulEfficiency;
    const bf16Rate = gpu.bf16Flops * matmulEfficiency;
    const memoryRate = gpu.hbmBytesPerSec * hbmEfficiency;
    const weightBytes = WEIGHT_DTYPE_BYTES[dtypes.weightDtype];
    const latency = overrides.kernelLatencySec ?? kernel.kernelLatencySec;
    const L = model.layers;

    const qOut = (model.heads / tp) * model.headDim;
    const kvOut = kvHeadsPerGpu(model, tp) * model.headDim;
    const ffn = model.ffn / tp;
    const h = model.hidden;
    // [inputs, outputs] of each dense group on one rank.
    const shapes: readonly (readonly [number, number])[] = [
      [h, qOut + 2 * kvOut],
      [qOut, h],
      [h, 2 * ffn],
      [ffn, h],
    ];
    const dense = model.experts === 1;
    for (let g = 0; g < DENSE_GROUPS; g++) {
      if (!dense && g >= 2) continue;
      const [inputs, outputs] = shapes[g];
      this.gemmComputeSec[g] = (L * 2 * inputs * outputs) / matmulRate;
      this.gemmWeightSec[g] = (L * inputs * outputs * weightBytes) / memoryRate;
      this.gemmActivationSec[g] = (L * (inputs + outputs) * ACTIVATION_BYTES) / memoryRate;
    }
    this.gemmLatencySec = L * 4 * latency;
    this.lmHeadComputeSec = (2 * model.vocab * h) / tp / bf16Rate;
    this.lmHeadWeightSec = (model.vocab * h * UNQUANTISED_BYTES) / tp / memoryRate;
    this.lmHeadLatencySec = latency;

    const expertParams = 3 * h * ffn;
    this.expertComputeSecPerToken = dense ? 0 : (L * model.expertsPerToken * 2 * expertParams) / matmulRate;
    this.expertWeightSec = dense ? 0 : (L * expertParams * weightBytes) / memoryRate;
    this.expertActivationSecPerToken = dense ? 0 : (L * model.expertsPerToken * (2 * h + 3 * ffn) * ACTIVATION_BYTES) / memoryRate;
    this.experts = model.experts;
    this.missProbability = 1 - model.expertsPerToken / model.experts;

    this.attentionComputeSecPerPair = (L * 4 * qOut) / bf16Rate;
    this.kvSecPerToken = kvBytesPerTokenPerGpu(model, dtypes.kvDtype, tp) / memoryRate;
    this.attentionLatencySec = L * latency;

    // Per layer and token: two fused add+RMSNorms (read x and the residual, write both), rotary on q and k
    // (read, write), SiLU-and-multiply (read gate and up, write one); MoE applies the last per routed expert.
    const activationWidth = dense ? 3 * ffn : 3 * ffn * model.expertsPerToken;
    this.elementwiseSecPerToken = (L * (8 * h + 2 * (qOut + kvOut) + activationWidth) * ACTIVATION_BYTES) / memoryRate;
    this.elementwiseLatencySec = L * 3 * latency;

    const link = gpu.interconnect;
    const linkRate = link.bytesPerSec * (overrides.interconnectEfficiency ?? kernel.allReduceEfficiency[link.kind]);
    const allReduces = 2 * L;
    const ringSteps = 2 * (tp - 1);
    this.allReduceFixedSec = tp > 1 ? allReduces * ringSteps * (overrides.allReduceStepLatencySec ?? kernel.allReduceStepLatencySec[link.kind]) : 0;
    this.allReduceSecPerToken = tp > 1 ? (allReduces * (ringSteps / tp) * h * ACTIVATION_BYTES) / linkRate : 0;

    this.fixedOverheadSec = o.cudaGraphs ? o.stepOverheadSec : o.eagerStepOverheadSec;
    this.sequenceOverheadSec = o.sequenceOverheadSec;
    this.chunkOverheadSec = o.prefillChunkOverheadSec;
    this.launchSec = o.cudaGraphs ? 0 : L * o.eagerKernelsPerLayer * o.eagerLaunchSec;
  }

  stepSeconds(b: BatchShape): number {
    const tokens = b.prefillTokens + b.decodeSeqs;
    if (tokens === 0) return 0;
    const gpu = this.gpuSeconds(b);
    return this.cpuSeconds(b) + (gpu > this.launchSec ? gpu : this.launchSec);
  }

  overheadSeconds(b: BatchShape): number {
    if (b.prefillTokens + b.decodeSeqs === 0) return 0;
    return this.stepSeconds(b) - this.gpuSeconds(b);
  }

  /** The GPU's busy time for the step: the sum of the operators' rooflines. */
  gpuSeconds(b: BatchShape): number {
    const tokens = b.prefillTokens + b.decodeSeqs;
    if (tokens === 0) return 0;
    let sec = this.gemmLatencySec + this.attentionLatencySec + this.elementwiseLatencySec + this.allReduceFixedSec;
    for (let g = 0; g < DENSE_GROUPS; g++) {
      const compute = tokens * this.gemmComputeSec[g];
      const memory = this.gemmWeightSec[g] + tokens * this.gemmActivationSec[g];
      sec += compute > memory ? compute : memory;
    }
    const sampled = b.prefillSeqs + b.decodeSeqs;
    const lmCompute = sampled * this.lmHeadComputeSec;
    sec += this.lmHeadLatencySec + (lmCompute > this.lmHeadWeightSec ? lmCompute : this.lmHeadWeightSec);
    if (this.experts > 1) sec += this.expertSeconds(tokens);

    const decodeCompute = b.decodeContextTokens * this.attentionComputeSecPerPair;
    const decodeMemory = (b.decodeContextTokens + b.decodeSeqs) * this.kvSecPerToken;
    sec += decodeCompute > decodeMemory ? decodeCompute : decodeMemory;
    const prefillCompute = b.prefillAttentionPairs * this.attentionComputeSecPerPair;
    const prefillMemory = (b.prefillCachedTokens + b.prefillTokens) * this.kvSecPerToken;
    sec += prefillCompute > prefillMemory ? prefillCompute : prefillMemory;

    return sec + tokens * (this.elementwiseSecPerToken + this.allReduceSecPerToken);
  }

  private cpuSeconds(b: BatchShape): number {
    return this.fixedOverheadSec + (b.prefillSeqs + b.decodeSeqs) * this.sequenceOverheadSec + b.prefillSeqs * this.chunkOverheadSec;
  }

  private expertSeconds(tokens: number): number {
    if (tokens !== this.memoTokens) {
      const expertsRead = this.experts * (1 - Math.pow(this.missProbability, tokens));
      const compute = tokens * this.expertComputeSecPerToken;
      const memory = expertsRead * this.expertWeightSec + tokens * this.expertActivationSecPerToken;
      this.memoExpertSec = compute > memory ? compute : memory;
      this.memoTokens = tokens;
    }
    return this.memoExpertSec;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * One linear layer (GEMM) on one rank, as RooflineStepTime costs each of its GEMM groups: max(FLOPs / matmul
 * rate, (weights + activations in and out) / memory rate) plus a kernel latency. For the operator-level
 * accuracy checks (accuracy/vidur.ts).
 */
export function gemmSeconds(tokens: number, inputs: number, outputs: number, weightBytes: number, matmulRate: number, memoryRate: number, kernelLatencySec: number): number {
  const compute = (2 * tokens * inputs * outputs) / matmulRate;
  const memory = (inputs * outputs * weightBytes + tokens * (inputs + outputs) * ACTIVATION_BYTES) / memoryRate;
  return kernelLatencySec + (compute > memory ? compute : memory);
}

/** One ring all-reduce of `bytes` over `tp` GPUs on `kind` links, as RooflineStepTime costs it. */
export function allReduceSeconds(bytes: number, tp: number, linkBytesPerSec: number, kind: InterconnectKind, params: Pick<KernelParams, 'allReduceEfficiency' | 'allReduceStepLatencySec'> = DEFAULT_KERNEL_PARAMS): number {
  if (tp <= 1) return 0;
  const steps = 2 * (tp - 1);
  return steps * params.allReduceStepLatencySec[kind] + ((steps / tp) * bytes) / (linkBytesPerSec * params.allReduceEfficiency[kind]);
}
