/**
 * Multi-node replicas as LeaderWorkerSet makes them: a *group* of pods (a leader, ordinal 0, and size − 1
 * workers), each pod on its own node when the model spans nodes, ready only when every member is ready. This file
 * holds the pure parts: a group's state as the LWS controller reads it, the leader StatefulSet's reaction to
 * its spec (replicas, partition), and the placement of a group's members on nodes with the reason a group
 * cannot be placed. group-cluster.ts runs them on the event loop.
 */

/** What the controller reads of group i: leader ready and workers' StatefulSet ready; both at the new revision. */
export interface GroupState {
  readonly ready: boolean;
  readonly updated: boolean;
}

/** The leader StatefulSet's spec as LWS writes it. */
export interface LeaderSts {
  readonly replicas: number;
  readonly partition: number;
}

/**
 * The leader StatefulSet's RollingUpdate with maxUnavailable (MaxUnavailableStatefulSet, beta and on by default
 * since Kubernetes 1.35): the outdated groups at or above the partition to recreate now, highest ordinal first,
 * while fewer than `stsMaxUnavailable` groups are unready.
 * Example: 6 groups, partition 2, groups 4 and 5 unready, budget 4 → recreate 3 and 2.
 */
export function stsGroupsToRecreate(states: readonly GroupState[], partition: number, stsMaxUnavailable: number): number[] {
  let unavailable = 0;
  for (const s of states) if (!s.ready) unavailable++;
  const out: number[] = [];
  for (let i = states.length - 1; i >= partition && unavailable < stsMaxUnavailable; i--) {
    if (states[i].updated) continue;
    out.push(i);
    if (states[i].ready) unavailable++;
  }
  return out;
}

/** One row of the LWS documentation's rollout table: ✅ updated and ready, ❎ old revision, ⏳ updated, not ready. */
export function renderGroups(states: readonly GroupState[]): string {
  return states.map((s) => (!s.updated ? '❎' : s.ready ? '✅' : '⏳')).join(' ');
}

/** What the leader StatefulSet does to reach `sts`: ordinals it deletes, creates, and recreates at the new revision. */
export interface StsChanges {
  /** Ordinals ≥ sts.replicas (surge reclaimed or scale-down), highest first. */
  readonly deleted: readonly number[];
  /** New ordinals; those at or above the partition are born at the new revision. */
  readonly created: readonly number[];
  /** Outdated ordinals at or above the partition, deleted and recreated at the new revision. */
  readonly recreated: readonly number[];
  /** The groups' states right after, as the next reconcile would read them (new and recreated groups unready). */
  readonly states: readonly GroupState[];
}

/** The leader StatefulSet's controller in one pass (API latency 0): scale to sts.replicas, then roll. */
export function stsReconcile(states: readonly GroupState[], sts: LeaderSts, stsMaxUnavailable: number): StsChanges {
  const deleted: number[] = [];
  for (let i = states.length - 1; i >= sts.replicas; i--) deleted.push(i);
  const next: GroupState[] = states.slice(0, sts.replicas);
  const created: number[] = [];
  for (let i = next.length; i < sts.replicas; i++) {
    created.push(i);
    next.push({ ready: false, updated: i >= sts.partition });
  }
  const recreated = stsGroupsToRecreate(next, sts.partition, stsMaxUnavailable);
  for (const i of recreated) next[i] = { ready: false, updated: true };
  return { deleted, created, recreated, states: next };
}

/** A group's shape: `size` pods of `gpusPerPod` GPUs, each on a different node when `onePodPerNode`. */
export interface GroupShape {
  readonly size: number;
  readonly gpusPerPod: number;
  /**
   * Members repel each other (pod anti-affinity on the group's key, or a topology spread of one): the usual
   * layout when each member drives its node's NICs for the cross-node collectives.
   */
  readonly onePodPerNode: boolean;
}

export function describeShape(s: GroupShape): string {
  return `${s.size} × ${s.gpusPerPod} GPUs${s.onePodPerNode && s.size > 1 ? ' on distinct nodes' : ''}`;
}

/**
 * The node a pending member binds to (first fit in node order, as a MostAllocated-style packer settles on a
 * deterministic choice), or -1. `freeGpus[n]` is node n's unallocated GPUs; `taken[n]` whether a member of the
 * same group already runs there.
 */
export function placeMember(freeGpus: readonly number[], taken: readonly boolean[], shape: GroupShape): number {
  for (let n = 0; n < freeGpus.length; n++) {
    if (freeGpus[n] >= shape.gpusPerPod && !(shape.onePodPerNode && taken[n])) return n;
  }
  return -1;
}

/**
 * Why the `missing` still-unplaced members of a group cannot all be placed now, or null if they can: counts the
 * nodes that could take one. Example: 4 nodes with 8, 0, 0, 0 free GPUs, a group of 2 × 4 on distinct nodes
 * with one member placed on node 0: "1 member of 2 × 4 GPUs on distinct nodes needs a node with ≥ 4 free GPUs
 * and no member of its group; 0 of 4 nodes have one".
 */
export function placementProblem(
  freeGpus: readonly number[],
  taken: readonly boolean[],
  shape: GroupShape,
  missing: number,
): string | null {
  let fitting = 0;
  for (let n = 0; n < freeGpus.length; n++) {
    if (shape.onePodPerNode) {
      if (!taken[n] && freeGpus[n] >= shape.gpusPerPod) fitting++;
    } else {
      fitting += Math.floor(freeGpus[n] / shape.gpusPerPod);
    }
  }
  if (fitting >= missing) return null;
  const where = shape.onePodPerNode ? `a node with ≥ ${shape.gpusPerPod} free GPUs and no member of its group` : `${shape.gpusPerPod} free GPUs on one node`;
  return (
    `${missing} member${missing === 1 ? '' : 's'} of a group of ${describeShape(shape)} need${missing === 1 ? 's' : ''} ${where}; ` +
    `${fitting} of ${freeGpus.length} nodes can take one`
  );
}
