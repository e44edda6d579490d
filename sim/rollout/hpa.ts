/**
 * The HorizontalPodAutoscaler's decision as Kubernetes computes it (pkg/controller/podautoscaler:
 * replica_calculator.go `calcPlainMetricReplicas`, `GetExternalMetricReplicas`, `GetExternalPerPodMetricReplicas`;
 * horizontal.go `stabilizeRecommendationWithBehaviors`, `convertDesiredReplicasWithBehaviorRate`,
 * `calculateScaleUpLimitWithScalingRules`, `calculateScaleDownLimitWithBehaviors`). Pure functions and one small
 * state object (the recommendations and scale events the controller keeps per HPA); the event-loop shell that
 * samples the servers lives in autoscaler-loop.ts.
 */

/** One metric read for a sync: the pods that report it, and the pods that do not (yet). */
export interface PodsMetricReading {
  /** The metric of each pod that reports it (listening, not terminating). */
  readonly values: readonly number[];
  /** Running pods without a metric yet (the server is not up): `missingPods`. */
  readonly missing: number;
  /** Pending pods (unscheduled or containers not started): `unreadyPods`. */
  readonly unready: number;
}

/**
 * calcPlainMetricReplicas for a Pods metric with an AverageValue target. Within the tolerance of the target the
 * HPA keeps `currentReplicas`; otherwise ceil(ratio · ready pods). Missing pods count as the target on a scale-down
 * and 0 on a scale-up, pending pods as 0 on a scale-up; if that flips the direction or lands within tolerance, no
 * change. null when no pod reports the metric (the HPA then does not act on it).
 * Example (the HPA docs): 1 replica at 200m against 100m ⇒ ratio 2.0 ⇒ 2 replicas.
 */
export function podsMetricReplicas(currentReplicas: number, reading: PodsMetricReading, target: number, tolerance: number): number | null {
  const { values, missing, unready } = reading;
  if (values.length === 0) return null;
  const sum = values.reduce((a, b) => a + b, 0);
  const ratio = sum / values.length / target;
  const scaleUpWithUnready = unready > 0 && ratio > 1;
  if (!scaleUpWithUnready && missing === 0) {
    if (Math.abs(1 - ratio) <= tolerance) return currentReplicas;
    return Math.ceil(ratio * values.length);
  }
  let total = sum;
  let count = values.length;
  if (missing > 0) {
    if (ratio < 1) total += missing * target;
    count += missing;
  }
  if (scaleUpWithUnready) count += unready;
  const newRatio = total / count / target;
  if (Math.abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return currentReplicas;
  const replicas = Math.ceil(newRatio * count);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return currentReplicas;
  return replicas;
}

/**
 * GetExternalMetricReplicas with a Value target (a fleet-wide figure such as a TTFT percentile): ratio =
 * value / target; within tolerance no change, else ceil(ratio · ready pods) (ceil(ratio) from zero pods).
 */
export function externalValueReplicas(currentReplicas: number, readyPods: number, value: number, target: number, tolerance: number): number {
  const ratio = value / target;
  if (currentReplicas === 0) return Math.ceil(ratio);
  if (Math.abs(1 - ratio) <= tolerance) return currentReplicas;
  return Math.ceil(ratio * readyPods);
}

/**
 * GetExternalPerPodMetricReplicas with an AverageValue target (KEDA's default metric type): the total divided by
 * the target per pod, unless total / (target · pods) is within tolerance of 1.
 * Example: 35 waiting requests, target 5 per pod, 5 pods ⇒ ratio 1.4 ⇒ ceil(35 / 5) = 7.
 */
export function externalAverageReplicas(statusReplicas: number, total: number, targetPerPod: number, tolerance: number): number {
  const ratio = total / (targetPerPod * statusReplicas);
  if (statusReplicas > 0 && Math.abs(1 - ratio) <= tolerance) return statusReplicas;
  return Math.ceil(total / targetPerPod);
}

export interface ScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  readonly policies: readonly ScalingPolicy[];
}

export interface Behavior {
  readonly scaleUp: ScalingRules;
  readonly scaleDown: ScalingRules;
}

/** autoscaling/v2 defaults (SetDefaults_HorizontalPodAutoscalerBehavior). */
export const DEFAULT_BEHAVIOR: Behavior = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 15 },
      { type: 'Pods', value: 4, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  },
};

/** --horizontal-pod-autoscaler-tolerance default. */
export const DEFAULT_TOLERANCE = 0.1;

interface Timestamped {
  readonly t: number;
  readonly value: number;
}

/** What the HPA controller remembers per HPA: past recommendations (stabilization) and scale events (policies). */
export class HpaMemory {
  readonly recommendations: Timestamped[] = [];
  readonly scaleUps: Timestamped[] = [];
  readonly scaleDowns: Timestamped[] = [];
}

/**
 * stabilizeRecommendationWithBehaviors: the recommendation is held between the lowest recommendation of the
 * scale-up window and the highest of the scale-down window (the current size when both allow it), and the raw
 * recommendation is recorded (over the oldest one both windows have left behind).
 */
export function stabilize(memory: HpaMemory, behavior: Behavior, now: number, currentReplicas: number, desired: number): number {
  const upCutoff = now - behavior.scaleUp.stabilizationWindowSeconds;
  const downCutoff = now - behavior.scaleDown.stabilizationWindowSeconds;
  let up = desired;
  let down = desired;
  let oldIndex = -1;
  for (const [i, rec] of memory.recommendations.entries()) {
    if (rec.t > upCutoff) up = Math.min(up, rec.value);
    if (rec.t > downCutoff) down = Math.max(down, rec.value);
    if (rec.t < upCutoff && rec.t < downCutoff) oldIndex = i;
  }
  const recommendation = Math.min(Math.max(currentReplicas, up), down);
  const entry = { t: now, value: desired };
  if (oldIndex >= 0) memory.recommendations[oldIndex] = entry;
  else memory.recommendations.push(entry);
  return recommendation;
}

function changeInPeriod(events: readonly Timestamped[], now: number, periodSeconds: number): number {
  let sum = 0;
  for (const e of events) if (e.t > now - periodSeconds) sum += e.value;
  return sum;
}

/** calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now (Max: the largest proposal). */
export function scaleUpLimit(memory: HpaMemory, rules: ScalingRules, now: number, currentReplicas: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const p of rules.policies) {
    const start = currentReplicas - changeInPeriod(memory.scaleUps, now, p.periodSeconds) + changeInPeriod(memory.scaleDowns, now, p.periodSeconds);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now (Max: the smallest proposal). */
export function scaleDownLimit(memory: HpaMemory, rules: ScalingRules, now: number, currentReplicas: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const p of rules.policies) {
    const start = currentReplicas - changeInPeriod(memory.scaleUps, now, p.periodSeconds) + changeInPeriod(memory.scaleDowns, now, p.periodSeconds);
    // int32(float64) truncates toward zero.
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

export interface HpaBounds {
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

/**
 * One HPA reconcile from the metrics' recommendation (the largest over the metrics; null: none could be computed)
 * to the replicas it writes: out-of-range sizes are clamped first, then stabilization and the rate policies
 * (normalizeDesiredReplicasWithBehaviors) within min/max; the change is recorded as a scale event.
 */
export function hpaDecision(
  memory: HpaMemory,
  behavior: Behavior,
  bounds: HpaBounds,
  now: number,
  currentReplicas: number,
  recommendation: number | null,
): number {
  let desired: number;
  if (currentReplicas > bounds.maxReplicas) desired = bounds.maxReplicas;
  else if (currentReplicas < bounds.minReplicas) desired = bounds.minReplicas;
  else if (recommendation === null) return currentReplicas;
  else desired = normalize(memory, behavior, bounds, now, currentReplicas, recommendation);
  recordScale(memory, behavior, now, currentReplicas, desired);
  return desired;
}

function normalize(memory: HpaMemory, behavior: Behavior, bounds: HpaBounds, now: number, current: number, raw: number): number {
  if (memory.recommendations.length === 0 && behavior.scaleDown.stabilizationWindowSeconds > 0) {
    memory.recommendations.push({ t: now, value: current });
  }
  const desired = stabilize(memory, behavior, now, current, raw);
  if (desired > current) {
    const limit = Math.max(scaleUpLimit(memory, behavior.scaleUp, now, current), current);
    return Math.min(desired, bounds.maxReplicas, limit);
  }
  if (desired < current) {
    const limit = Math.min(scaleDownLimit(memory, behavior.scaleDown, now, current), current);
    return Math.max(desired, bounds.minReplicas, limit);
  }
  return desired;
}

/** storeScaleEvent: remembered for the longest policy period of its direction. */
function recordScale(memory: HpaMemory, behavior: Behavior, now: number, before: number, after: number): void {
  if (after === before) return;
  const up = after > before;
  const events = up ? memory.scaleUps : memory.scaleDowns;
  const rules = up ? behavior.scaleUp : behavior.scaleDown;
  const keep = Math.max(0, ...rules.policies.map((p) => p.periodSeconds));
  for (let i = events.length - 1; i >= 0; i--) if (events[i].t <= now - keep) events.splice(i, 1);
  events.push({ t: now, value: Math.abs(after - before) });
}
