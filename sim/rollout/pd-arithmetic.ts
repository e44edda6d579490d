/**
 * The arithmetic of a coordinated prefill/decode rollout, as LWS's DisaggregatedSet planner does it
 * (kubernetes-sigs/lws pkg/controllers/disaggregatedset/planner.go): one shared step index for every role, each
 * role at ⌈step × replicas / steps⌉ of its target, and as many steps as the role that needs the most at its batch.
 * Used by the group-level PdRollout document (pd-rollout.ts, LWS partitions) and the request-level run's
 * coordinated controllers (pd-controllers.ts, Deployment ReplicaSets; pd-lws-controller.ts, LWS partitions).
 */

export type PdRole = 'prefill' | 'decode';
export const PD_ROLES: readonly PdRole[] = ['prefill', 'decode'];

/** Replicas of a role on the new version after step `step` of `steps`: ⌈step × replicas / steps⌉ (0 at step 0). */
export function coordinatedTarget(replicas: number, steps: number, step: number): number {
  return Math.min(replicas, Math.ceil((step * replicas) / steps));
}

/** Replicas a role replaces per step: its surge, or without surge its unavailability (at least 1). */
export function rollingBatch(surge: number, unavailable: number): number {
  return surge > 0 ? surge : Math.max(1, unavailable);
}

/** Steps of the coordinated rollout: the most any role needs, replacing `batch` replicas a step. */
export function coordinatedStepCount(roles: readonly { readonly replicas: number; readonly batch: number }[]): number {
  let steps = 0;
  for (const { replicas, batch } of roles) steps = Math.max(steps, Math.ceil(replicas / batch));
  return steps;
}
