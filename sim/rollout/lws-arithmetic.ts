/**
 * The LeaderWorkerSet rolling update (kubernetes-sigs/lws, pkg/controllers/leaderworkerset_controller.go
 * `rollingUpdateParameters`, read at 060ab4d) as pure functions. LWS drives a *leader StatefulSet* whose ordinal
 * i is group i (leader i and its workers): it only writes the StatefulSet's `replicas` and
 * `updateStrategy.rollingUpdate.partition`, and the StatefulSet recreates the leaders at or above the partition
 * with the new revision (the pod controller then recreates their workers). Every count here is in *groups*.
 *
 * The ordinal mode's rules, in the controller's words:
 * - a template change starts a rollout at partition = replicas and, with maxSurge, bursts the StatefulSet to
 *   replicas + maxSurge: the surge groups take the highest ordinals and are born at the new revision;
 * - the partition steps down by up to `rollingStep` below the *contiguous* tail of ready, updated groups (a ready
 *   group behind an unready one does not count), never below `spec.partition`, and never moves back up;
 * - surge groups are reclaimed once the unready targets (ordinals < replicas not ready or not updated) are at most
 *   maxSurge: the StatefulSet keeps replicas + max(0, unready − maxUnavailable) groups.
 */
import { scaledValue, type IntOrPercent } from '../config/int-or-percent.js';
import type { GroupState, LeaderSts } from '../cluster/pod-group.js';

export type { GroupState, LeaderSts } from '../cluster/pod-group.js';

/** spec.rolloutStrategy.rollingUpdateConfiguration, with spec.replicas. */
export interface LwsRollingConfig {
  /** spec.replicas: groups. */
  readonly replicas: number;
  /** Default 1 (rounded down from a percentage). */
  readonly maxUnavailable: IntOrPercent;
  /** Default 0 (rounded up from a percentage, capped at replicas). */
  readonly maxSurge: IntOrPercent;
  /** Groups below this ordinal keep the old revision. Default 0. */
  readonly partition: number;
}

/** maxSurge and maxUnavailable in groups, as the controller scales them. */
export interface LwsBudgets {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  /** replicas + maxSurge. */
  readonly burstReplicas: number;
  /**
   * The leader StatefulSet's own maxUnavailable (maxUnavailable + maxSurge): how many groups the StatefulSet may
   * have down at once while it recreates the ones at or above the partition.
   */
  readonly stsMaxUnavailable: number;
}

export function lwsBudgets(c: LwsRollingConfig): LwsBudgets {
  const maxSurge = Math.min(scaledValue(c.maxSurge, c.replicas, true), c.replicas);
  const maxUnavailable = scaledValue(c.maxUnavailable, c.replicas, false);
  return { maxSurge, maxUnavailable, burstReplicas: c.replicas + maxSurge, stsMaxUnavailable: maxUnavailable + maxSurge };
}

/**
 * calculateRollingUpdateReplicas: the StatefulSet's size. While more targets are unready than maxSurge the whole
 * burst stays; then only the surge still needed to keep unavailability within maxUnavailable.
 * Example (replicas 4, surge 2, unavailable 2): 4 unready → 6; 2 unready → 4 (both surge groups reclaimed at once).
 */
export function rollingUpdateReplicas(replicas: number, maxSurge: number, maxUnavailable: number, unready: number): number {
  if (unready <= maxSurge) return replicas + Math.max(0, unready - maxUnavailable);
  return replicas + maxSurge;
}

/** calculateLWSUnreadyReplicas: target ordinals (< replicas) that are missing, unready or not yet updated. */
export function unreadyTargets(states: readonly GroupState[], replicas: number): number {
  let unready = 0;
  for (let i = 0; i < replicas; i++) {
    const s = states[i];
    if (s === undefined || !s.ready || !s.updated) unready++;
  }
  return unready;
}

/** calculateContinuousReadyReplicas: ready and updated groups counted from the highest ordinal down. */
export function contiguousReadyTail(states: readonly GroupState[]): number {
  let n = 0;
  for (let i = states.length - 1; i >= 0; i--) {
    if (!states[i].ready || !states[i].updated) break;
    n++;
  }
  return n;
}

/**
 * rollingUpdatePartition: step the partition down by up to `rollingStep` groups below the contiguous ready tail,
 * raised by the unready groups it would otherwise expose below it (so maxUnavailable holds), then lowered over
 * the groups just above that are unready or already updated (updating them costs no availability). Monotone:
 * never above `current`.
 */
export function rollingUpdatePartition(states: readonly GroupState[], rollingStep: number, current: number): number {
  const stsReplicas = states.length;
  const stepPartition = Math.max(0, stsReplicas - contiguousReadyTail(states) - rollingStep);
  let partition = stepPartition;
  for (let i = 0; i < stepPartition; i++) if (!states[i].ready) partition++;
  for (let i = Math.min(partition, stsReplicas - 1); i >= stepPartition; i--) {
    if (!states[i].ready || states[i].updated) partition = i;
    else break;
  }
  return Math.min(partition, current);
}

/** What the controller knows besides the groups' states. */
export interface LwsSyncInput {
  readonly config: LwsRollingConfig;
  /** The leader StatefulSet as it is; null before it exists. */
  readonly sts: LeaderSts | null;
  /** States of ordinals 0 .. sts.replicas − 1. */
  readonly states: readonly GroupState[];
  /** The template changed in this reconcile (a new revision was just created). */
  readonly templateChanged: boolean;
  /** spec.replicas when the rollout started (the StatefulSet's replicas annotation). */
  readonly replicasAtStart: number;
}

/**
 * rollingUpdateParameters: the leader StatefulSet's replicas and partition after one reconcile.
 * Trace of the LWS documentation (replicas 4, maxUnavailable 2, maxSurge 2), see test/rollout/lws-arithmetic.test.ts:
 * template change → {6, 4}; then {6, 2}; tail 4, 5 ready → {6, 0}; 2, 3 ready → {4, 0}.
 */
export function lwsRollingUpdateParameters(input: LwsSyncInput): LeaderSts {
  const { config: c, sts, states } = input;
  const floor = (s: LeaderSts): LeaderSts => ({ replicas: s.replicas, partition: Math.max(s.partition, c.partition) });
  if (sts === null) return floor({ replicas: c.replicas, partition: 0 });
  const b = lwsBudgets(c);
  const want = (unready: number): number => rollingUpdateReplicas(c.replicas, b.maxSurge, b.maxUnavailable, unready);
  if (input.templateChanged) {
    const partition = Math.min(c.replicas, sts.replicas);
    return floor({ replicas: sts.replicas < c.replicas ? c.replicas : want(c.replicas), partition });
  }
  if (sts.partition === 0 && sts.replicas === c.replicas) return floor({ replicas: c.replicas, partition: 0 });
  if (sts.replicas < c.replicas) return floor({ replicas: c.replicas, partition: sts.partition });
  const unready = unreadyTargets(states, c.replicas);
  if (input.replicasAtStart !== c.replicas) {
    return floor({ replicas: want(unready), partition: Math.min(sts.partition, b.burstReplicas) });
  }
  // Reclaiming surge groups makes them leave the step: rollingStep shrinks by the surge already given back.
  const rollingStep = b.maxUnavailable + b.maxSurge - (b.burstReplicas - sts.replicas);
  return floor({ replicas: want(unready), partition: rollingUpdatePartition(states, rollingStep, sts.partition) });
}

/** The rollout is done: partition 0, the StatefulSet back at spec.replicas, every target ready and updated. */
export function lwsRolloutComplete(c: LwsRollingConfig, sts: LeaderSts, states: readonly GroupState[]): boolean {
  return sts.partition === 0 && sts.replicas === c.replicas && unreadyTargets(states, c.replicas) === 0;
}
