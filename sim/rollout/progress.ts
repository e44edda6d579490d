/**
 * Progress-deadline bookkeeping of a Deployment (rollout-semantics.md §1.6; k8s progress.go
 * `syncRolloutStatus`, `requeueStuckDeployment`, util `DeploymentProgressing`, `DeploymentComplete`,
 * `DeploymentTimedOut`, `SetDeploymentCondition`). Kubernetes only *reports* a stalled rollout: nothing here
 * rolls back, and the rollout keeps trying after the deadline.
 */

/** The Deployment status counters the condition is computed from (sync.go `calculateStatus`). */
export interface DeploymentCounts {
  /** Σ status.replicas over all ReplicaSets (active, i.e. not terminating, pods). */
  readonly replicas: number;
  /** status.replicas of the new ReplicaSet. */
  readonly updatedReplicas: number;
  readonly readyReplicas: number;
  readonly availableReplicas: number;
}

export type ProgressingReason =
  | 'NewReplicaSetCreated'
  | 'ReplicaSetUpdated'
  | 'NewReplicaSetAvailable'
  | 'ProgressDeadlineExceeded';

/** The `Progressing` condition. Times are simulated seconds. */
export interface ProgressingCondition {
  readonly status: 'True' | 'False';
  readonly reason: ProgressingReason;
  /** Last time progress was seen (or the rollout started): the deadline counts from here. */
  readonly lastUpdateTime: number;
  /** Last time `status` flipped. */
  readonly lastTransitionTime: number;
}

/**
 * DeploymentProgressing: any of more updated pods, fewer old pods, more ready pods, more available pods.
 * A pod merely being created on the old side, or a pod going unready, is not progress.
 */
export function madeProgress(before: DeploymentCounts, after: DeploymentCounts): boolean {
  return (
    after.updatedReplicas > before.updatedReplicas ||
    after.replicas - after.updatedReplicas < before.replicas - before.updatedReplicas ||
    after.readyReplicas > before.readyReplicas ||
    after.availableReplicas > before.availableReplicas
  );
}

/**
 * DeploymentComplete: every desired pod is updated and available and no old pod is left (status.replicas
 * counts only active pods, so old pods still terminating do not delay completion). observedGeneration is always
 * current in the simulator.
 */
export function deploymentComplete(desiredReplicas: number, status: DeploymentCounts): boolean {
  return (
    status.updatedReplicas === desiredReplicas &&
    status.replicas === desiredReplicas &&
    status.availableReplicas === desiredReplicas
  );
}

/**
 * DeploymentTimedOut: strictly past lastUpdateTime + deadline. A completed rollout never times out; a timed-out
 * one stays timed out until progress is seen again.
 * Example: last progress at t=100, deadline 600 ⇒ not timed out at t=700, timed out at t=700.5.
 */
export function deploymentTimedOut(
  condition: ProgressingCondition | null,
  deadlineSeconds: number | null,
  now: number,
): boolean {
  if (deadlineSeconds === null || condition === null) return false;
  if (condition.reason === 'NewReplicaSetAvailable') return false;
  if (condition.reason === 'ProgressDeadlineExceeded') return true;
  return condition.lastUpdateTime + deadlineSeconds < now;
}

/**
 * SetDeploymentCondition: an identical status and reason is left untouched (so lastUpdateTime does not move);
 * lastTransitionTime only moves when the status flips.
 */
function setCondition(
  current: ProgressingCondition | null,
  status: 'True' | 'False',
  reason: ProgressingReason,
  now: number,
): ProgressingCondition {
  if (current && current.status === status && current.reason === reason) return current;
  const lastTransitionTime = current && current.status === status ? current.lastTransitionTime : now;
  return { status, reason, lastUpdateTime: now, lastTransitionTime };
}

/** The condition getNewReplicaSet sets when it creates the new ReplicaSet: the deadline clock starts here. */
export function newReplicaSetCreated(current: ProgressingCondition | null, now: number): ProgressingCondition {
  return setCondition(current, 'True', 'NewReplicaSetCreated', now);
}

export interface ProgressInput {
  readonly desiredReplicas: number;
  /** progressDeadlineSeconds; null when the Deployment has none (Kubernetes: MaxInt32). */
  readonly deadlineSeconds: number | null;
  /** Status before this sync (what the API server holds) and the freshly computed one. */
  readonly before: DeploymentCounts;
  readonly after: DeploymentCounts;
  readonly now: number;
}

/**
 * syncRolloutStatus' Progressing update. First match wins: complete ⇒ NewReplicaSetAvailable; progress ⇒
 * ReplicaSetUpdated with lastUpdateTime = now (even when the reason is unchanged — the special case in
 * progress.go); deadline passed ⇒ False/ProgressDeadlineExceeded. A rollout already reported complete whose pods
 * are all updated is left alone. Paused Deployments never reach this (Kubernetes does not time them out).
 */
export function syncProgressingCondition(
  current: ProgressingCondition | null,
  input: ProgressInput,
): ProgressingCondition | null {
  const { after, now } = input;
  if (input.deadlineSeconds === null) return current;
  const alreadyComplete = after.replicas === after.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
  if (alreadyComplete) return current;
  if (deploymentComplete(input.desiredReplicas, after)) return setCondition(current, 'True', 'NewReplicaSetAvailable', now);
  if (madeProgress(input.before, after)) {
    const lastTransitionTime = current?.status === 'True' ? current.lastTransitionTime : now;
    return { status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: now, lastTransitionTime };
  }
  if (deploymentTimedOut(current, input.deadlineSeconds, now)) {
    return setCondition(current, 'False', 'ProgressDeadlineExceeded', now);
  }
  return current;
}

/**
 * requeueStuckDeployment: when to look again if nothing else happens, so the timeout is noticed on time —
 * one second past the deadline (lastUpdateTime + deadline + 1). null when there is nothing to watch
 * (no deadline, no condition, complete, or already timed out). Past-due checks are due now.
 * Example: last progress at t=180, deadline 600 ⇒ check at t=781.
 */
export function nextProgressCheck(
  condition: ProgressingCondition | null,
  deadlineSeconds: number | null,
  complete: boolean,
  now: number,
): number | null {
  if (deadlineSeconds === null || condition === null || complete) return null;
  if (condition.reason === 'ProgressDeadlineExceeded') return null;
  const remaining = condition.lastUpdateTime + deadlineSeconds - now;
  return remaining < 1 ? now : now + remaining + 1;
}
