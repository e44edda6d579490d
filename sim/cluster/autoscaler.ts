import { constant, lognormalFromPercentiles, uniform, type Distribution } from '../engine/distributions.js';
import type { RandomStreams, Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import type { PodEventLog } from './event-log.js';
import type { Node, NodePoolSpec } from './nodes.js';
import type { Pod } from './pod.js';
import { poolMatches, requirementsOf, type PodRequirements } from './scheduler.js';

/** Seconds throughout. */
export interface AutoscalerConfig {
  readonly enabled: boolean;
  /** How often the autoscaler looks at pending pods and idle nodes (CA --scan-interval). */
  readonly scanInterval: number;
  /** A pending pod must be this old before it triggers a scale-up (CA: 30 s for GPU pods, hard-coded). */
  readonly scaleUpDelay: number;
  /** Cloud VM request until the node is registered and Ready. */
  readonly nodeReady: Distribution;
  /** Node Ready until the GPU driver and device plugin advertise nvidia.com/gpu. */
  readonly gpuAllocatable: Distribution;
  /** A node not allocatable by then is given up (CA --max-node-provision-time). */
  readonly maxNodeProvisionTime: number;
  /** After giving up on a node, its pool is not scaled up again for this long (CA initial node group back-off). */
  readonly nodeGroupBackoff: number;
  /** An empty node is removed after being empty this long (CA --scale-down-unneeded-time)... */
  readonly scaleDownUnneededTime: number;
  /** ...and not sooner than this after the last scale-up (CA --scale-down-delay-after-add). */
  readonly scaleDownDelayAfterAdd: number;
}

export const CLOUD_PRESETS = ['generic', 'gke', 'eks', 'eks-karpenter', 'aks', 'none'] as const;
export type CloudPreset = (typeof CLOUD_PRESETS)[number];

/**
 * Cluster-autoscaler defaults (rollout-semantics.md §2.4, CA FAQ) with node timings from startup-and-drain.md
 * ("node Ready: 30–100 s", "GPU allocatable: +60–90 s after Ready"; the GPU scale-up delay of 30 s is
 * kubernetes/autoscaler#9126).
 */
export const GENERIC_AUTOSCALER: AutoscalerConfig = {
  enabled: true,
  scanInterval: 10,
  scaleUpDelay: 30,
  nodeReady: lognormalFromPercentiles(60, 100),
  gpuAllocatable: uniform(60, 90),
  maxNodeProvisionTime: 900,
  nodeGroupBackoff: 300,
  scaleDownUnneededTime: 600,
  scaleDownDelayAfterAdd: 600,
};

/** Only what the reference gives numbers for differs from GENERIC_AUTOSCALER. */
export const AUTOSCALER_PRESETS: Readonly<Record<CloudPreset, AutoscalerConfig>> = {
  generic: GENERIC_AUTOSCALER,
  // GCE: "3 to 4 minutes from CA request until pods can schedule" (CA FAQ latency section), GPU driver on top.
  gke: { ...GENERIC_AUTOSCALER, nodeReady: uniform(180, 240) },
  // AWS with CA: nodes Ready in "~70 s" (aws/karpenter-provider-aws#3102); pods running 4–6 min after the
  // scale-up once the image is pulled (kubernetes/autoscaler#3464).
  eks: { ...GENERIC_AUTOSCALER, nodeReady: lognormalFromPercentiles(70, 100) },
  // Karpenter batches pending pods for 1–10 s instead of CA's scan and GPU delay; nodes Ready in "about
  // 30-40s" (maintainer, #6165) to 80–100 s (user, #3102); the device plugin ~90 s later (k8s-device-plugin#291).
  'eks-karpenter': {
    ...GENERIC_AUTOSCALER,
    scanInterval: 1,
    scaleUpDelay: 1,
    nodeReady: lognormalFromPercentiles(40, 90),
    gpuAllocatable: constant(90),
  },
  // AKS runs CA with new-pod-scale-up-delay 0 (AKS profile docs); the GPU delay is CA's own.
  aks: GENERIC_AUTOSCALER,
  none: { ...GENERIC_AUTOSCALER, enabled: false },
};

export interface AutoscalerHooks {
  /** nvidia.com/gpu became allocatable: pending pods may bind. */
  nodeAllocatable(node: Node): void;
  nodeRemoved(node: Node): void;
  /** Requests a VM: a node in state provisioning that counts (and costs) from now, but cannot take pods yet. */
  addNode(pool: NodePoolSpec): Node;
}

/** Capacity the autoscaler expects while planning one scan: upcoming nodes and the new ones it asks for. */
interface PlannedNode {
  readonly pool: NodePoolSpec;
  gpus: number;
  memory: number;
}

/**
 * The cluster autoscaler: every scanInterval it looks at Pending pods older than scaleUpDelay, counts the
 * capacity already on its way (nodes provisioning or not yet allocatable), and asks for new nodes in the first
 * matching pool (in configuration order) with room below maxNodes, packing pending pods onto them first-fit.
 * A node arrives after nodeReady + gpuAllocatable, or is given up at maxNodeProvisionTime. Empty nodes above
 * minNodes are removed after scaleDownUnneededTime (only empty ones: moving serving pods is not modelled).
 */
export class ClusterAutoscaler {
  private readonly rng: Rng;
  private readonly onScan: number;
  private readonly onReady: number;
  private readonly onAllocatable: number;
  private readonly onGiveUp: number;
  private lastScaleUp = -Infinity;
  private readonly backoffUntil = new Map<string, number>();
  /** Last failed VM request per pool (stockout). */
  private readonly lastStockout = new Map<string, number>();
  private readonly stockoutRng: Rng;
  nodesAdded = 0;
  /** VM requests the cloud refused for want of capacity. */
  stockouts = 0;

  constructor(
    private readonly sim: Simulator,
    streams: RandomStreams,
    private readonly config: AutoscalerConfig,
    private readonly pools: readonly NodePoolSpec[],
    private readonly nodes: readonly Node[],
    private readonly pending: () => readonly Pod[],
    private readonly hooks: AutoscalerHooks,
    private readonly log: PodEventLog,
  ) {
    this.rng = streams.stream('cluster.nodes');
    this.stockoutRng = streams.stream('cluster.stockout');
    this.onScan = sim.handler(() => this.scan());
    this.onReady = sim.handler((id) => this.nodeReady(this.nodes[id]));
    this.onAllocatable = sim.handler((id) => this.nodeAllocatable(this.nodes[id]));
    this.onGiveUp = sim.handler((id) => this.giveUp(this.nodes[id]));
    // A cluster whose pools can neither grow nor shrink has nothing to scan for.
    const canScale = pools.some((p) => p.maxNodes > p.nodes || p.minNodes < p.nodes);
    if (config.enabled && canScale) sim.at(sim.now, this.onScan);
  }

  private scan(): void {
    this.sim.after(this.config.scanInterval, this.onScan);
    this.scaleUp();
    this.scaleDown();
  }

  private scaleUp(): void {
    const now = this.sim.now;
    const upcoming: PlannedNode[] = [];
    for (const node of this.nodes) {
      if (node.state === 'provisioning' || node.state === 'ready') {
        upcoming.push({ pool: node.pool, gpus: node.pool.gpusPerNode - node.gpusUsed, memory: node.memoryFree });
      }
    }
    const added: PlannedNode[] = [];
    for (const pod of this.pending()) {
      if (now - pod.createdAt < this.config.scaleUpDelay) continue;
      const req = requirementsOf(pod.template);
      const target = firstFit(upcoming, req) ?? firstFit(added, req) ?? this.newNodeFor(req, added);
      if (target === null) continue;
      target.gpus -= req.gpus;
      target.memory -= req.memory;
    }
    for (const node of added) {
      if ((this.backoffUntil.get(node.pool.name) ?? -Infinity) > now) continue;
      if (this.cloudRefuses(node.pool)) this.stockedOut(node.pool);
      else this.provision(node.pool);
    }
  }

  /** The pool's VM request fails now: inside a stockout window, or by the stockout probability. */
  private cloudRefuses(pool: NodePoolSpec): boolean {
    const stockout = pool.stockout;
    if (stockout === undefined) return false;
    const now = this.sim.now;
    if (stockout.windows.some((w) => w.from <= now && now < w.to)) return true;
    return stockout.probability > 0 && this.stockoutRng.next() < stockout.probability;
  }

  /** CA backs the node group off after a failed scale-up, as after a node that never came (initial back-off). */
  private stockedOut(pool: NodePoolSpec): void {
    const now = this.sim.now;
    this.stockouts++;
    this.lastStockout.set(pool.name, now);
    this.backoffUntil.set(pool.name, now + this.config.nodeGroupBackoff);
    this.log.other(pool.name, '', 'FailedScaleUp', `stockout: the cloud has no ${pool.gpu} capacity; pool backed off ${this.config.nodeGroupBackoff}s`);
  }

  /** A VM request of the pool failed for want of capacity recently enough that the pool is still waiting on it. */
  recentlyStockedOut(pool: NodePoolSpec): boolean {
    const last = this.lastStockout.get(pool.name);
    if (last === undefined) return false;
    const c = this.config;
    return this.sim.now - last <= c.nodeGroupBackoff + c.scanInterval + c.scaleUpDelay;
  }

  /** Plans a node in the first pool that fits the pod and may grow; null when none may. */
  private newNodeFor(req: PodRequirements, added: PlannedNode[]): PlannedNode | null {
    const now = this.sim.now;
    for (const pool of this.pools) {
      if (!poolMatches(pool, req) || pool.gpusPerNode < req.gpus || pool.hostMemory < req.memory) continue;
      if ((this.backoffUntil.get(pool.name) ?? -Infinity) > now) continue;
      const size = this.poolSize(pool) + added.filter((p) => p.pool === pool).length;
      if (size >= pool.maxNodes) continue;
      const node: PlannedNode = { pool, gpus: pool.gpusPerNode, memory: pool.hostMemory };
      added.push(node);
      return node;
    }
    return null;
  }

  /** Nodes of the pool that exist (provisioning ones included). */
  private poolSize(pool: NodePoolSpec): number {
    let n = 0;
    for (const node of this.nodes) if (node.pool === pool && node.exists) n++;
    return n;
  }

  private provision(pool: NodePoolSpec): void {
    const node = this.hooks.addNode(pool);
    this.nodesAdded++;
    this.lastScaleUp = this.sim.now;
    const ready = this.config.nodeReady.sample(this.rng);
    const allocatable = ready + this.config.gpuAllocatable.sample(this.rng);
    this.log.node(node, 'TriggeredScaleUp', `pool ${pool.name}`);
    const limit = this.config.maxNodeProvisionTime;
    if (ready <= limit) this.sim.after(ready, this.onReady, node.id);
    if (allocatable <= limit) this.sim.after(allocatable, this.onAllocatable, node.id);
    else this.sim.after(limit, this.onGiveUp, node.id);
  }

  private nodeReady(node: Node): void {
    if (node.state !== 'provisioning') return;
    node.state = 'ready';
    this.log.node(node, 'NodeReady', 'GPUs not allocatable yet');
  }

  private nodeAllocatable(node: Node): void {
    if (node.state === 'gone') return;
    node.state = 'allocatable';
    node.emptySince = this.sim.now;
    this.log.node(node, 'NodeAllocatable', `${node.pool.gpusPerNode} nvidia.com/gpu`);
    this.hooks.nodeAllocatable(node);
  }

  private giveUp(node: Node): void {
    this.backoffUntil.set(node.pool.name, this.sim.now + this.config.nodeGroupBackoff);
    this.log.node(node, 'NodeProvisionTimeout', `not allocatable after ${this.config.maxNodeProvisionTime}s`);
    this.remove(node);
  }

  private scaleDown(): void {
    const now = this.sim.now;
    if (now - this.lastScaleUp < this.config.scaleDownDelayAfterAdd) return;
    for (const node of this.nodes) {
      if (node.state !== 'allocatable' || node.pods.length > 0) continue;
      if (now - node.emptySince < this.config.scaleDownUnneededTime) continue;
      if (this.poolSize(node.pool) <= node.pool.minNodes) continue;
      this.log.node(node, 'ScaleDown', `empty for ${Math.round(now - node.emptySince)}s`);
      this.remove(node);
    }
  }

  private remove(node: Node): void {
    node.state = 'gone';
    this.hooks.nodeRemoved(node);
  }
}

function firstFit(nodes: readonly PlannedNode[], req: PodRequirements): PlannedNode | undefined {
  return nodes.find((p) => poolMatches(p.pool, req) && p.gpus >= req.gpus && p.memory >= req.memory);
}
