import type { ReplicaSet } from '../cluster/replicaset.js';
import { AbortScaleDownDeadline } from './abort-deadline.js';
import type { AnalysisMetric } from './analysis-schema.js';
import { AnalysisRunner } from './analysis-runner.js';
import { ControllerBase } from './controller.js';
import type { RolloutHost } from './host.js';

export interface ShadowParams {
  replicas: number;
  /** Share of live requests copied to green while shadowing, 0..1. */
  mirrorShare: number;
  shadowDuration: number;
  soakSeconds: number;
  abortScaleDownDelaySeconds: number;
  /** Runs during the shadow stage, on the mirrored copies. */
  analysis: AnalysisMetric[] | null;
  /** Runs during the soak, on green's live traffic. */
  soakAnalysis: AnalysisMetric[] | null;
}

type Stage = 'green-up' | 'shadow' | 'soak';

/**
 * Shadow to blue-green: green comes up at full size beside blue; a share of live traffic is mirrored to it for
 * shadowDuration (its load is real, its answers discarded) while `analysis` compares it with blue (queries read
 * `shadow.*` for the mirrored copies); then the gateway cuts over and blue is kept for soakSeconds (instant
 * rollback) while `soakAnalysis` reads green's live traffic (`new.*`): a failed one switches back. Each analysis
 * ends with its stage (a measurement due after it is not taken); then blue is scaled down.
 */
export class ShadowBlueGreenController extends ControllerBase {
  readonly strategy = 'shadowBlueGreen';
  private green: ReplicaSet | null = null;
  private stage: Stage = 'green-up';
  private stageStartedAt = 0;
  private analysis: AnalysisRunner | null = null;
  private readonly abortDeadline: AbortScaleDownDeadline;

  constructor(
    host: RolloutHost,
    private readonly params: ShadowParams,
    private readonly blue: ReplicaSet,
  ) {
    super(host);
    this.abortDeadline = new AbortScaleDownDeadline(host, params.abortScaleDownDelaySeconds, 'green');
  }

  start(): void {
    this.state.startedAt = this.host.now();
    this.green = this.host.createReplicaSet('new');
    this.enter('green-up', 'green up');
    this.host.log('RolloutStarted', `shadow→blue-green, ${this.params.replicas} green replicas`);
  }

  protected override onAbort(): void {
    this.analysis?.terminate();
    this.host.setMirror(null);
    this.host.setSplit([{ version: 'old', weight: 100 }]);
  }

  sync(): boolean {
    const green = this.green;
    if (!green || this.state.finishedAt !== null) return false;
    const now = this.host.now();
    if (this.abortedAt !== null) return this.syncAbort(green);
    if (green.spec !== this.params.replicas && this.stage === 'green-up') {
      this.host.setReplicas(green, this.params.replicas);
      return true;
    }
    if (this.analysis) {
      this.analysis.tick();
      const phase = this.analysis.phase;
      if (phase === 'Failed' || phase === 'Error' || phase === 'Inconclusive') {
        this.abort(`analysis ${phase} during ${this.stage}`, true);
        return true;
      }
    }
    if (this.stage === 'green-up') {
      if (this.host.status(green).availableReplicas < this.params.replicas) return false;
      this.host.setMirror({ version: 'new', share: this.params.mirrorShare });
      this.host.log('Mirroring', `${(this.params.mirrorShare * 100).toFixed(0)}% of live requests copied to green`);
      this.enter('shadow', 'shadow');
      if (this.params.analysis) this.analysis = new AnalysisRunner(this.host, 'shadow', this.params.analysis);
      this.host.wakeAt(now + this.params.shadowDuration);
      return true;
    }
    if (this.stage === 'shadow') {
      if (now < this.stageStartedAt + this.params.shadowDuration) return false;
      // An analysis still measuring (no count: background-style) ends successfully with the shadow stage.
      this.analysis?.terminate();
      this.host.setMirror(null);
      this.host.setSplit([{ version: 'new', weight: 100 }]);
      this.host.log('SwitchActive', 'gateway cut over to green; blue kept for instant rollback');
      this.enter('soak', 'soak');
      this.analysis = this.params.soakAnalysis ? new AnalysisRunner(this.host, 'soak', this.params.soakAnalysis) : null;
      this.host.wakeAt(now + this.params.soakSeconds);
      return true;
    }
    if (now < this.stageStartedAt + this.params.soakSeconds) return false;
    this.analysis?.terminate();
    this.host.setReplicas(this.blue, 0);
    this.complete('completed', undefined);
    return true;
  }

  private syncAbort(green: ReplicaSet): boolean {
    if (this.blue.spec !== this.params.replicas) {
      this.host.setReplicas(this.blue, this.params.replicas);
      return true;
    }
    if (this.host.status(this.blue).availableReplicas < this.params.replicas) return false;
    // As Argo's blue-green: the delay starts once blue is fully available; 0 leaves green up.
    if (this.params.abortScaleDownDelaySeconds > 0) {
      this.abortDeadline.arm();
      if (!this.abortDeadline.passed) return false;
      this.host.setReplicas(green, 0);
    }
    this.completeAbort();
    return true;
  }

  private enter(stage: Stage, phase: string): void {
    this.stage = stage;
    this.stageStartedAt = this.host.now();
    this.enterPhase(phase);
  }
}
