/**
 * The Kubernetes Deployment RollingUpdate sync (rollout-semantics.md §1.4; k8s pkg/controller/deployment/
 * rolling.go `rolloutRolling` and util/deployment_util.go `NewRSNewReplicas`) as pure functions over a snapshot
 * of the Deployment's ReplicaSets. The controller only decides ReplicaSet `spec.replicas`; creating and deleting
 * pods is the ReplicaSet controller's job.
 */
import { maxSurge, minAvailable, type RollingUpdateParams } from './fenceposts.js';

/** What the Deployment controller reads of one ReplicaSet: spec.replicas and status.availableReplicas. */
export interface RsSnapshot {
  readonly id: number;
  /** spec.replicas */
  readonly spec: number;
  /** status.availableReplicas: active (not terminating) pods available for minReadySeconds. */
  readonly available: number;
  /** creationTimestamp, seconds; older ReplicaSets are scaled down first. */
  readonly createdAt: number;
}

/** One API write of the Deployment controller. */
export type Action =
  | { readonly type: 'createNewRS'; readonly replicas: number }
  | { readonly type: 'scaleRS'; readonly id: number; readonly replicas: number };

/** Placeholder id for a new ReplicaSet that the current sync is creating (it has no id until the caller makes it). */
const CREATING = -1;

export function totalSpec(rss: readonly RsSnapshot[]): number {
  let sum = 0;
  for (const rs of rss) sum += rs.spec;
  return sum;
}

export function totalAvailable(rss: readonly RsSnapshot[]): number {
  let sum = 0;
  for (const rs of rss) sum += rs.available;
  return sum;
}

/** ReplicaSetsByCreationTimestamp: oldest first, ties by id (Kubernetes breaks them by name). */
export function oldestFirst(rss: readonly RsSnapshot[]): RsSnapshot[] {
  return [...rss].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
}

/**
 * NewRSNewReplicas for RollingUpdate: grow the new ReplicaSet into whatever room is left under
 * replicas + maxSurge, counting every ReplicaSet's *spec* (so pods that are terminating are outside the budget),
 * and never beyond `replicas`.
 * Example (replicas 4, maxSurge 1): old spec 3 + new spec 1 = 4 < 5 ⇒ new 1 + min(5 − 4, 4 − 1) = 2.
 */
export function newRSNewReplicas(d: RollingUpdateParams, allRSs: readonly RsSnapshot[], newRSSpec: number): number {
  const maxTotal = d.replicas + maxSurge(d);
  const current = totalSpec(allRSs);
  if (current >= maxTotal) return newRSSpec;
  return newRSSpec + Math.min(maxTotal - current, d.replicas - newRSSpec);
}

/** reconcileNewReplicaSet: the scale-up half of a sync (or a scale-down when the Deployment shrank). */
export function reconcileNewReplicaSet(
  d: RollingUpdateParams,
  allRSs: readonly RsSnapshot[],
  newRS: RsSnapshot,
): Action | null {
  if (newRS.spec === d.replicas) return null;
  const target = newRS.spec > d.replicas ? d.replicas : newRSNewReplicas(d, allRSs, newRS.spec);
  return target === newRS.spec ? null : { type: 'scaleRS', id: newRS.id, replicas: target };
}

/**
 * cleanupUnhealthyReplicas: old ReplicaSets, oldest first, lose their *unavailable* pods first, up to
 * `maxCleanup` in total. Removing pods that serve nothing cannot reduce availability, and leaving them would let
 * a broken old version block the rollout (kubernetes#16737).
 * Example: old RS spec 4 with 3 available and a budget of 2 ⇒ spec 3 (one unhealthy pod removed).
 * An RS whose spec is not above its available count has nothing unhealthy to remove.
 */
export function cleanupUnhealthyReplicas(
  oldRSs: readonly RsSnapshot[],
  maxCleanup: number,
): { readonly rss: RsSnapshot[]; readonly cleaned: number } {
  let cleaned = 0;
  const rss = oldestFirst(oldRSs).map((rs) => {
    if (cleaned >= maxCleanup || rs.spec === 0 || rs.spec <= rs.available) return rs;
    const k = Math.min(maxCleanup - cleaned, rs.spec - rs.available);
    cleaned += k;
    return { ...rs, spec: rs.spec - k };
  });
  return { rss, cleaned };
}

/**
 * scaleDownOldReplicaSetsForRollingUpdate: with every available pod counted (new and old), old ReplicaSets,
 * oldest first, give up as many pods as availability can spare above minAvailable.
 * Example (replicas 4, minAvailable 3): old 3 available + new 2 available = 5 ⇒ remove 2 old pods.
 */
export function scaleDownOldReplicaSetsForRollingUpdate(
  d: RollingUpdateParams,
  oldRSs: readonly RsSnapshot[],
  newRS: RsSnapshot,
): { readonly rss: RsSnapshot[]; readonly scaledDown: number } {
  const available = totalAvailable(oldRSs) + newRS.available;
  const budget = available - minAvailable(d);
  if (budget <= 0) return { rss: [...oldRSs], scaledDown: 0 };
  let scaledDown = 0;
  const rss = oldestFirst(oldRSs).map((rs) => {
    if (scaledDown >= budget || rs.spec === 0) return rs;
    const k = Math.min(rs.spec, budget - scaledDown);
    scaledDown += k;
    return { ...rs, spec: rs.spec - k };
  });
  return { rss, scaledDown };
}

/**
 * reconcileOldReplicaSets: the scale-down half of a sync. The most the old side may lose is
 *   maxScaledDown = allPods − minAvailable − newRSUnavailable
 * where unavailable new pods (pending, starting, crash-looping) count against the budget, so a new version that
 * never becomes available stalls the rollout at replicas + maxSurge instead of eating into old capacity.
 * rolling.go's example: replicas 10, maxUnavailable 2, maxSurge 3, new pods crash-loop ⇒ old 8, new 5,
 * 13 − 8 − 5 = 0: nothing more is scaled down.
 * Returns one write per old ReplicaSet whose spec changed (cleanup and scale-down of one RS merged).
 */
export function reconcileOldReplicaSets(
  d: RollingUpdateParams,
  allRSs: readonly RsSnapshot[],
  oldRSs: readonly RsSnapshot[],
  newRS: RsSnapshot,
): Action[] {
  const activeOld = oldRSs.filter((rs) => rs.spec > 0);
  if (activeOld.length === 0) return [];
  const maxScaledDown = totalSpec(allRSs) - minAvailable(d) - (newRS.spec - newRS.available);
  if (maxScaledDown <= 0) return [];
  const afterCleanup = cleanupUnhealthyReplicas(activeOld, maxScaledDown).rss;
  const afterScaleDown = scaleDownOldReplicaSetsForRollingUpdate(d, afterCleanup, newRS).rss;
  const before = new Map(activeOld.map((rs) => [rs.id, rs.spec]));
  return afterScaleDown
    .filter((rs) => rs.spec !== before.get(rs.id))
    .map((rs) => ({ type: 'scaleRS', id: rs.id, replicas: rs.spec }));
}

/**
 * One `rolloutRolling` sync: the API writes it makes, in order; [] when the Deployment is at a fixpoint.
 * A sync does ONE of: (a) create the new ReplicaSet, then still scale old ones down in the same sync (creation
 * is not counted as a scale-up, rollout-semantics.md §0.2); (b) scale the new ReplicaSet; (c) scale old
 * ReplicaSets down — possibly several of them, as one reconcileOldReplicaSets does. Callers apply the writes
 * and call again until [] at every timestamp (§0.3).
 * Example 1 of §6 at t=0 (replicas 4, 25%/25%, old spec 4 all available): [create new 1, scale old → 3], then
 * [scale new → 2], then [].
 */
export function rollingSyncStep(
  d: RollingUpdateParams,
  newRS: RsSnapshot | null,
  oldRSs: readonly RsSnapshot[],
): Action[] {
  if (newRS === null) {
    // getNewReplicaSet creates it at NewRSNewReplicas. reconcileNewReplicaSet in the same sync is then always a
    // no-op (that size already took all the room, or reached replicas), so only the old side can still move.
    const replicas = newRSNewReplicas(d, oldRSs, 0);
    const created: RsSnapshot = { id: CREATING, spec: replicas, available: 0, createdAt: Infinity };
    return [{ type: 'createNewRS', replicas }, ...reconcileOldReplicaSets(d, [...oldRSs, created], oldRSs, created)];
  }
  const allRSs = [...oldRSs, newRS];
  const grow = reconcileNewReplicaSet(d, allRSs, newRS);
  if (grow) return [grow];
  return reconcileOldReplicaSets(d, allRSs, oldRSs, newRS);
}
