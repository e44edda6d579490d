/**
 * Replica arithmetic of the Argo Rollouts canary strategy (rollout-semantics.md §3.3; argo-rollouts
 * utils/replicaset/canary.go). Pure functions: the canary controller feeds in the spec and status it sees and
 * applies the counts returned.
 */
import { ARGO_ROLLOUT_DEFAULTS } from '../config/upstream-defaults.js';
import { maxSurge, minAvailable, type RollingUpdateParams } from './fenceposts.js';

export interface CanaryCounts {
  readonly canary: number;
  readonly stable: number;
}

/** What the canary arithmetic reads of a ReplicaSet. */
export interface RsCounts {
  readonly spec: number;
  readonly available: number;
}

/**
 * The fields of a canary step this arithmetic needs; the scenario schema owns the full step type (strategy-schema
 * `CanaryStep`). The index signature lets the other step kinds (pause, analysis) pass through.
 */
export interface CanaryStepLike {
  readonly [field: string]: unknown;
  readonly setWeight?: number;
  readonly setCanaryScale?: {
    readonly replicas?: number;
    readonly weight?: number;
    readonly matchTrafficWeight?: boolean;
  };
}

/**
 * GetCurrentSetWeight: 0 once aborted; 100 when there are no steps left (index past the last step, or no steps at
 * all); otherwise the last setWeight at or before the current step, 0 if none yet.
 * Example: steps [setWeight 20, pause, setWeight 50, pause] at index 1 ⇒ 20; at index 4 ⇒ 100.
 */
export function currentSetWeight(steps: readonly CanaryStepLike[], index: number, aborted: boolean): number {
  if (aborted) return 0;
  if (index >= steps.length) return 100;
  for (let i = index; i >= 0; i--) {
    const weight = steps[i].setWeight;
    if (weight !== undefined) return weight;
  }
  return 0;
}

/**
 * How an abort treats a traffic-routed canary (Argo GetAbortScaleDownDelaySecondsOrDefault): `delaySeconds` null
 * means "leave the canary up" (abortScaleDownDelaySeconds written as 0); `explicit` whether the field was written
 * at all — an unset field means 30 s, but only a written delay keeps the canary's size from holding the abort
 * weight up under dynamicStableScale (see desiredCanaryWeight). Without traffic routing the delay does not apply.
 */
export interface AbortScaleDown {
  readonly delaySeconds: number | null;
  readonly explicit: boolean;
}

export function abortScaleDown(trafficRouted: boolean, configured: number | undefined): AbortScaleDown {
  if (!trafficRouted) return { delaySeconds: 0, explicit: false };
  if (configured === undefined) return { delaySeconds: ARGO_ROLLOUT_DEFAULTS.abortScaleDownDelaySeconds, explicit: false };
  return { delaySeconds: configured === 0 ? null : configured, explicit: true };
}

/**
 * UseSetCanaryScale: the setCanaryScale in force at `index` (the last one at or before it), or null when none is,
 * when a later-looking matchTrafficWeight cancels it, or without traffic routing (where setCanaryScale is ignored).
 * An abort cancels it too, unless the canary is to be left up (abortScaleDownDelaySeconds: 0) — then its explicit
 * size still holds.
 */
export function activeSetCanaryScale(
  steps: readonly CanaryStepLike[],
  index: number,
  trafficRouted: boolean,
  abortCancels = false,
): CanaryStepLike['setCanaryScale'] | null {
  if (!trafficRouted || abortCancels || index >= steps.length) return null;
  for (let i = index; i >= 0; i--) {
    const scale = steps[i].setCanaryScale;
    if (scale === undefined) continue;
    return scale.matchTrafficWeight ? null : scale;
  }
  return null;
}

/** Where a canary rollout stands: what the weight functions read of its spec and status. */
export interface CanaryPosition {
  readonly replicas: number;
  readonly steps: readonly CanaryStepLike[];
  readonly index: number;
  readonly aborted: boolean;
  readonly trafficRouted: boolean;
  readonly dynamicStableScale: boolean;
  readonly abortScaleDown: AbortScaleDown;
  /** The canary and stable ReplicaSets; null when absent (the stable also when it is the canary itself). */
  readonly canary: RsCounts | null;
  readonly stable: RsCounts | null;
  /**
   * Go straight to 100%: status.promoteFull, or no stable ReplicaSet recorded apart from the canary (a first
   * rollout). Distinct from `stable` being null, which only says the ReplicaSet object is not there.
   */
  readonly fullWeight?: boolean;
}

/**
 * GetDesiredCanaryWeight. Normally the current setWeight. During an abort with dynamicStableScale the canary is
 * walked back down the setWeight steps in reverse instead of dropped to 0 at once, so the stable comes back one
 * step at a time (no surge of stable pods): the weight is the last setWeight step whose pod count is below the
 * canary's current size, 0 when none is. That size is the larger of what the stable has not yet taken over
 * (replicas − stable available) and the canary's available pods — unless abortScaleDownDelaySeconds was written
 * (non-zero): then the canary stays at full size until its deadline, so only the stable's progress counts, or the
 * abort would deadlock below the smallest step.
 * Example (replicas 10, steps 20, 60; stable 4 available, canary 6): 60 → 6 pods is not below 6, 20 → 2 is ⇒ 20.
 */
export function desiredCanaryWeight(p: CanaryPosition): number {
  if (!(p.aborted && p.dynamicStableScale && p.canary !== null && p.stable !== null)) {
    return currentSetWeight(p.steps, p.index, p.aborted);
  }
  const notYetOnStable = p.replicas - p.stable.available;
  const holdsWeight = p.abortScaleDown.explicit && p.abortScaleDown.delaySeconds !== null;
  const canarySize = holdsWeight ? notYetOnStable : Math.max(notYetOnStable, p.canary.available);
  for (let i = p.steps.length - 1; i >= 0; i--) {
    const weight = p.steps[i].setWeight;
    if (weight !== undefined && trafficWeightToReplicas(p.replicas, weight) < canarySize) return weight;
  }
  return 0;
}

/**
 * GetCanaryReplicasOrWeight: the explicit canary size of an active setCanaryScale.replicas (with weight 0, so a
 * dynamically scaled stable stays full), or the weight to size by — 100 on a full promotion or without a distinct
 * stable ReplicaSet, an active setCanaryScale.weight, else desiredCanaryWeight.
 */
export function canaryReplicasOrWeight(p: CanaryPosition): { readonly replicas: number | null; readonly weight: number } {
  if (p.fullWeight) return { replicas: null, weight: 100 };
  const abortCancels = p.aborted && p.abortScaleDown.delaySeconds !== null;
  const scale = activeSetCanaryScale(p.steps, p.index, p.trafficRouted, abortCancels);
  if (scale?.replicas !== undefined) return { replicas: scale.replicas, weight: 0 };
  if (scale?.weight !== undefined) return { replicas: null, weight: scale.weight };
  return { replicas: null, weight: desiredCanaryWeight(p) };
}

/**
 * calculateDesiredWeightOnAbortOrStableRollback: the gateway weight during an abort. Without dynamicStableScale
 * (or with nothing to walk back) it is 0 at once. With it, the weight follows desiredCanaryWeight but never rises
 * again, and it holds while the stable is still scaling up to carry its share: the canary is only scaled down
 * once traffic has left it, so traffic must not leave it before the stable can take it.
 */
export function abortRoutedWeight(p: CanaryPosition, routedWeight: number): number {
  if (!p.dynamicStableScale || p.canary === null || p.stable === null || p.replicas === 0) return 0;
  const desired = desiredCanaryWeight(p);
  const stableShare = Math.floor((100 * p.stable.available) / p.replicas);
  if (desired <= 0) return Math.min(Math.max(0, 100 - stableShare), routedWeight);
  if (stableShare < 100 - desired) return routedWeight;
  return Math.min(desired, routedWeight);
}

/** |canary/total − weight| in percentage points: how far a split is from the wanted weight. */
function weightDelta(weight: number, canary: number, total: number): number {
  return Math.abs((canary * 100) / total - weight);
}

/**
 * floorCeilingTied: whether rounding total·weight down or up is equally far from the weight (fraction exactly
 * .5), e.g. 3 replicas at 50% ⇒ 1 (33%) and 2 (67%) are tied; the floor option is then dropped so the larger
 * canary wins. Uses the same float expression as Argo so ties are found in the same cases.
 */
function floorCeilingTied(weight: number, total: number): boolean {
  const x = total * (weight / 100);
  return x - Math.trunc(x) === 0.5;
}

/**
 * approximateWeightedCanaryStableReplicaCounts: the (canary, stable) split of a basic canary (no traffic
 * router: the split of pods IS the split of traffic) closest to `weight`, over `replicas` pods or, when surge is
 * allowed, replicas + 1. For a weight strictly between 0 and 100 neither side drops to 0 unless there is a
 * single replica and no surge. The first candidate wins ties.
 * Example (replicas 4, maxSurge 1): 10% ⇒ candidates 1/4 (25%) and 1/5 (20%) ⇒ (1, 4) — one surge pod.
 */
export function approximateWeightedCanaryStableReplicaCounts(
  replicas: number,
  weight: number,
  surge: number,
): CanaryCounts {
  if (replicas === 0) return { canary: 0, stable: 0 };
  const ceil = Math.ceil((replicas * weight) / 100);
  const floor = Math.floor((replicas * weight) / 100);
  const zeroAllowed = weight === 100 || weight === 0 || (replicas === 1 && surge === 0);
  const options: { canary: number; total: number }[] = [];
  if (ceil < replicas || zeroAllowed) options.push({ canary: ceil, total: replicas });
  if (!floorCeilingTied(weight, replicas) && (floor !== 0 || zeroAllowed)) options.push({ canary: floor, total: replicas });
  if (surge > 0) {
    options.push({ canary: ceil, total: replicas + 1 });
    if (!floorCeilingTied(weight, replicas + 1) && (floor !== 0 || zeroAllowed)) {
      options.push({ canary: floor, total: replicas + 1 });
    }
  }
  if (options.length === 0) return { canary: 0, stable: replicas }; // Argo: "should not get here"
  let best = options[0];
  for (const option of options) {
    if (weightDelta(weight, option.canary, option.total) < weightDelta(weight, best.canary, best.total)) best = option;
  }
  return { canary: best.canary, stable: best.total - best.canary };
}

/**
 * GetReplicasForScaleDown: the pods of `rs` that count as available while deciding how far to scale down.
 * The spec when it is below status (those extra pods are already going away), the spec too when availability is
 * ignored (the side being drained: its pods may be unavailable, e.g. crash-looping, and must still be removable),
 * else status.availableReplicas.
 */
export function replicasForScaleDown(rs: RsCounts | null, ignoreAvailability: boolean): number {
  if (rs === null) return 0;
  if (rs.spec < rs.available || ignoreAvailability) return rs.spec;
  return rs.available;
}

/** calculateScaleDownReplicaCount: shrink the drained side by up to `scaleDown`, never below its desired count. */
function scaleDownToward(rs: RsCounts | null, desired: number, scaleDown: number, current: number): number {
  if (rs !== null && rs.spec > desired) return Math.max(desired, rs.spec - scaleDown);
  return current;
}

/**
 * adjustReplicaWithinLimits: after the drained side was shrunk, trim the other ("adjusted") side so the total
 * stays ≤ maxAllowed, give back to it what that trim would cost below minAvailable, and take any remaining
 * excess from the drained side. Returns the (drained, adjusted) counts.
 * Example: drained 9 (9 available), adjusted 1 (0 available), maxAllowed 11, minAvailable 9 ⇒ unchanged (9, 1).
 */
function adjustReplicaWithinLimits(
  drainRS: RsCounts | null,
  adjustRS: RsCounts | null,
  drainCount: number,
  adjustCount: number,
  maxAllowed: number,
  minAvailableCount: number,
): [number, number] {
  if (adjustRS === null) return [drainCount, adjustCount];
  let available = drainRS === null ? 0 : Math.min(drainRS.available, drainCount);
  let adjusted = adjustCount - Math.max(0, adjustCount + drainCount - maxAllowed);
  available += Math.min(adjustRS.available, adjusted);
  const availabilityLostByTrim = Math.max(0, adjustRS.available - adjusted);
  const availabilityNeeded = Math.max(0, minAvailableCount - available);
  adjusted += Math.min(availabilityLostByTrim, availabilityNeeded);
  const drained = drainCount - Math.max(0, adjusted + drainCount - maxAllowed);
  return [drained, adjusted];
}

/** Inputs of one basic-canary scaling decision. */
export interface BasicCanaryInput {
  /** replicas and the canary strategy's maxSurge/maxUnavailable. */
  readonly rollout: RollingUpdateParams;
  /** Canary weight now wanted: currentSetWeight(...), or 100 when fully promoting. */
  readonly weight: number;
  /** The new (canary) ReplicaSet, null before it exists. */
  readonly canary: RsCounts | null;
  /** The stable ReplicaSet; null when there is none or it is the canary itself (then the canary goes to 100%). */
  readonly stable: RsCounts | null;
  /** Σ spec over ReplicaSets older than both (earlier aborted or superseded revisions). */
  readonly olderSpec: number;
}

/**
 * CalculateReplicaCountsForBasicCanary: the (canary, stable) spec.replicas to set now, moving toward the split
 * of approximateWeightedCanaryStableReplicaCounts within the rollout's surge and availability budgets.
 * 1. Scale up, stable first, into the room under replicas + maxSurge (Σ spec of all ReplicaSets).
 * 2. If older ReplicaSets still have pods, stop: they are scaled down first (elsewhere).
 * 3. Scale down only what availability above minAvailable allows, from the side being drained — the stable
 *    when the canary grows, the canary when it shrinks (abort) — whose own availability is ignored.
 * Examples from the Argo source (stable 10 all available, canary 0):
 *   replicas 10, 10%, surge 1/unavailable 1 ⇒ (1, 9);  30%, surge 3/unavailable 0 ⇒ (3, 10);
 *   30%, surge 0/unavailable 5 ⇒ (0, 7);  replicas 1 (stable 1), 5% or 95%, surge 1/unavailable 0 ⇒ (1, 1).
 */
export function calculateReplicaCountsForBasicCanary(input: BasicCanaryInput): CanaryCounts {
  const { rollout, canary, stable } = input;
  const replicas = rollout.replicas;
  const surge = maxSurge(rollout);
  const desired =
    stable === null
      ? { canary: replicas, stable: 0 }
      : approximateWeightedCanaryStableReplicaCounts(replicas, input.weight, surge);

  let canaryCount = canary === null ? 0 : canary.spec;
  let stableCount = stable === null ? 0 : stable.spec;
  const maxAllowed = replicas + surge;
  let scaleUp = maxAllowed - (input.olderSpec + canaryCount + stableCount);

  if (stable !== null && stable.spec < desired.stable && scaleUp > 0) {
    stableCount = Math.min(stable.spec + scaleUp, desired.stable);
    scaleUp -= stableCount - stable.spec;
  }
  if (canary !== null && canary.spec < desired.canary && scaleUp > 0) {
    canaryCount = Math.min(canary.spec + scaleUp, desired.canary);
  }
  if (input.olderSpec > 0) return { canary: canaryCount, stable: stableCount };

  const floor = minAvailable(rollout);
  const increasing = canary === null || desired.canary >= canary.spec;
  const countedAvailable = replicasForScaleDown(canary, !increasing) + replicasForScaleDown(stable, increasing);
  if (countedAvailable <= floor) return { canary: canaryCount, stable: stableCount };

  const scaleDown = countedAvailable - floor;
  if (!increasing) {
    canaryCount = scaleDownToward(canary, desired.canary, scaleDown, canaryCount);
    [canaryCount, stableCount] = adjustReplicaWithinLimits(canary, stable, canaryCount, stableCount, maxAllowed, floor);
  } else if (stable !== null) {
    stableCount = scaleDownToward(stable, desired.stable, scaleDown, stableCount);
    [stableCount, canaryCount] = adjustReplicaWithinLimits(stable, canary, stableCount, canaryCount, maxAllowed, floor);
  }
  return { canary: canaryCount, stable: stableCount };
}

/**
 * trafficWeightToReplicas: pods needed to serve `weight`% of the traffic of a `replicas`-pod fleet, rounded up so
 * any non-zero weight gets a pod. Example: replicas 10, weight 5 ⇒ 1.
 */
export function trafficWeightToReplicas(replicas: number, weight: number): number {
  return Math.ceil((weight * replicas) / 100);
}

/** Inputs of a traffic-routed canary's scaling decision. */
export interface TrafficRoutedCanaryInput {
  readonly replicas: number;
  /** The weight to size by (canaryReplicasOrWeight). */
  readonly weight: number;
  /** An active setCanaryScale.replicas: an explicit canary size that ignores the weight. */
  readonly canaryReplicasOverride?: number;
  readonly dynamicStableScale: boolean;
  /** Traffic weights the router is actually applying now, when known. */
  readonly currentWeights?: { readonly canary: number; readonly stable: number };
  readonly aborted: boolean;
  /** minPodsPerReplicaSet: a floor for any side that is not scaled to zero. */
  readonly minPodsPerReplicaSet?: number;
}

/**
 * CheckMinPodsPerReplicaSet: a side that is not scaled to zero gets at least minPodsPerReplicaSet pods, capped at
 * replicas (a floor above the fleet's size could never be met and would make the controller loop).
 * Example: replicas 1, minPodsPerReplicaSet 2, canary 1 ⇒ 1.
 */
function atLeastMinPods(count: number, minPods: number | undefined, replicas: number): number {
  return count === 0 || minPods === undefined ? count : Math.max(count, Math.min(minPods, replicas));
}

/**
 * CalculateReplicaCountsForTrafficRoutedCanary. The router, not the pod split, sets the traffic, so the canary
 * gets ceil(replicas·weight/100) pods and the stable stays at full size — no maxSurge bound, the fleet can reach
 * 2× replicas. With dynamicStableScale the stable shrinks to the larger of the wanted and the currently routed
 * stable share (it must keep serving its traffic until the router has moved it), and during an abort the canary
 * likewise keeps the pods for the traffic it still receives.
 * Example: replicas 10, weight 30, dynamicStableScale, router still at 90/10 ⇒ canary 3, stable max(7, 9) = 9.
 */
export function trafficRoutedReplicaCounts(input: TrafficRoutedCanaryInput): CanaryCounts {
  const { replicas, minPodsPerReplicaSet: minPods } = input;
  let canary =
    input.canaryReplicasOverride ?? atLeastMinPods(trafficWeightToReplicas(replicas, input.weight), minPods, replicas);
  if (!input.dynamicStableScale) return { canary, stable: replicas };

  let stable = trafficWeightToReplicas(replicas, 100 - input.weight);
  if (input.currentWeights) {
    stable = Math.max(stable, trafficWeightToReplicas(replicas, input.currentWeights.stable));
    if (input.aborted) canary = Math.max(canary, trafficWeightToReplicas(replicas, input.currentWeights.canary));
  }
  return { canary: atLeastMinPods(canary, minPods, replicas), stable: atLeastMinPods(stable, minPods, replicas) };
}
