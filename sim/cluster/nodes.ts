import { InputError } from '../errors.js';

/** A node pool (a cloud node group / Karpenter NodePool): identical GPU hosts. Sizes in bytes. */
export interface NodePoolSpec {
  readonly name: string;
  /** GPU catalog name (sim/serving catalog), e.g. 'H100-80GB'. */
  readonly gpu: string;
  readonly gpusPerNode: number;
  /** Nodes at t=0 (Ready, GPUs allocatable). */
  readonly nodes: number;
  /** The cluster autoscaler never shrinks the pool below this. */
  readonly minNodes: number;
  /** The cluster autoscaler never grows the pool above this (nodes still provisioning included). */
  readonly maxNodes: number;
  readonly hostMemory: number;
  /** nodefs: the kubelet's root/ephemeral filesystem holding images and emptyDirs. */
  readonly ephemeralDisk: number;
  readonly labels: Readonly<Record<string, string>>;
  /** The cloud has no GPUs of this kind for a while: the autoscaler's VM requests fail (absent: never). */
  readonly stockout?: Stockout;
}

/** When a pool's VM requests fail for want of cloud capacity (a GCE ZONE_RESOURCE_POOL_EXHAUSTED, an EC2 InsufficientInstanceCapacity). */
export interface Stockout {
  /** Chance that any one VM request fails. */
  readonly probability: number;
  /** Times [from, to) during which every VM request fails, seconds. */
  readonly windows: readonly { readonly from: number; readonly to: number }[];
}

const GiB = 1024 ** 3;

/**
 * Host memory per GPU of the usual 8-GPU cloud hosts, by GPU family (matched on the catalog name):
 * H100/H200/B200: 2 TiB per 8 GPUs (AWS p5.48xlarge, p5en, p6-b200; GCP a3-highgpu-8g has 1.87 TB);
 * A100: 1,152 GiB per 8 (p4d/p4de); L4, L40S, A10G: 768 GiB per 8 (g6.48xlarge, g6e.48xlarge, g5.48xlarge).
 * Any other GPU needs hostMemory written in the pool.
 */
const HOST_MEMORY_PER_GPU: ReadonlyArray<readonly [RegExp, number]> = [
  [/h100|h200|h20\b|b200|gb200|b300/i, 256 * GiB],
  [/a100/i, 144 * GiB],
  [/l4\b|l4-|l40|a10g|a10\b/i, 96 * GiB],
];

/** Default nodefs size: a 500 GiB boot/ephemeral volume, a common GPU node-pool choice (UNCONFIRMED knob). */
export const DEFAULT_EPHEMERAL_DISK = 500 * GiB;

export function defaultHostMemory(gpu: string, gpusPerNode: number, path: string): number {
  for (const [pattern, perGpu] of HOST_MEMORY_PER_GPU) if (pattern.test(gpu)) return perGpu * gpusPerNode;
  throw new InputError(
    `no default host memory for GPU "${gpu}"; write hostMemory for this pool, e.g. hostMemory: 2TiB`,
    `${path}.hostMemory`,
  );
}

/**
 * provisioning: the cloud VM is being created (not yet a Kubernetes node); ready: registered and Ready, but the
 * GPU driver/device plugin has not advertised nvidia.com/gpu yet; allocatable: pods can bind; gone: removed.
 */
export type NodeState = 'provisioning' | 'ready' | 'allocatable' | 'gone';

/** One host. Resource fields are maintained by the scheduler (requests) and the eviction manager (usage). */
export class Node {
  state: NodeState;
  /** GPUs and host memory requested by pods bound here (held until each pod is fully gone). */
  gpusUsed = 0;
  memoryRequested = 0;
  /** Pods bound here and not yet gone. */
  readonly pods: number[] = [];
  /** Images on the node's disk, name → bytes (kubelet image cache). */
  readonly images = new Map<string, number>();
  /** Image name → time its pull in progress completes (pods needing it wait for that pull). */
  readonly pulls = new Map<string, number>();
  /** Weights this node has loaded before (the page cache / local cache holds them). */
  readonly weightsLoaded = new Set<string>();
  /** Compile-cache keys compiled on this node (for compileCache: perNode). */
  readonly compiled = new Set<string>();
  /** A NoSchedule pressure taint lasts until this time (kubelet evictionPressureTransitionPeriod). */
  pressureUntil = -Infinity;
  pressureKind: 'memory' | 'disk' = 'memory';
  /** Since when no pod is bound (for the autoscaler's scale-down); NaN while busy. */
  emptySince: number;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly pool: NodePoolSpec,
    state: NodeState,
    now: number,
  ) {
    this.state = state;
    this.emptySince = now;
  }

  get gpusAllocatable(): number {
    return this.state === 'allocatable' ? this.pool.gpusPerNode : 0;
  }

  get gpusFree(): number {
    return this.gpusAllocatable - this.gpusUsed;
  }

  get memoryFree(): number {
    return this.pool.hostMemory - this.memoryRequested;
  }

  /** Counts toward the pool's size and costs money: from the VM request until removal. */
  get exists(): boolean {
    return this.state !== 'gone';
  }

  diskUsedByImages(): number {
    let sum = 0;
    for (const bytes of this.images.values()) sum += bytes;
    return sum;
  }
}
