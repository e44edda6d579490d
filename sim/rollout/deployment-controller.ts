import type { ReplicaSet } from '../cluster/replicaset.js';
import { InternalError } from '../errors.js';
import { ControllerBase } from './controller.js';
import { intCount, type IntOrPercent } from '../config/int-or-percent.js';
import type { RolloutHost } from './host.js';
import {
  nextProgressCheck,
  syncProgressingCondition,
  type DeploymentCounts,
  type ProgressingCondition,
} from './progress.js';
import { maxSurge } from './fenceposts.js';
import { proportionalScale, type ScalableRs } from './proportional-scaling.js';
import { recreateSyncStep } from './recreate.js';
import { rollingSyncStep, type Action, type RsSnapshot } from './rolling-update.js';

export type DeploymentStrategy =
  | { kind: 'rollingUpdate'; maxSurge: IntOrPercent; maxUnavailable: IntOrPercent }
  | { kind: 'recreate' }
  /** A rolling update without surge whose new pods wake a sleeping engine on the GPUs the old ones free. */
  | { kind: 'sleepWake'; maxUnavailable: IntOrPercent };

const PHASE_NAMES: Readonly<Record<DeploymentStrategy['kind'], string>> = { rollingUpdate: 'rolling update', recreate: 'recreate', sleepWake: 'sleep/wake swap' };

export interface DeploymentParams {
  replicas: number;
  strategy: DeploymentStrategy;
  progressDeadlineSeconds: number;
}

/**
 * The Kubernetes Deployment controller over the simulated cluster: the pure sync of rolling-update.ts or
 * recreate.ts applied one sync at a time, the Progressing condition, and `kubectl rollout undo` for an abort
 * (the previous template becomes the new ReplicaSet again and rolls back with the same algorithm). Traffic
 * follows pods: one Service over both versions' endpoints.
 */
export class DeploymentController extends ControllerBase {
  readonly strategy: string;
  private newRS: ReplicaSet | null = null;
  private oldRSs: ReplicaSet[];
  private progress: ProgressingCondition | null = null;
  private lastCounts: DeploymentCounts | null = null;
  private rolledBack = false;
  /** deployment.kubernetes.io/max-replicas of each ReplicaSet, by id: replicas + maxSurge when last scaled. */
  private readonly maxReplicasAnnotation = new Map<number, number>();
  /** spec.replicas changed since the last sync (isScalingEvent): the next sync only resizes (sync.go `sync`). */
  private scalingEvent = false;

  constructor(
    host: RolloutHost,
    private readonly params: DeploymentParams,
    stableRS: ReplicaSet,
  ) {
    super(host);
    this.oldRSs = [stableRS];
    this.strategy = params.strategy.kind;
    this.maxReplicasAnnotation.set(stableRS.id, this.annotationValue());
  }

  /**
   * The HPA resized the Deployment. During a rollout the next sync is a scaling event: the size difference is
   * spread over the ReplicaSets in proportion (proportional-scaling.ts; a Recreate only resizes a lone active
   * ReplicaSet). Before and after the rollout the one active ReplicaSet takes spec.replicas at once.
   */
  scale(replicas: number): void {
    if (replicas === this.params.replicas) return;
    this.params.replicas = replicas;
    if (this.inProgress()) {
      this.scalingEvent = true;
      this.host.wakeAt(this.host.now());
      return;
    }
    for (const action of this.scaleActions()) this.apply(action);
  }

  start(): void {
    this.state.startedAt = this.host.now();
    this.enterPhase(PHASE_NAMES[this.params.strategy.kind]);
    this.host.log('RolloutStarted', `${this.params.strategy.kind}, ${this.params.replicas} replicas`);
  }

  sync(): boolean {
    if (!this.inProgress()) return false;
    if (this.scalingEvent) {
      this.scalingEvent = false;
      const writes = this.scaleActions();
      for (const action of writes) this.apply(action);
      if (writes.length > 0) return true;
    }
    const actions = this.nextActions();
    if (actions.length > 0) {
      for (const action of actions) this.apply(action);
      return true;
    }
    this.updateProgress();
    return false;
  }

  /** `kubectl rollout undo`: the stable template is the target again, rolled out by the same algorithm. */
  override abort(reason: string): void {
    if (!this.inProgress() || this.rolledBack || !this.newRS) return;
    this.rolledBack = true;
    const stable = this.oldRSs[0];
    this.oldRSs = [...this.oldRSs.filter((rs) => rs !== stable), this.newRS];
    this.newRS = stable;
    this.progress = null;
    this.host.log('RolloutUndo', reason);
    this.enterPhase('rollback');
    this.host.wakeAt(this.host.now());
  }

  /** A progress-deadline stall keeps its own reason. */
  protected override stalledReason(): string {
    return this.state.reason ?? super.stalledReason();
  }

  private snapshot(rs: ReplicaSet): ScalableRs {
    return {
      id: rs.id,
      spec: rs.spec,
      available: this.host.status(rs).availableReplicas,
      createdAt: rs.id,
      maxReplicasAnnotation: this.maxReplicasAnnotation.get(rs.id),
    };
  }

  private annotationValue(): number {
    const s = this.params.strategy;
    return s.kind === 'rollingUpdate' ? this.params.replicas + maxSurge({ replicas: this.params.replicas, ...s }) : this.params.replicas;
  }

  /** sync.go `scale`: the writes of a scaling event. */
  private scaleActions(): Action[] {
    const s = this.params.strategy;
    const newRS = this.newRS ? this.snapshot(this.newRS) : null;
    const oldRSs = this.oldRSs.map((rs) => this.snapshot(rs));
    const all = newRS ? [...oldRSs, newRS] : oldRSs;
    if (s.kind === 'recreate' && all.filter((rs) => rs.spec > 0).length > 1) return [];
    const params = s.kind === 'rollingUpdate' ? { replicas: this.params.replicas, ...s } : { replicas: this.params.replicas, maxSurge: intCount(0), maxUnavailable: intCount(0) };
    const statusReplicas = all.reduce((sum, rs) => sum + this.host.status(this.rsById(rs.id)).replicas, 0);
    return proportionalScale(params, newRS, oldRSs, statusReplicas);
  }

  private rsById(id: number): ReplicaSet {
    const rs = id === this.newRS?.id ? this.newRS : this.oldRSs.find((r) => r.id === id);
    if (!rs) throw new InternalError(`deployment: no ReplicaSet ${id}`);
    return rs;
  }

  private nextActions(): Action[] {
    const snapshot = (rs: ReplicaSet): RsSnapshot => this.snapshot(rs);
    const newRS = this.newRS ? snapshot(this.newRS) : null;
    const oldRSs = this.oldRSs.map(snapshot);
    const strategy = this.params.strategy;
    if (strategy.kind === 'recreate') {
      const remaining = this.oldRSs.reduce((sum, rs) => sum + this.host.status(rs).existing, 0);
      return recreateSyncStep(this.params.replicas, newRS, oldRSs, remaining);
    }
    const maxSurge = strategy.kind === 'sleepWake' ? intCount(0) : strategy.maxSurge;
    return rollingSyncStep({ replicas: this.params.replicas, maxSurge, maxUnavailable: strategy.maxUnavailable }, newRS, oldRSs);
  }

  private apply(action: Action): void {
    if (action.type === 'createNewRS') {
      if (this.newRS) throw new InternalError('deployment: the new ReplicaSet already exists');
      this.newRS = this.host.createReplicaSet('new');
      this.maxReplicasAnnotation.set(this.newRS.id, this.annotationValue());
      this.host.setReplicas(this.newRS, action.replicas);
      return;
    }
    const rs = this.rsById(action.id);
    this.maxReplicasAnnotation.set(rs.id, this.annotationValue());
    this.host.setReplicas(rs, action.replicas);
  }

  private counts(): DeploymentCounts {
    let replicas = 0;
    let ready = 0;
    let available = 0;
    for (const rs of [...this.oldRSs, ...(this.newRS ? [this.newRS] : [])]) {
      const s = this.host.status(rs);
      replicas += s.replicas;
      ready += s.readyReplicas;
      available += s.availableReplicas;
    }
    const updated = this.newRS ? this.host.status(this.newRS).replicas : 0;
    return { replicas, updatedReplicas: updated, readyReplicas: ready, availableReplicas: available };
  }

  private updateProgress(): void {
    const now = this.host.now();
    const counts = this.counts();
    const before = this.lastCounts ?? counts;
    this.progress ??= { status: 'True', reason: 'NewReplicaSetCreated', lastUpdateTime: now, lastTransitionTime: now };
    const wasTimedOut = this.progress.reason === 'ProgressDeadlineExceeded';
    this.progress =
      syncProgressingCondition(this.progress, {
        desiredReplicas: this.params.replicas,
        deadlineSeconds: this.params.progressDeadlineSeconds,
        before,
        after: counts,
        now,
      }) ?? this.progress;
    this.lastCounts = counts;
    const reason = this.progress.reason;
    if (reason === 'NewReplicaSetAvailable' && this.newRS) {
      if (this.rolledBack) this.complete('rolled-back', 'rolled back to the previous ReplicaSet');
      else this.complete('completed', undefined);
      return;
    }
    if (reason === 'ProgressDeadlineExceeded' && !wasTimedOut) {
      this.state.outcome = 'stalled';
      this.state.reason = `ProgressDeadlineExceeded: no progress for ${this.params.progressDeadlineSeconds}s`;
      this.host.log('ProgressDeadlineExceeded', 'the rollout is stalled; Kubernetes keeps trying and does not roll back');
    } else if (reason !== 'ProgressDeadlineExceeded' && this.state.outcome === 'stalled') {
      this.state.outcome = 'none';
      this.state.reason = undefined;
    }
    const next = nextProgressCheck(this.progress, this.params.progressDeadlineSeconds, false, now);
    if (next !== null && next > now) this.host.wakeAt(next);
  }
}
