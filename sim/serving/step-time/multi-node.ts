import { ACTIVATION_BYTES, type ServingDtypes } from '../catalog/dtypes.js';
import type { GpuSpec } from '../catalog/gpus.js';
import { validateTensorParallel, type ModelArchitecture } from '../catalog/models.js';
import { InputError } from '../../errors.js';
import { DEFAULT_KERNEL_PARAMS, RooflineStepTime, type RooflineOverrides } from './roofline.js';
import type { BatchShape, StepTimeModel } from './types.js';

/**
 * The inter-node network of a GPU node pool, per GPU (one NIC per GPU, the rail-optimised layout of DGX/HGX
 * pods). Presets: InfiniBand NDR and RoCE at 400 Gb/s per GPU (50 GB/s), a 100 GbE fallback. Efficiencies and
 * latencies are estimates for NCCL over these links (NCCL's own tests reach ~0.8 of NDR line rate for large
 * messages; small messages cost a few µs per hop), not fitted here.
 */
export interface NodeNetwork {
  readonly name: string;
  readonly bytesPerSecPerGpu: number;
  /** Latency of one ring step of a collective between two nodes. */
  readonly latencySec: number;
  /** Fraction of the line rate a collective reaches. */
  readonly efficiency: number;
  /** A point-to-point send/recv between two nodes (a pipeline stage's hop): its fixed cost, launch included. */
  readonly sendRecvLatencySec: number;
  /** Fraction of the line rate a point-to-point transfer reaches. */
  readonly sendRecvEfficiency: number;
}

/**
 * InfiniBand NDR's send/recv is fitted on Vidur's DGX-H100 cross-node send/recv profile (two ranks on two nodes,
 * 2 KB to 64 MB; the fit half by key hash, least squares in log error: `npm run accuracy -- --fit`): 20 µs +
 * bytes / (0.72 × 50 GB/s), held-out median error 2.6 % against 12.5 % for the unfitted 5 µs and 0.8
 * (docs/accuracy.md). The collective constants are estimates (no public profile of multi-node collectives on
 * these networks is available here); RoCE's and 100 GbE's send/recv scale the fitted NDR figures by the ratios
 * of their collective estimates to NDR's.
 */
export const NODE_NETWORKS: ReadonlyMap<string, NodeNetwork> = new Map(
  [
    { name: 'infiniband-ndr', bytesPerSecPerGpu: 50e9, latencySec: 5e-6, efficiency: 0.8, sendRecvLatencySec: 20e-6, sendRecvEfficiency: 0.72 },
    { name: 'roce-400g', bytesPerSecPerGpu: 50e9, latencySec: 8e-6, efficiency: 0.7, sendRecvLatencySec: 23e-6, sendRecvEfficiency: 0.63 },
    { name: 'ethernet-100g', bytesPerSecPerGpu: 12.5e9, latencySec: 20e-6, efficiency: 0.6, sendRecvLatencySec: 35e-6, sendRecvEfficiency: 0.54 },
  ].map((n) => [n.name, n]),
);

/** Seconds of one send/recv of `bytes` between two nodes. */
export function sendRecvSeconds(bytes: number, network: NodeNetwork): number {
  return network.sendRecvLatencySec + bytes / (network.bytesPerSecPerGpu * network.sendRecvEfficiency);
}

export function resolveNetwork(name: string, path: string): NodeNetwork {
  const n = NODE_NETWORKS.get(name);
  if (!n) throw new InputError(`"${name}" is not a node network; expected one of ${[...NODE_NETWORKS.keys()].join(', ')}`, path);
  return n;
}

/** How a replica spans nodes: pipeline stages (PP = nodes, TP inside a node) or one tensor-parallel group over all. */
export type MultiNodeLayout = 'pipeline' | 'tensor';

export interface MultiNodeShape {
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly layout: MultiNodeLayout;
  readonly network: NodeNetwork;
}

/**
 * Pipeline parallelism across nodes, tensor parallelism inside each: each node holds ⌈layers / nodes⌉ layers.
 * The replica engine runs one step at a time, so a step splits its batch into m = min(nodes, sequences)
 * micro-batches and pays the pipeline's fill and drain: (m + p − 1) stage times of one micro-batch, the bubble
 * being (p − 1) / (m + p − 1) of it, plus p − 1 hops of the micro-batch's activations (tokens × hidden × 2 bytes)
 * over one GPU's NIC. The engine's CPU overhead counts once per step. One sequence alone gets no overlap at all:
 * p stage times, the price of a model too big for one node.
 */
export class PipelineParallelStepTime implements StepTimeModel {
  readonly name: string;
  private readonly stage: RooflineStepTime;
  private readonly p: number;
  private readonly hopSecPerToken: number;
  private readonly hopLatencySec: number;
  private readonly micro: BatchShape = { prefillTokens: 0, prefillSeqs: 0, prefillAttentionPairs: 0, prefillCachedTokens: 0, decodeSeqs: 0, decodeContextTokens: 0 };

  constructor(model: ModelArchitecture, gpu: GpuSpec, shape: MultiNodeShape, dtypes: ServingDtypes, overrides: RooflineOverrides = {}) {
    validateTensorParallel(model, shape.gpusPerNode, 'gpusPerNode');
    this.p = shape.nodes;
    this.stage = new RooflineStepTime({ ...model, layers: Math.ceil(model.layers / shape.nodes) }, gpu, shape.gpusPerNode, dtypes, overrides);
    this.hopSecPerToken = (model.hidden * ACTIVATION_BYTES) / (shape.network.bytesPerSecPerGpu * shape.network.sendRecvEfficiency);
    this.hopLatencySec = shape.network.sendRecvLatencySec;
    this.name = `pipeline(${shape.nodes} nodes × TP ${shape.gpusPerNode} ${gpu.name}, ${shape.network.name})`;
  }

  /** Share of the step's GPU time the stages sit idle for a batch of `sequences`. */
  bubbleFraction(sequences: number): number {
    const m = this.microbatches(sequences);
    return (this.p - 1) / (m + this.p - 1);
  }

  stepSeconds(b: BatchShape): number {
    const sequences = b.prefillSeqs + b.decodeSeqs;
    if (sequences === 0) return 0;
    const m = this.microbatches(sequences);
    const micro = this.micro;
    micro.prefillTokens = b.prefillTokens / m;
    micro.prefillSeqs = b.prefillSeqs / m;
    micro.prefillAttentionPairs = b.prefillAttentionPairs / m;
    micro.prefillCachedTokens = b.prefillCachedTokens / m;
    micro.decodeSeqs = b.decodeSeqs / m;
    micro.decodeContextTokens = b.decodeContextTokens / m;
    const tokens = (b.prefillTokens + b.decodeSeqs) / m;
    const hop = this.hopLatencySec + tokens * this.hopSecPerToken;
    return this.overheadSeconds(b) + (m + this.p - 1) * this.stage.gpuSeconds(micro) + (this.p - 1) * hop;
  }

  overheadSeconds(b: BatchShape): number {
    return this.stage.overheadSeconds(b);
  }

  private microbatches(sequences: number): number {
    return Math.max(1, Math.min(this.p, sequences));
  }
}

/**
 * One tensor-parallel group over every GPU of every node (TP = nodes × gpusPerNode). The roofline prices the
 * all-reduces over NVLink (the 2 (g − 1) ring steps inside a node); across nodes a hierarchical all-reduce adds, per all-reduce (2 per layer), a ring over
 * the nodes of each GPU's 1 / gpusPerNode share of the activations: 2 (n − 1) / n of it over one NIC, plus
 * 2 (n − 1) network latencies. At decode's small messages the latencies dominate: 126 layers × 2 × 2 × 5 µs ≈ 2.5 ms
 * a step for 405B on two nodes, which is why pipeline layouts often win at low batch.
 */
export class CrossNodeTensorParallelStepTime implements StepTimeModel {
  readonly name: string;
  private readonly inner: RooflineStepTime;
  private readonly fixedSec: number;
  private readonly secPerToken: number;

  constructor(model: ModelArchitecture, gpu: GpuSpec, shape: MultiNodeShape, dtypes: ServingDtypes, overrides: RooflineOverrides = {}) {
    const tp = shape.nodes * shape.gpusPerNode;
    validateTensorParallel(model, tp, 'nodes × gpusPerNode');
    const n = shape.nodes;
    const g = shape.gpusPerNode;
    // The roofline's ring has 2 (TP − 1) NVLink steps; the hierarchical all-reduce has 2 (g − 1) inside the node.
    const nvlinkStep = overrides.allReduceStepLatencySec ?? DEFAULT_KERNEL_PARAMS.allReduceStepLatencySec[gpu.interconnect.kind];
    this.inner = new RooflineStepTime(model, gpu, tp, dtypes, { ...overrides, allReduceStepLatencySec: (nvlinkStep * (g - 1)) / (tp - 1) });
    const allReduces = 2 * model.layers;
    const net = shape.network;
    this.fixedSec = n > 1 ? allReduces * 2 * (n - 1) * net.latencySec : 0;
    this.secPerToken =
      n > 1 ? (allReduces * ((2 * (n - 1)) / n) * ((model.hidden * ACTIVATION_BYTES) / shape.gpusPerNode)) / (net.bytesPerSecPerGpu * net.efficiency) : 0;
    this.name = `tensor-parallel(${n} nodes × ${shape.gpusPerNode} ${gpu.name} = TP ${tp}, ${net.name})`;
  }

  stepSeconds(b: BatchShape): number {
    const tokens = b.prefillTokens + b.decodeSeqs;
    if (tokens === 0) return 0;
    return this.inner.stepSeconds(b) + this.fixedSec + tokens * this.secPerToken;
  }

  overheadSeconds(b: BatchShape): number {
    return this.inner.overheadSeconds(b);
  }
}

export function multiNodeStepTime(model: ModelArchitecture, gpu: GpuSpec, shape: MultiNodeShape, dtypes: ServingDtypes, overrides: RooflineOverrides = {}): StepTimeModel {
  if (!Number.isInteger(shape.nodes) || shape.nodes < 1) throw new InputError(`nodes is ${JSON.stringify(shape.nodes)}; expected a positive integer`, 'nodes');
  return shape.layout === 'pipeline'
    ? new PipelineParallelStepTime(model, gpu, shape, dtypes, overrides)
    : new CrossNodeTensorParallelStepTime(model, gpu, shape, dtypes, overrides);
}

/** The step time of one replica of `size` pods × `gpusPerPod` GPUs: the roofline on one node, else `layout` across nodes. */
export function groupStepTime(
  model: ModelArchitecture,
  gpu: GpuSpec,
  group: { readonly size: number; readonly gpusPerPod: number },
  layout: MultiNodeLayout,
  network: NodeNetwork,
  dtypes: ServingDtypes,
): StepTimeModel {
  if (group.size === 1) {
    validateTensorParallel(model, group.gpusPerPod, 'gpusPerPod');
    return new RooflineStepTime(model, gpu, group.gpusPerPod, dtypes);
  }
  return multiNodeStepTime(model, gpu, { nodes: group.size, gpusPerNode: group.gpusPerPod, layout, network }, dtypes);
}
