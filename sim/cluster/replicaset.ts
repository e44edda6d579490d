import type { Pod } from './pod.js';
import { compareForDeletion, type RankedPod } from './pod-ranking.js';
import type { PodTemplate } from './template.js';

/**
 * ReplicaSet status as controllers read it (rollout-semantics.md §1.3): terminating pods are not counted in
 * replicas/ready/available (IsPodActive); `existing` counts every pod not yet fully gone, terminating ones
 * included (what Recreate waits on).
 */
export interface ReplicaSetStatus {
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly availableReplicas: number;
  readonly terminatingReplicas: number;
  readonly existing: number;
}

/** A ReplicaSet: a template and a desired count. Created through Cluster.createReplicaSet. */
export class ReplicaSet {
  /** spec.replicas (0 at creation). */
  spec = 0;
  /** Pods not yet fully gone, oldest first. */
  readonly pods: Pod[] = [];

  constructor(
    readonly id: number,
    readonly name: string,
    readonly template: PodTemplate,
  ) {}

  status(now: number): ReplicaSetStatus {
    let replicas = 0;
    let ready = 0;
    let available = 0;
    for (const pod of this.pods) {
      if (!pod.active) continue;
      replicas++;
      if (pod.ready) ready++;
      if (pod.isAvailable(now)) available++;
    }
    return {
      replicas,
      readyReplicas: ready,
      availableReplicas: available,
      terminatingReplicas: this.pods.length - replicas,
      existing: this.pods.length,
    };
  }

  activePods(): Pod[] {
    return this.pods.filter((p) => p.active);
  }
}

/** What the ReplicaSet controller does to pods. */
export interface PodActions {
  createPod(rs: ReplicaSet): void;
  deletePod(pod: Pod): void;
  /** Active pods of the workload on the pod's node, itself included (the "doubled up" rank). */
  colocated(pod: Pod): number;
}

/**
 * One ReplicaSet controller sync (replica_set.go manageReplicas): create the missing pods, or delete the
 * surplus in ActivePodsWithRanks order. API latency is 0, so slow-start batches are invisible.
 */
export function syncReplicaSet(rs: ReplicaSet, actions: PodActions, now: number): void {
  const active = rs.activePods();
  const diff = active.length - rs.spec;
  if (diff < 0) {
    for (let i = 0; i < -diff; i++) actions.createPod(rs);
    return;
  }
  if (diff === 0) return;
  for (const pod of podsToDelete(active, diff, actions, now)) actions.deletePod(pod);
}

export function podsToDelete(active: readonly Pod[], count: number, actions: Pick<PodActions, 'colocated'>, now: number): Pod[] {
  const ranked = active.map((pod) => ({ pod, rank: rankView(pod, actions.colocated(pod)) }));
  ranked.sort((a, b) => compareForDeletion(a.rank, b.rank, now));
  return ranked.slice(0, count).map((r) => r.pod);
}

function rankView(pod: Pod, colocated: number): RankedPod {
  return {
    id: pod.podId,
    assigned: pod.node !== null,
    phase: pod.rankPhase,
    ready: pod.ready,
    readySince: pod.readySince,
    deletionCost: 0,
    colocated: pod.node === null ? 0 : colocated,
    restarts: pod.restarts,
    createdAt: pod.createdAt,
  };
}
