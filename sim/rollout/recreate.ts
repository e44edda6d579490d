/**
 * The Kubernetes Deployment Recreate sync (rollout-semantics.md §1.5; k8s recreate.go `rolloutRecreate`, default
 * path with podReplacementPolicy unset): stop every old pod, wait until none of them exists any more — not even
 * terminating — and only then start the new version at full size. Downtime = old termination + new start-up.
 */
import type { Action, RsSnapshot } from './rolling-update.js';

/**
 * One sync's API writes; [] while waiting or at the fixpoint.
 * `oldPodsRemaining` counts pods of old ReplicaSets that are not terminal yet, terminating ones included
 * (`oldPodsRunning`: any old pod Pending, Running or Unknown). Unlike RollingUpdate, the new ReplicaSet is not
 * created until the old pods are gone.
 * Example (replicas 3, grace 30 s): t=0 [scale old → 0]; t in (0, 30) []; t=30 [create new 3].
 */
export function recreateSyncStep(
  replicas: number,
  newRS: RsSnapshot | null,
  oldRSs: readonly RsSnapshot[],
  oldPodsRemaining: number,
): Action[] {
  const stopOld: Action[] = oldRSs.filter((rs) => rs.spec > 0).map((rs) => ({ type: 'scaleRS', id: rs.id, replicas: 0 }));
  if (stopOld.length > 0) return stopOld;
  if (oldPodsRemaining > 0) return [];
  // NewRSNewReplicas for Recreate is simply `replicas`: there is no surge budget to respect.
  if (newRS === null) return [{ type: 'createNewRS', replicas }];
  return newRS.spec === replicas ? [] : [{ type: 'scaleRS', id: newRS.id, replicas }];
}
