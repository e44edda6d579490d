/**
 * The HPA (and KEDA's operator) as events on the run's loop: every syncPeriod the HPA reads the metrics scraped
 * metricsDelay earlier from the workload's pods, decides with hpa.ts and writes spec.replicas through the workload
 * (the rollout controller, which resizes its ReplicaSets as Kubernetes or Argo would). With KEDA, its operator
 * polls the trigger every pollingInterval and owns the 0 ↔ 1 step (activation, cooldown).
 */
import type { Pod } from '../cluster/pod.js';
import type { Simulator } from '../engine/simulator.js';
import type { AutoscalingMetric, AutoscalingSpec } from './autoscaling-schema.js';
import {
  externalAverageReplicas,
  externalValueReplicas,
  hpaDecision,
  HpaMemory,
  podsMetricReplicas,
  type PodsMetricReading,
} from './hpa.js';

/** What the autoscaler acts on: the workload's pods, its scale subresource, the fleet's TTFT. */
export interface AutoscaledWorkload {
  pods(): readonly Pod[];
  /** Writes spec.replicas. */
  scale(replicas: number): void;
  /** p95 time to first token of the requests that got one in [from, to), seconds; null when none did. */
  ttftP95(from: number, to: number): number | null;
  /** Requests held in the gateway's central queue: what KEDA's trigger sees of a workload scaled to zero. */
  gatewayQueued(): number;
}

/** One scrape: each metric's reading, in the order of spec.metrics. */
interface Scrape {
  readonly readings: readonly (PodsMetricReading | number | null)[];
  /** Pods counted by the Deployment's status.replicas (not terminating). */
  readonly statusReplicas: number;
  readonly readyPods: number;
}

/** What the autoscaler did over the run (the summary's `autoscaling`). */
export interface AutoscalingStats {
  readonly minDesired: number;
  readonly maxDesired: number;
  /** Writes of spec.replicas that raised or lowered it. */
  readonly scaleUps: number;
  readonly scaleDowns: number;
  /** spec.replicas when the rollout started, and its largest value while it ran; null without a rollout. */
  readonly desiredAtRolloutStart: number | null;
  readonly maxDesiredDuringRollout: number | null;
}

export class HorizontalAutoscaler {
  /** spec.replicas as last written (the HPA's currentReplicas). */
  desired: number;
  private minDesired: number;
  private maxDesired: number;
  private scaleUps = 0;
  private scaleDowns = 0;
  /** Every write of spec.replicas, in time order, after the initial size at 0. */
  private readonly history: { t: number; replicas: number }[];
  private readonly memory = new HpaMemory();
  private readonly inFlight: Scrape[] = [];
  private readonly scrapeHandler: number;
  private readonly decideHandler: number;
  private readonly pollHandler: number;
  private lastActiveAt = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly spec: AutoscalingSpec,
    initialReplicas: number,
    private readonly workload: AutoscaledWorkload,
    private readonly end: number,
  ) {
    this.desired = initialReplicas;
    this.minDesired = initialReplicas;
    this.maxDesired = initialReplicas;
    this.history = [{ t: 0, replicas: initialReplicas }];
    this.scrapeHandler = sim.handler(() => this.scrape());
    this.decideHandler = sim.handler(() => this.decide());
    this.pollHandler = sim.handler(() => this.pollKeda());
    // Sync k happens at k·syncPeriod and reads what was scraped metricsDelay before it (syncs before the first
    // scrape have nothing to read).
    const { syncPeriod, metricsDelay } = spec;
    const firstSync = Math.max(1, Math.ceil(metricsDelay / syncPeriod)) * syncPeriod;
    if (firstSync <= end) sim.at(firstSync - metricsDelay, this.scrapeHandler);
    if (spec.keda && spec.keda.pollingInterval <= end) sim.at(spec.keda.pollingInterval, this.pollHandler);
  }

  stats(rolloutStart: number | null, rolloutEnd: number | null): AutoscalingStats {
    let atStart: number | null = null;
    let maxDuring: number | null = null;
    if (rolloutStart !== null) {
      const end = rolloutEnd ?? Infinity;
      for (const { t, replicas } of this.history) {
        if (t <= rolloutStart) atStart = replicas;
        else if (t <= end) maxDuring = Math.max(maxDuring ?? 0, replicas);
      }
      maxDuring = Math.max(maxDuring ?? 0, atStart ?? 0);
    }
    return {
      minDesired: this.minDesired,
      maxDesired: this.maxDesired,
      scaleUps: this.scaleUps,
      scaleDowns: this.scaleDowns,
      desiredAtRolloutStart: atStart,
      maxDesiredDuringRollout: maxDuring,
    };
  }

  private scrape(): void {
    const pods = this.workload.pods();
    let statusReplicas = 0;
    let readyPods = 0;
    for (const pod of pods) {
      if (!pod.active) continue;
      statusReplicas++;
      if (pod.ready) readyPods++;
    }
    const now = this.sim.now;
    const readings = this.spec.metrics.map((m) => (m.type === 'ttftP95' ? this.workload.ttftP95(now - m.window, now) : podsReading(pods, m)));
    this.inFlight.push({ readings, statusReplicas, readyPods });
    this.sim.after(this.spec.metricsDelay, this.decideHandler);
    if (now + this.spec.syncPeriod + this.spec.metricsDelay <= this.end) this.sim.after(this.spec.syncPeriod, this.scrapeHandler);
  }

  /** One HPA reconcile: the largest recommendation over the metrics, normalized, written. */
  private decide(): void {
    const scrape = this.inFlight.shift();
    if (!scrape) return;
    const { spec } = this;
    const current = this.desired;
    // KEDA's HPA scales 1..max; the operator alone moves to and from 0 (an HPA of a workload at 0 is idle).
    if (current === 0 && spec.minReplicas === 0) return;
    let recommendation: number | null = null;
    for (const [i, metric] of spec.metrics.entries()) {
      const r = this.recommend(metric, scrape.readings[i], scrape, current);
      if (r !== null) recommendation = recommendation === null ? r : Math.max(recommendation, r);
    }
    const bounds = { minReplicas: Math.max(1, spec.minReplicas), maxReplicas: spec.maxReplicas };
    this.write(hpaDecision(this.memory, spec.behavior, bounds, this.sim.now, current, recommendation));
  }

  private recommend(metric: AutoscalingMetric, reading: PodsMetricReading | number | null, scrape: Scrape, current: number): number | null {
    if (reading === null) return null;
    const tolerance = this.spec.tolerance;
    if (metric.type === 'ttftP95') {
      return externalValueReplicas(current, scrape.readyPods, reading as number, metric.value, tolerance);
    }
    const pods = reading as PodsMetricReading;
    if (this.spec.keda) {
      const total = pods.values.reduce((a, b) => a + b, 0);
      return externalAverageReplicas(scrape.statusReplicas, total, metric.averageValue, tolerance);
    }
    return podsMetricReplicas(current, pods, metric.averageValue, tolerance);
  }

  /** KEDA's operator: the trigger above activationThreshold activates (0 → 1); inactive past cooldown → min. */
  private pollKeda(): void {
    const keda = this.spec.keda;
    if (!keda) return;
    const now = this.sim.now;
    if (now + keda.pollingInterval <= this.end) this.sim.after(keda.pollingInterval, this.pollHandler);
    const metric = this.spec.metrics[0];
    if (metric.type === 'ttftP95') return;
    const total = podsReading(this.workload.pods(), metric).values.reduce((a, b) => a + b, 0) + this.workload.gatewayQueued();
    if (total > keda.activationThreshold) {
      this.lastActiveAt = now;
      if (this.desired === 0) this.write(Math.max(1, this.spec.minReplicas));
    } else if (this.spec.minReplicas === 0 && this.desired > 0 && now - this.lastActiveAt >= keda.cooldownPeriod) {
      this.write(0);
    }
  }

  private write(replicas: number): void {
    if (replicas === this.desired) return;
    if (replicas > this.desired) this.scaleUps++;
    else this.scaleDowns++;
    this.desired = replicas;
    this.minDesired = Math.min(this.minDesired, replicas);
    this.maxDesired = Math.max(this.maxDesired, replicas);
    this.history.push({ t: this.sim.now, replicas });
    this.workload.scale(replicas);
  }
}

/** A per-pod metric over the workload's pods: pending pods are unready, pods whose server is not up are missing. */
function podsReading(pods: readonly Pod[], metric: AutoscalingMetric & { type: 'waiting' | 'running' | 'kvCacheUsage' }): PodsMetricReading {
  const values: number[] = [];
  let missing = 0;
  let unready = 0;
  for (const pod of pods) {
    if (!pod.active) continue;
    if (pod.rankPhase === 'Pending') unready++;
    else if (!pod.listening || pod.server === null) missing++;
    else values.push(metric.type === 'waiting' ? pod.server.waitingCount() : metric.type === 'running' ? pod.server.runningCount() : pod.server.kvUsage());
  }
  return { values, missing, unready };
}
