import type { ReplicaSet } from '../cluster/replicaset.js';
import { AbortScaleDownDeadline } from './abort-deadline.js';
import type { AnalysisMetric } from './analysis-schema.js';
import { AnalysisRunner } from './analysis-runner.js';
import {
  abortRoutedWeight,
  abortScaleDown,
  activeSetCanaryScale,
  calculateReplicaCountsForBasicCanary,
  canaryReplicasOrWeight,
  currentSetWeight,
  trafficRoutedReplicaCounts,
  type AbortScaleDown,
  type CanaryCounts,
  type CanaryPosition,
} from './canary-arithmetic.js';
import { ControllerBase } from './controller.js';
import { StepGate } from './step-gate.js';
import type { IntOrPercent } from '../config/int-or-percent.js';
import type { RolloutHost } from './host.js';
import type { CanaryStep } from './strategy-schema.js';

export interface CanaryParams {
  replicas: number;
  steps: readonly CanaryStep[];
  maxSurge: IntOrPercent;
  maxUnavailable: IntOrPercent;
  trafficRouting: boolean;
  dynamicStableScale: boolean;
  scaleDownDelaySeconds: number;
  /** As written; undefined when unset (30 s, but not "explicit": see AbortScaleDown). */
  abortScaleDownDelaySeconds: number | undefined;
  minPodsPerReplicaSet: number | undefined;
  /** Metrics of each analysis step, by step index, and of the background analysis. */
  stepAnalyses: ReadonlyMap<number, AnalysisMetric[]>;
  backgroundAnalysis: AnalysisMetric[] | null;
}

/**
 * Argo Rollouts canary (rollout-semantics.md §3.3). Each sync scales the stable ReplicaSet first, then the canary,
 * toward the counts of the current step (basic canary: the pod split is the traffic split, within maxSurge /
 * maxUnavailable; traffic-routed: canary = ceil(R·w/100), stable full unless dynamicStableScale), moves the
 * router's weight only once the canary has its pods, and advances a step when it is complete. After the last
 * step the canary is promoted to stable; with traffic routing the old stable is kept scaleDownDelaySeconds.
 * An abort routes traffic back (with dynamicStableScale step by step, backwards through the setWeight steps) and,
 * with traffic routing, keeps the canary up until the stable is back at full size plus abortScaleDownDelaySeconds.
 */
export class CanaryController extends ControllerBase {
  readonly strategy = 'canary';
  private canary: ReplicaSet | null = null;
  private stepIndex = 0;
  private readonly gate: StepGate;
  private background: AnalysisRunner | null = null;
  /** Canary weight the gateway applies (traffic routing only). */
  private routedWeight = 0;
  private promotedAt: number | null = null;
  private readonly abortScaleDown: AbortScaleDown;
  /** When an aborted canary held at its size is scaled to zero. */
  private readonly abortDeadline: AbortScaleDownDeadline;

  constructor(
    host: RolloutHost,
    private readonly params: CanaryParams,
    private readonly stable: ReplicaSet,
  ) {
    super(host);
    this.gate = new StepGate(host);
    this.abortScaleDown = abortScaleDown(params.trafficRouting, params.abortScaleDownDelaySeconds);
    this.abortDeadline = new AbortScaleDownDeadline(host, this.abortScaleDown.delaySeconds ?? 0, 'canary');
  }

  start(): void {
    this.state.startedAt = this.host.now();
    this.canary = this.host.createReplicaSet('new');
    if (this.params.backgroundAnalysis) {
      this.background = new AnalysisRunner(this.host, 'background', this.params.backgroundAnalysis);
    }
    this.host.log('RolloutStarted', `canary, ${this.params.steps.length} steps, ${this.params.trafficRouting ? 'traffic routing' : 'basic (pod split)'}`);
    this.enterStepPhase();
  }

  override promote(): void {
    if (this.gate.promote()) {
      this.host.log('Promoted', `operator promoted step ${this.stepIndex}`);
      this.host.wakeAt(this.host.now());
    }
  }

  /**
   * The HPA resized the Rollout: Argo recomputes the stable and canary counts from spec.replicas on the next
   * reconcile; before the rollout the stable, after it the ReplicaSet left serving, takes the new size at once.
   */
  scale(replicas: number): void {
    if (replicas === this.params.replicas) return;
    this.params.replicas = replicas;
    if (this.inProgress()) this.host.wakeAt(this.host.now());
    else this.host.setReplicas(this.state.outcome === 'completed' && this.canary ? this.canary : this.stable, replicas);
  }

  protected override onAbort(): void {
    this.gate.terminate();
    this.background?.terminate();
    // Argo resets status.currentStepIndex to 0 on abort: only a setCanaryScale of the first step can still apply.
    this.stepIndex = 0;
  }

  sync(): boolean {
    const canary = this.canary;
    if (!canary || this.state.finishedAt !== null) return false;
    const now = this.host.now();
    const aborted = this.abortedAt !== null;
    if (!aborted && this.background) {
      this.background.tick();
      const phase = this.background.phase;
      if (phase === 'Failed' || phase === 'Error') {
        this.abort(`background analysis ${phase}`, true);
        return true;
      }
    }
    if (this.promotedAt !== null) return this.syncScaleDownOld(now);

    const counts = this.desiredCounts(canary, aborted);
    if (this.stable.spec !== counts.stable) {
      this.host.setReplicas(this.stable, counts.stable);
      return true;
    }
    if (canary.spec !== counts.canary) {
      this.host.setReplicas(canary, counts.canary);
      return true;
    }
    const canaryAvailable = this.host.status(canary).availableReplicas;
    if (this.params.trafficRouting && this.syncTraffic(canary, canaryAvailable, counts, aborted)) return true;

    if (aborted) return this.syncAbort(canary);
    if (this.stepIndex < this.params.steps.length) {
      if (!this.stepComplete(now, canaryAvailable, counts)) return false;
      this.stepIndex++;
      this.gate.next();
      this.enterStepPhase();
      return true;
    }
    // All steps done: full promotion once the canary carries the whole fleet.
    if (canaryAvailable < this.params.replicas) return false;
    if (this.params.trafficRouting) {
      if (this.routedWeight < 100) return false;
      this.promotedAt = now;
      this.enterPhase('scale-down delay');
      this.host.log('Promoted', `canary is the new stable; old ReplicaSet kept ${this.params.scaleDownDelaySeconds}s`);
      this.host.wakeAt(now + this.params.scaleDownDelaySeconds);
      return true;
    }
    if (this.host.status(this.stable).replicas > 0) return false;
    this.complete('completed', undefined);
    return true;
  }

  private position(canary: ReplicaSet, aborted: boolean): CanaryPosition {
    const counts = (rs: ReplicaSet) => ({ spec: rs.spec, available: this.host.status(rs).availableReplicas });
    const { replicas, steps, trafficRouting } = this.params;
    return {
      replicas,
      steps,
      index: this.stepIndex,
      aborted,
      trafficRouted: trafficRouting,
      dynamicStableScale: trafficRouting && this.params.dynamicStableScale,
      abortScaleDown: this.abortScaleDown,
      canary: counts(canary),
      stable: counts(this.stable),
    };
  }

  private desiredCounts(canary: ReplicaSet, aborted: boolean): CanaryCounts {
    const { replicas } = this.params;
    const position = this.position(canary, aborted);
    const { replicas: explicit, weight } = canaryReplicasOrWeight(position);
    if (!this.params.trafficRouting) {
      return calculateReplicaCountsForBasicCanary({
        rollout: { replicas, maxSurge: this.params.maxSurge, maxUnavailable: this.params.maxUnavailable },
        weight,
        canary: position.canary,
        stable: position.stable,
        olderSpec: 0,
      });
    }
    const counts = trafficRoutedReplicaCounts({
      replicas,
      weight,
      canaryReplicasOverride: explicit ?? undefined,
      dynamicStableScale: position.dynamicStableScale,
      currentWeights: { canary: this.routedWeight, stable: 100 - this.routedWeight },
      aborted,
      minPodsPerReplicaSet: this.params.minPodsPerReplicaSet,
    });
    if (!aborted || !this.delaysCanaryScaleDownOnAbort()) return counts;
    return { stable: counts.stable, canary: this.abortDeadline.passed ? 0 : canary.spec };
  }

  /**
   * shouldDelayScaleDownOnAbort: a traffic-routed canary keeps its size during an abort until its deadline —
   * except when abortScaleDownDelaySeconds is 0 (it is left as the arithmetic says, up with setCanaryScale), or
   * unset with dynamicStableScale (it shrinks step by step with the weight).
   */
  private delaysCanaryScaleDownOnAbort(): boolean {
    if (!this.params.trafficRouting || this.abortScaleDown.delaySeconds === null) return false;
    return !(this.params.dynamicStableScale && !this.abortScaleDown.explicit);
  }

  /**
   * The gateway's weight follows the step only once the canary has its pods (AtDesiredReplicaCountsForCanary),
   * during an abort it goes back (abortRoutedWeight), and it never moves before the stable has the pods for its
   * share (checkReplicasAvailable).
   */
  private syncTraffic(canary: ReplicaSet, canaryAvailable: number, counts: CanaryCounts, aborted: boolean): boolean {
    const { steps, replicas } = this.params;
    let target = this.routedWeight;
    if (aborted) target = abortRoutedWeight(this.position(canary, true), this.routedWeight);
    else if (canaryAvailable === 0) target = 0;
    else if (canaryAvailable >= counts.canary) {
      target = activeSetCanaryScale(steps, this.stepIndex, true)?.weight ?? currentSetWeight(steps, this.stepIndex, false);
    }
    if (target === this.routedWeight) return false;
    const stableNeeded = Math.floor(((100 - target) * replicas) / 100);
    if (this.host.status(this.stable).availableReplicas < stableNeeded) return false;
    this.routedWeight = target;
    this.host.setSplit([
      { version: 'old', weight: 100 - target },
      { version: 'new', weight: target },
    ]);
    this.host.log('SetWeight', `gateway weight → ${target}% new`);
    return true;
  }

  private stepComplete(now: number, canaryAvailable: number, counts: CanaryCounts): boolean {
    const step = this.params.steps[this.stepIndex];
    if ('setWeight' in step || 'setCanaryScale' in step) {
      if (canaryAvailable < counts.canary) return false;
      if (!this.stableCreated(counts)) return false;
      return !this.params.trafficRouting || 'setCanaryScale' in step || this.routedWeight === step.setWeight;
    }
    const verdict =
      'pause' in step ? this.gate.pause(now, step.pause.duration) : this.gate.analyse(now, this.stepIndex, this.params.stepAnalyses.get(this.stepIndex) ?? []);
    if (verdict.kind === 'abort') this.abort(verdict.reason, true);
    return verdict.kind === 'done';
  }

  /**
   * AtDesiredReplicaCountsForCanary: the stable needs its desired pods created, not available (allDesiredAreCreated:
   * the canary's traffic share is what must be served, and the stable's own availability is guarded by
   * maxUnavailable); with traffic routing and dynamicStableScale the stable is not checked at all.
   */
  private stableCreated(counts: CanaryCounts): boolean {
    if (this.params.trafficRouting && this.params.dynamicStableScale) return true;
    return this.stable.spec === counts.stable && this.host.status(this.stable).replicas === counts.stable;
  }

  private syncScaleDownOld(now: number): boolean {
    const canary = this.canary;
    if (canary && canary.spec !== this.params.replicas) {
      this.host.setReplicas(canary, this.params.replicas);
      return true;
    }
    const at = (this.promotedAt ?? now) + this.params.scaleDownDelaySeconds;
    if (now < at) return false;
    this.host.setReplicas(this.stable, 0);
    this.complete('completed', undefined);
    return true;
  }

  /**
   * An abort is done once the stable is back at full size and carries all traffic, and the canary is where the
   * abort leaves it: at zero, or — abortScaleDownDelaySeconds 0 — wherever the arithmetic keeps it. A canary held
   * at its size gets its deadline when the stable is fully available (not at the abort: the deadline scales it to
   * zero unconditionally).
   */
  private syncAbort(canary: ReplicaSet): boolean {
    if (this.host.status(this.stable).availableReplicas < this.params.replicas) return false;
    if (this.params.trafficRouting && this.routedWeight > 0) return false;
    if (this.delaysCanaryScaleDownOnAbort() && canary.spec > 0) {
      this.abortDeadline.arm();
      return false;
    }
    if (!this.params.trafficRouting && canary.spec > 0) return false;
    this.completeAbort();
    return true;
  }

  private enterStepPhase(): void {
    const step = this.params.steps[this.stepIndex];
    if (!step) {
      this.enterPhase('promotion');
      return;
    }
    const [kind, value] = Object.entries(step)[0];
    const label = kind === 'setWeight' ? `weight ${String(value)}%` : kind === 'pause' ? 'pause' : kind;
    this.enterPhase(label);
    this.host.log('CanaryStep', `step ${this.stepIndex}: ${label}`);
  }
}
