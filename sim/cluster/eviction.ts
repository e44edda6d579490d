import type { Simulator } from '../engine/simulator.js';
import type { PodEventLog } from './event-log.js';
import type { Node } from './nodes.js';
import type { Pod } from './pod.js';

/** Kubelet node-pressure eviction and image GC settings; defaults are the kubelet's (Linux). */
export interface EvictionConfig {
  /** Hard threshold memory.available < this many bytes (default 100Mi). */
  readonly memoryAvailable: number;
  /** Hard threshold nodefs.available < this fraction of the disk (default 10%). */
  readonly nodefsAvailable: number;
  /** Image GC starts above this disk use fraction (imageGCHighThresholdPercent 85)... */
  readonly imageGcHigh: number;
  /** ...and deletes unused images down to this one (imageGCLowThresholdPercent 80). */
  readonly imageGcLow: number;
  /** A node keeps its pressure condition (and NoSchedule taint) this long after pressure (evictionPressureTransitionPeriod 5m). */
  readonly pressureTransitionPeriod: number;
}

export const DEFAULT_EVICTION: EvictionConfig = {
  memoryAvailable: 100 * 1024 ** 2,
  nodefsAvailable: 0.1,
  imageGcHigh: 0.85,
  imageGcLow: 0.8,
  pressureTransitionPeriod: 300,
};

export interface EvictionCandidate {
  readonly usage: number;
  readonly request: number;
  readonly priority: number;
}

/**
 * kubelet rankMemoryPressure / rankDiskPressure: pods using more than they request first, then lower priority,
 * then the larger usage above request. Negative when `a` is evicted before `b`.
 */
export function compareForEviction(a: EvictionCandidate, b: EvictionCandidate): number {
  const aExceeds = a.usage > a.request;
  const bExceeds = b.usage > b.request;
  if (aExceeds !== bExceeds) return aExceeds ? -1 : 1;
  if (a.priority !== b.priority) return a.priority - b.priority;
  return b.usage - b.request - (a.usage - a.request);
}

export interface EvictionHooks {
  evict(pod: Pod, reason: string): void;
  /** A pressure taint expired: pending pods may fit the node again. */
  taintLifted(node: Node): void;
}

/**
 * The kubelet's eviction manager on every node. A usage change marks the node for a check at the same instant
 * (after the change's other effects, never inside them). Disk: image GC of images no pod on the node uses, then
 * evictions; memory: evictions. Each eviction taints the node NoSchedule for pressureTransitionPeriod.
 */
export class PressureMonitor {
  private readonly queued = new Set<number>();
  private readonly onCheck: number;
  private readonly onTaintExpiry: number;

  constructor(
    private readonly sim: Simulator,
    private readonly config: EvictionConfig,
    private readonly nodes: readonly Node[],
    private readonly pods: (podId: number) => Pod,
    private readonly hooks: EvictionHooks,
    private readonly log: PodEventLog,
  ) {
    this.onCheck = sim.handler((nodeId) => this.check(this.nodes[nodeId]));
    this.onTaintExpiry = sim.handler((nodeId) => this.taintExpired(this.nodes[nodeId]));
  }

  usageChanged(node: Node): void {
    if (this.queued.has(node.id)) return;
    this.queued.add(node.id);
    this.sim.at(this.sim.now, this.onCheck, node.id);
  }

  memoryUsed(node: Node): number {
    let sum = 0;
    for (const id of node.pods) sum += this.pods(id).memoryUsage;
    return sum;
  }

  diskUsed(node: Node): number {
    let sum = node.diskUsedByImages();
    for (const id of node.pods) sum += this.pods(id).diskUsage;
    return sum;
  }

  private check(node: Node): void {
    this.queued.delete(node.id);
    if (!node.exists) return;
    const disk = node.pool.ephemeralDisk;
    if (this.diskUsed(node) > this.config.imageGcHigh * disk) this.collectImages(node, this.config.imageGcLow * disk);
    while (disk - this.diskUsed(node) < this.config.nodefsAvailable * disk) {
      if (!this.evictOne(node, 'disk', (p) => ({ usage: p.diskUsage, request: 0, priority: p.template.resources.priority }))) break;
    }
    while (node.pool.hostMemory - this.memoryUsed(node) < this.config.memoryAvailable) {
      const evicted = this.evictOne(node, 'memory', (p) => ({
        usage: p.memoryUsage,
        request: p.template.resources.hostMemoryRequest,
        priority: p.template.resources.priority,
      }));
      if (!evicted) break;
    }
  }

  /** Deletes images no pod on the node uses, largest first, until disk use is at most `target`. */
  private collectImages(node: Node, target: number): void {
    const inUse = new Set<string>();
    for (const id of node.pods) inUse.add(this.pods(id).template.image);
    const unused = [...node.images.entries()].filter(([name]) => !inUse.has(name)).sort((a, b) => b[1] - a[1]);
    for (const [name, bytes] of unused) {
      if (this.diskUsed(node) <= target) break;
      node.images.delete(name);
      this.log.node(node, 'ImageGCed', `${name} (${(bytes / 1e9).toFixed(1)} GB)`);
    }
  }

  private evictOne(node: Node, kind: 'memory' | 'disk', view: (pod: Pod) => EvictionCandidate): boolean {
    let victim: Pod | null = null;
    let victimView: EvictionCandidate | null = null;
    for (const id of node.pods) {
      const pod = this.pods(id);
      const candidate = view(pod);
      if (candidate.usage <= 0) continue;
      if (victimView === null || compareForEviction(candidate, victimView) < 0) {
        victim = pod;
        victimView = candidate;
      }
    }
    if (victim === null) return false;
    node.pressureKind = kind;
    node.pressureUntil = this.sim.now + this.config.pressureTransitionPeriod;
    this.sim.at(node.pressureUntil, this.onTaintExpiry, node.id);
    const reason = kind === 'memory' ? 'The node was low on resource: memory.' : 'The node was low on resource: ephemeral-storage.';
    this.hooks.evict(victim, reason);
    return true;
  }

  private taintExpired(node: Node): void {
    if (node.pressureUntil <= this.sim.now && node.exists) this.hooks.taintLifted(node);
  }
}
