import type { RolloutOutcome } from '../metrics/summary-types.js';
import type { RolloutHost } from './host.js';

/** Where a rollout stands; `outcome` is final once `finishedAt` is set (or the run ends). */
export interface RolloutState {
  startedAt: number | null;
  finishedAt: number | null;
  outcome: RolloutOutcome;
  reason: string | undefined;
}

/**
 * A rollout controller. `start` runs at `rollout.at`; afterwards the run calls `sync` after every status change
 * and at every time the controller asked to be woken, repeatedly until it returns false (level-triggered, one
 * write per pass as the real controllers do).
 */
export interface RolloutController {
  readonly strategy: string;
  readonly state: RolloutState;
  start(): void;
  sync(): boolean;
  /** The run is over: settle an unfinished rollout's outcome (stalled, never silently unfinished). */
  finish(): void;
  /** An operator's `kubectl argo rollouts promote` / `abort`. */
  promote(): void;
  abort(reason: string): void;
  /**
   * spec.replicas changed (the HPA wrote the scale subresource): the controller resizes its ReplicaSets as its
   * Kubernetes or Argo counterpart does, before, during and after the rollout. Absent: the strategy does not
   * follow spec.replicas (resolve refuses an autoscaler with it).
   */
  scale?(replicas: number): void;
}

/**
 * What every controller does the same way: the rollout's state, its named phases for the charts, and the
 * bookkeeping of an abort (why, and whether an analysis caused it: that makes the outcome `rolled-back`).
 */
export abstract class ControllerBase implements RolloutController {
  readonly state: RolloutState = { startedAt: null, finishedAt: null, outcome: 'none', reason: undefined };
  abstract readonly strategy: string;
  protected abortedAt: number | null = null;
  private abortReason = '';
  private abortByAnalysis = false;
  private phaseEnd: (() => void) | null = null;

  constructor(protected readonly host: RolloutHost) {}

  abstract start(): void;
  abstract sync(): boolean;

  promote(): void {
    // Only controllers with pauses have something to promote.
  }

  abort(reason: string, byAnalysis = false): void {
    if (!this.inProgress() || this.abortedAt !== null) return;
    this.abortedAt = this.host.now();
    this.abortReason = reason;
    this.abortByAnalysis = byAnalysis;
    this.onAbort();
    this.host.log('RolloutAborted', reason);
    this.enterPhase('abort');
    this.host.wakeAt(this.host.now());
  }

  finish(): void {
    if (!this.inProgress()) return;
    this.state.outcome = this.abortedAt !== null ? 'aborted' : 'stalled';
    this.state.reason = this.abortedAt !== null ? this.abortReason : this.stalledReason();
    this.endPhase();
  }

  /** Stop analyses and move traffic back, as the strategy's abort requires. */
  protected onAbort(): void {}

  protected stalledReason(): string {
    return 'still in progress when the simulation ended';
  }

  protected inProgress(): boolean {
    return this.state.startedAt !== null && this.state.finishedAt === null;
  }

  protected completeAbort(): void {
    this.complete(this.abortByAnalysis ? 'rolled-back' : 'aborted', this.abortReason);
  }

  protected complete(outcome: 'completed' | 'rolled-back' | 'aborted', reason: string | undefined): void {
    this.state.finishedAt = this.host.now();
    this.state.outcome = outcome;
    this.state.reason = reason;
    this.endPhase();
    this.host.log(outcome === 'completed' ? 'RolloutComplete' : 'RolloutRolledBack', reason ?? 'the new version is stable');
  }

  protected enterPhase(name: string): void {
    this.endPhase();
    this.phaseEnd = this.host.beginPhase(name);
  }

  private endPhase(): void {
    this.phaseEnd?.();
    this.phaseEnd = null;
  }
}
