import type { ReplicaSet } from '../cluster/replicaset.js';
import type { AnalysisMetric } from './analysis-schema.js';
import { AbortScaleDownDeadline } from './abort-deadline.js';
import { AnalysisRunner } from './analysis-runner.js';
import { ControllerBase } from './controller.js';
import type { RolloutHost } from './host.js';

export interface BlueGreenParams {
  replicas: number;
  previewReplicaCount: number | undefined;
  autoPromotionEnabled: boolean;
  autoPromotionSeconds: number;
  scaleDownDelaySeconds: number;
  abortScaleDownDelaySeconds: number;
  /** Share of live requests copied to the preview before the switch, 0..1. */
  previewMirrorShare: number;
  /** rollout.previewTraffic is set: test requests go to the preview before the switch. */
  previewTraffic: boolean;
  prePromotionAnalysis: AnalysisMetric[] | null;
  postPromotionAnalysis: AnalysisMetric[] | null;
}

/**
 * Argo Rollouts blue-green (rollout-semantics.md §3.2): the preview ReplicaSet comes up beside the active one
 * (no maxSurge: peak pods = replicas + preview size), pre-promotion analysis, an optional pause, the preview
 * scaled to full size, the active-service switch at the gateway, post-promotion analysis, and the old
 * ReplicaSet kept for scaleDownDelaySeconds (instant rollback) before it is scaled to zero.
 * Abort (failed analysis or an operator): the active service points at the stable ReplicaSet again and the
 * preview is scaled to zero abortScaleDownDelaySeconds after the stable is fully available (0 = never).
 */
export class BlueGreenController extends ControllerBase {
  readonly strategy = 'blueGreen';
  private preview: ReplicaSet | null = null;
  private preAnalysis: AnalysisRunner | null = null;
  private postAnalysis: AnalysisRunner | null = null;
  private pauseStartedAt: number | null = null;
  private promoted = false;
  private scaledUpPreview = false;
  private previewFed = false;
  private switchedAt: number | null = null;
  private scaleDownAt: number | null = null;
  private readonly abortDeadline: AbortScaleDownDeadline;

  constructor(
    host: RolloutHost,
    private readonly params: BlueGreenParams,
    private readonly active: ReplicaSet,
  ) {
    super(host);
    this.abortDeadline = new AbortScaleDownDeadline(host, params.abortScaleDownDelaySeconds, 'preview');
  }

  start(): void {
    this.state.startedAt = this.host.now();
    this.preview = this.host.createReplicaSet('new');
    this.enterPhase('preview up');
    this.host.log('RolloutStarted', `blue-green, preview ${this.previewSize()} of ${this.params.replicas} replicas`);
  }

  override promote(): void {
    if (this.pauseStartedAt !== null && !this.promoted) {
      this.promoted = true;
      this.host.log('Promoted', 'operator promoted the rollout');
      this.host.wakeAt(this.host.now());
    }
  }

  /**
   * The HPA resized the Rollout: before the switch the active ReplicaSet follows spec.replicas (and the preview,
   * without previewReplicaCount); after it, the promoted one. Outside a rollout the serving ReplicaSet at once.
   */
  scale(replicas: number): void {
    if (replicas === this.params.replicas) return;
    this.params.replicas = replicas;
    if (this.inProgress()) this.host.wakeAt(this.host.now());
    else this.host.setReplicas(this.state.outcome === 'completed' && this.preview ? this.preview : this.active, replicas);
  }

  protected override onAbort(): void {
    this.preAnalysis?.terminate();
    this.postAnalysis?.terminate();
    this.feedPreview(false);
  }

  sync(): boolean {
    const preview = this.preview;
    if (!preview || this.state.finishedAt !== null) return false;
    const now = this.host.now();
    if (this.abortedAt !== null) return this.syncAbort(preview, now);

    const desired = this.scaledUpPreview ? this.params.replicas : this.previewSize();
    if (preview.spec !== desired) {
      this.host.setReplicas(preview, desired);
      return true;
    }
    if (this.switchedAt === null && this.active.spec !== this.params.replicas) {
      this.host.setReplicas(this.active, this.params.replicas);
      return true;
    }
    const available = this.host.status(preview).availableReplicas;
    if (this.switchedAt === null) {
      if (available < desired) return false;
      this.feedPreview(true);
      if (!this.prePromotionDone(now)) return false;
      if (!this.pauseDone(now)) return false;
      if (!this.scaledUpPreview && this.params.previewReplicaCount !== undefined && desired < this.params.replicas) {
        this.scaledUpPreview = true;
        this.host.log('ScalingPreview', `preview to ${this.params.replicas} replicas before the switch`);
        return true;
      }
      if (available < this.params.replicas) return false;
      this.switchedAt = now;
      this.host.log('SwitchActive', `active service → new version (reaches the gateway in ${this.host.gatewayDelay}s)`);
      this.feedPreview(false);
      this.host.setSplit([{ version: 'new', weight: 100 }]);
      this.enterPhase('post-promotion');
      if (this.params.postPromotionAnalysis) {
        this.postAnalysis = new AnalysisRunner(this.host, 'post-promotion', this.params.postPromotionAnalysis);
      }
      return true;
    }
    if (this.scaleDownAt === null) {
      if (this.postAnalysis) {
        this.postAnalysis.tick();
        const phase = this.postAnalysis.phase;
        if (phase === 'Failed' || phase === 'Error') {
          this.abort(`post-promotion analysis ${phase}`, true);
          return true;
        }
        if (phase !== 'Successful') return false;
      }
      this.scaleDownAt = Math.max(now, this.switchedAt + this.params.scaleDownDelaySeconds);
      this.enterPhase('scale-down delay');
      this.host.log('ScaleDownDelay', `old ReplicaSet kept until t=${this.scaleDownAt.toFixed(0)}s for instant rollback`);
      this.host.wakeAt(this.scaleDownAt);
      return true;
    }
    if (now < this.scaleDownAt) return false;
    this.host.setReplicas(this.active, 0);
    this.complete('completed', undefined);
    return true;
  }

  /**
   * The preview's traffic before the switch (what teams give it so a pre-promotion analysis has something to
   * measure): mirrored live requests and/or test requests, from when the preview is available until the switch
   * or an abort.
   */
  private feedPreview(on: boolean): void {
    if (on === this.previewFed) return;
    this.previewFed = on;
    const share = this.params.previewMirrorShare;
    if (share > 0) this.host.setMirror(on ? { version: 'new', share } : null);
    if (this.params.previewTraffic) this.host.setPreviewTraffic(on);
  }

  private previewSize(): number {
    return this.params.previewReplicaCount ?? this.params.replicas;
  }

  private prePromotionDone(now: number): boolean {
    const metrics = this.params.prePromotionAnalysis;
    if (!metrics) return true;
    if (!this.preAnalysis) {
      this.enterPhase('pre-promotion analysis');
      this.preAnalysis = new AnalysisRunner(this.host, 'pre-promotion', metrics);
    }
    this.preAnalysis.tick();
    const phase = this.preAnalysis.phase;
    if (phase === 'Failed' || phase === 'Error') {
      this.abort(`pre-promotion analysis ${phase}`, true);
      return false;
    }
    if (phase === 'Inconclusive') return this.pauseDone(now, true);
    return phase === 'Successful';
  }

  /** needsBlueGreenControllerPause: auto-promotion off (wait for promote) or a timed auto-promotion. */
  private pauseDone(now: number, inconclusive = false): boolean {
    const { autoPromotionEnabled, autoPromotionSeconds } = this.params;
    if (!inconclusive && autoPromotionEnabled && autoPromotionSeconds <= 0) return true;
    if (this.pauseStartedAt === null) {
      this.pauseStartedAt = now;
      this.enterPhase('paused');
      this.host.log('Paused', inconclusive ? 'inconclusive analysis: waiting for promote' : 'waiting for promotion');
    }
    if (this.promoted) return true;
    if (!inconclusive && autoPromotionEnabled) {
      const at = this.pauseStartedAt + autoPromotionSeconds;
      if (now >= at) return true;
      this.host.wakeAt(at);
    }
    return false;
  }

  /**
   * The active service goes back to the stable ReplicaSet at once; the preview is scaled to zero
   * abortScaleDownDelaySeconds after the stable is fully available again (0: never).
   */
  private syncAbort(preview: ReplicaSet, now: number): boolean {
    if (this.switchedAt !== null || this.abortedAt === now) {
      this.host.setSplit([{ version: 'old', weight: 100 }]);
    }
    if (this.active.spec !== this.params.replicas) {
      this.host.setReplicas(this.active, this.params.replicas);
      return true;
    }
    if (this.host.status(this.active).availableReplicas < this.params.replicas) return false;
    if (this.params.abortScaleDownDelaySeconds > 0) {
      this.abortDeadline.arm();
      if (!this.abortDeadline.passed) return false;
      this.host.setReplicas(preview, 0);
    }
    this.completeAbort();
    return true;
  }
}
