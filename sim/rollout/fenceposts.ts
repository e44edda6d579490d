/**
 * Surge and unavailability budgets of a rolling update (rollout-semantics.md §1.2), shared by the Kubernetes
 * Deployment RollingUpdate and the Argo Rollouts canary, which resolves its maxSurge/maxUnavailable the same way
 * (§3.1). Mirrors k8s util/deployment_util.go `ResolveFenceposts`, `MaxSurge`, `MaxUnavailable`.
 */
import { scaledValue, type IntOrPercent } from '../config/int-or-percent.js';

/** What the budget functions need from a Deployment (or an Argo canary strategy). */
export interface RollingUpdateParams {
  readonly replicas: number;
  readonly maxSurge: IntOrPercent;
  readonly maxUnavailable: IntOrPercent;
}

export interface Fenceposts {
  readonly surge: number;
  readonly unavailable: number;
}

/**
 * Surge rounds UP and unavailability rounds DOWN, so percentages never shrink the surge budget to nothing nor
 * overshoot availability. When both resolve to 0 (only reachable through rounding, e.g. replicas 2 with
 * maxSurge 0% and maxUnavailable 25% → floor(0.5) = 0) unavailability becomes 1, or the rollout could never move:
 * the Kubernetes comment says "surge might not work due to quota".
 * Examples: replicas 4 @25%/25% → (1,1); replicas 10 → (3,2); replicas 1 → (1,0).
 */
export function resolveFenceposts(
  maxSurge: IntOrPercent | undefined,
  maxUnavailable: IntOrPercent | undefined,
  replicas: number,
): Fenceposts {
  const surge = maxSurge ? scaledValue(maxSurge, replicas, true) : 0;
  const unavailable = maxUnavailable ? scaledValue(maxUnavailable, replicas, false) : 0;
  if (surge === 0 && unavailable === 0) return { surge: 0, unavailable: 1 };
  return { surge, unavailable };
}

/** How many pods above `replicas` the controller may create. */
export function maxSurge(d: RollingUpdateParams): number {
  return resolveFenceposts(d.maxSurge, d.maxUnavailable, d.replicas).surge;
}

/**
 * How many of `replicas` may be unavailable. Capped at `replicas` (an int budget larger than the fleet means
 * "all of it"), and 0 for an empty Deployment so the both-zero rule cannot invent a budget out of nothing.
 */
export function maxUnavailable(d: RollingUpdateParams): number {
  if (d.replicas === 0) return 0;
  return Math.min(resolveFenceposts(d.maxSurge, d.maxUnavailable, d.replicas).unavailable, d.replicas);
}

/** The availability floor the controllers keep: replicas − maxUnavailable. */
export function minAvailable(d: RollingUpdateParams): number {
  return d.replicas - maxUnavailable(d);
}

/**
 * The API-server validation of rolling budgets (apps validation `ValidateRollingUpdateDeployment`; Argo validates
 * a canary's alike): maxUnavailable at most 100%, and not both explicitly zero — the both-zero fallback of
 * `resolveFenceposts` is only for values that round to zero. What is wrong with maxUnavailable (its value is
 * shown by the caller), or null. The scenario schema and the manifest importer both ask it; the controllers
 * trust the result.
 */
export function rollingBudgetProblem(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent): string | null {
  if (maxUnavailable.kind === 'percent' && maxUnavailable.value > 100) return 'must not be more than 100%';
  if (maxSurge.value === 0 && maxUnavailable.value === 0) return 'may not be 0 when maxSurge is 0: the rollout could never replace a pod (give one of them a value)';
  return null;
}
