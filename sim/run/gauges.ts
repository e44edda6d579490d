import type { Cluster } from '../cluster/cluster.js';
import type { Gauges } from '../metrics/recorder.js';
import type { Router } from '../routing/router.js';
import type { PrefixCacheTally } from '../serving/prefix-tally.js';
import { NO_ROLES, type RoleReadyCounts } from './disaggregation-metrics.js';

/** The fleet's prefix-cache counts since the previous window's sample. */
export class PrefixWindowCounts {
  private queried = 0;
  private hit = 0;
  queryTokens = 0;
  hitTokens = 0;

  constructor(private readonly tally: PrefixCacheTally) {}

  /** Moves to the window ending now. */
  advance(): void {
    this.queryTokens = this.tally.queryTokens - this.queried;
    this.hitTokens = this.tally.hitTokens - this.hit;
    this.queried = this.tally.queryTokens;
    this.hit = this.tally.hitTokens;
  }
}

/**
 * The fleet's state at a window's end: queues, KV use, pods, endpoints and GPUs by phase, prefix-cache counts,
 * and the workload's spec.replicas (the autoscaler's desired replicas).
 */
export function gauges(cluster: Cluster, router: Router, prefix: PrefixWindowCounts, desiredReplicas: number, roles: RoleReadyCounts = NO_ROLES): Gauges {
  const s = cluster.stats();
  let waiting = 0;
  let running = 0;
  let kv = 0;
  let serving = 0;
  for (const pod of cluster.pods) {
    const server = pod.server;
    if (!server || !pod.holdsResources) continue;
    waiting += server.waitingCount();
    running += server.runningCount();
    kv += server.kvUsage();
    serving++;
  }
  return {
    waiting,
    running,
    gatewayQueue: router.queued,
    kvUsage: serving === 0 ? 0 : kv / serving,
    desiredReplicas,
    readyOld: s.readyOld,
    readyNew: s.readyNew,
    endpointsOld: s.endpointsOld,
    endpointsNew: s.endpointsNew,
    podsOld: s.podsOld,
    podsNew: s.podsNew,
    gpusStarting: s.gpusStarting,
    gpusServing: s.gpusServing,
    gpusDraining: s.gpusDraining,
    gpusHeld: s.gpusHeld,
    gpusAllocatable: s.gpusAllocatable,
    pendingPods: s.pendingPods,
    nodes: s.nodes,
    prefillReadyOld: roles.prefill.old,
    prefillReadyNew: roles.prefill.new,
    decodeReadyOld: roles.decode.old,
    decodeReadyNew: roles.decode.new,
    prefixQueryTokens: prefix.queryTokens,
    prefixHitTokens: prefix.hitTokens,
  };
}
