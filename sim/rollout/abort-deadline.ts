import type { RolloutHost } from './host.js';

/**
 * The scale-down-deadline annotation of an aborted rollout's new ReplicaSet (argo-rollouts rollout/replicaset.go
 * reconcileNewReplicaSet): it is written only once the stable ReplicaSet is fully available again — the deadline
 * scales the new ReplicaSet to zero unconditionally, so it must not start while the stable could not yet carry all
 * the traffic — and it is never moved afterwards.
 */
export class AbortScaleDownDeadline {
  private at: number | null = null;

  constructor(
    private readonly host: RolloutHost,
    private readonly delaySeconds: number,
    /** What is kept, for the event log: 'canary', 'preview', 'green'. */
    private readonly kept: string,
  ) {}

  /** The stable ReplicaSet is fully available: start the delay, unless it already runs. */
  arm(): void {
    if (this.at !== null) return;
    this.at = this.host.now() + this.delaySeconds;
    this.host.log('ScaleDownDelay', `${this.kept} kept until ${this.at}s (abortScaleDownDelaySeconds)`);
    this.host.wakeAt(this.at);
  }

  get passed(): boolean {
    return this.at !== null && this.host.now() >= this.at;
  }
}
