import { describe, expect, it } from 'vitest';
import {
  deploymentComplete,
  deploymentTimedOut,
  madeProgress,
  newReplicaSetCreated,
  nextProgressCheck,
  syncProgressingCondition,
  type DeploymentCounts,
  type ProgressingCondition,
} from '../../sim/rollout/progress.js';

const counts = (replicas: number, updatedReplicas: number, readyReplicas: number, availableReplicas: number): DeploymentCounts => ({
  replicas,
  updatedReplicas,
  readyReplicas,
  availableReplicas,
});

describe('progress deadline (rollout-semantics.md §1.6)', () => {
  it('progress is more updated, fewer old, more ready or more available pods', () => {
    const base = counts(5, 2, 3, 3);
    expect(madeProgress(base, counts(5, 3, 3, 3))).toBe(true); // updated ↑
    expect(madeProgress(base, counts(4, 2, 3, 3))).toBe(true); // old (replicas − updated) ↓
    expect(madeProgress(base, counts(5, 2, 4, 3))).toBe(true); // ready ↑
    expect(madeProgress(base, counts(5, 2, 3, 4))).toBe(true); // available ↑
    expect(madeProgress(base, counts(6, 2, 3, 3))).toBe(false); // an extra old pod
    expect(madeProgress(base, counts(5, 2, 2, 2))).toBe(false); // pods went unready
  });

  it('complete means every desired pod updated and available, and no old pod left', () => {
    expect(deploymentComplete(4, counts(4, 4, 4, 4))).toBe(true);
    expect(deploymentComplete(4, counts(5, 4, 5, 5))).toBe(false);
    expect(deploymentComplete(4, counts(4, 4, 4, 3))).toBe(false);
  });

  it('times out strictly after lastUpdateTime + deadline; a stalled rollout keeps its timeout until progress', () => {
    const deadline = 600;
    let cond: ProgressingCondition | null = newReplicaSetCreated(null, 0);
    expect(cond).toEqual({ status: 'True', reason: 'NewReplicaSetCreated', lastUpdateTime: 0, lastTransitionTime: 0 });

    // Progress at t=100 moves lastUpdateTime, keeps lastTransitionTime.
    cond = syncProgressingCondition(cond, { desiredReplicas: 4, deadlineSeconds: deadline, before: counts(5, 1, 4, 4), after: counts(5, 2, 4, 4), now: 100 });
    expect(cond).toEqual({ status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: 100, lastTransitionTime: 0 });
    expect(nextProgressCheck(cond, deadline, false, 100)).toBe(701);

    const stuck = counts(5, 2, 4, 4);
    const at = (now: number) =>
      syncProgressingCondition(cond, { desiredReplicas: 4, deadlineSeconds: deadline, before: stuck, after: stuck, now });
    expect(at(700)).toBe(cond);
    expect(deploymentTimedOut(cond, deadline, 700)).toBe(false);
    expect(deploymentTimedOut(cond, deadline, 700.5)).toBe(true);
    cond = at(701);
    expect(cond).toEqual({ status: 'False', reason: 'ProgressDeadlineExceeded', lastUpdateTime: 701, lastTransitionTime: 701 });
    expect(nextProgressCheck(cond, deadline, false, 701)).toBeNull();
    expect(deploymentTimedOut(cond, deadline, 702)).toBe(true);

    // Progress after the timeout flips it back to True (new transition time) — there is no rollback.
    cond = syncProgressingCondition(cond, { desiredReplicas: 4, deadlineSeconds: deadline, before: stuck, after: counts(5, 3, 4, 4), now: 900 });
    expect(cond).toEqual({ status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: 900, lastTransitionTime: 900 });

    // Completion, then nothing more to watch.
    cond = syncProgressingCondition(cond, { desiredReplicas: 4, deadlineSeconds: deadline, before: counts(5, 3, 4, 4), after: counts(4, 4, 4, 4), now: 950 });
    expect(cond).toEqual({ status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: 950, lastTransitionTime: 900 });
    expect(deploymentTimedOut(cond, deadline, 10_000)).toBe(false);
    expect(nextProgressCheck(cond, deadline, true, 950)).toBeNull();
  });

  it('a Deployment without a deadline is never timed out nor given a condition', () => {
    expect(syncProgressingCondition(null, { desiredReplicas: 1, deadlineSeconds: null, before: counts(1, 0, 1, 1), after: counts(1, 1, 1, 1), now: 5 })).toBeNull();
    expect(deploymentTimedOut(newReplicaSetCreated(null, 0), null, 1e9)).toBe(false);
  });

  it('a past-due check is due now', () => {
    const cond = newReplicaSetCreated(null, 0);
    expect(nextProgressCheck(cond, 600, false, 599.5)).toBe(599.5);
    expect(nextProgressCheck(cond, 600, false, 300)).toBe(601);
  });
});
