/**
 * Which pod a ReplicaSet deletes first when it scales down: Kubernetes `ActivePodsWithRanks.Less`
 * (pkg/controller/controller_utils.go, with LogarithmicScaleDown, GA since 1.31), rollout-semantics.md §1.4.
 */

/** Kubernetes pod phase as the ranking sees it (Succeeded/Failed pods are never active, so never ranked). */
export type RankPhase = 'Pending' | 'Unknown' | 'Running';

const PHASE_ORDINAL: Record<RankPhase, number> = { Pending: 0, Unknown: 1, Running: 2 };

export interface RankedPod {
  /** Stands in for the UID tie-break (random in Kubernetes, the creation order here: deterministic). */
  readonly id: number;
  /** Bound to a node (spec.nodeName set). */
  readonly assigned: boolean;
  readonly phase: RankPhase;
  readonly ready: boolean;
  /** lastTransitionTime of the Ready=True condition (only read when ready). */
  readonly readySince: number;
  /** controller.kubernetes.io/pod-deletion-cost (0 when unset). */
  readonly deletionCost: number;
  /** Active pods of the same workload on this pod's node, itself included ("doubled up" rank). */
  readonly colocated: number;
  /** Highest container restart count. */
  readonly restarts: number;
  readonly createdAt: number;
}

/**
 * Negative when `a` should be deleted before `b`, positive when after, 0 when the ranking cannot tell them apart.
 * `now` is the simulated time in seconds.
 */
export function compareForDeletion(a: RankedPod, b: RankedPod, now: number): number {
  // 1. Unassigned < assigned.
  if (a.assigned !== b.assigned) return a.assigned ? 1 : -1;
  // 2. Pending < Unknown < Running.
  const phaseDiff = PHASE_ORDINAL[a.phase] - PHASE_ORDINAL[b.phase];
  if (phaseDiff !== 0) return phaseDiff;
  // 3. Not ready < ready.
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  // 4. Lower pod-deletion-cost first.
  if (a.deletionCost !== b.deletionCost) return a.deletionCost - b.deletionCost;
  // 5. More co-located pods of the workload on the same node first.
  if (a.colocated !== b.colocated) return b.colocated - a.colocated;
  // 6. Both ready: ready for a shorter time first, compared in log2 buckets of the age.
  if (a.ready && b.ready && a.readySince !== b.readySince) {
    const diff = logarithmicRankDiff(a.readySince, b.readySince, now);
    return diff === 0 ? a.id - b.id : diff;
  }
  // 7. More restarts first.
  if (a.restarts !== b.restarts) return b.restarts - a.restarts;
  // 8. Newer first, in log2 buckets of the age; same bucket: by UID.
  if (a.createdAt !== b.createdAt) {
    const diff = logarithmicRankDiff(a.createdAt, b.createdAt, now);
    return diff === 0 ? a.id - b.id : diff;
  }
  return 0;
}

/**
 * floor(log2(age)) of each timestamp, the age in nanoseconds as Go's time.Duration, −1 for a non-positive age;
 * returns rank(t1) − rank(t2). A smaller rank is a younger timestamp, deleted first.
 */
export function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  return logRank(now - t1) - logRank(now - t2);
}

function logRank(ageSeconds: number): number {
  const nanos = Math.round(ageSeconds * 1e9);
  return nanos > 0 ? Math.floor(Math.log2(nanos)) : -1;
}
