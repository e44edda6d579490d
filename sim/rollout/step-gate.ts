import type { AnalysisMetric } from './analysis-schema.js';
import { AnalysisRunner } from './analysis-runner.js';
import type { RolloutHost } from './host.js';

/** What a pause or analysis step says on one sync: done, still waiting, or the rollout must abort. */
export type GateVerdict = { readonly kind: 'done' } | { readonly kind: 'waiting' } | { readonly kind: 'abort'; readonly reason: string };

const DONE: GateVerdict = { kind: 'done' };
const WAITING: GateVerdict = { kind: 'waiting' };

/**
 * The pause and analysis steps of a weighted rollout (an Argo canary, an in-pool adapter rewrite): a pause waits
 * its duration or, without one, an operator's promotion; an analysis step runs its metrics, aborts on Failed or
 * Error and pauses on Inconclusive (Argo's rollout/canary.go). One gate per rollout; `next()` when the step
 * index moves on.
 */
export class StepGate {
  private pauseStartedAt: number | null = null;
  private promoted = false;
  private analysis: AnalysisRunner | null = null;

  constructor(private readonly host: RolloutHost) {}

  /** An operator's promotion ends the pause in progress; false when no step is paused. */
  promote(): boolean {
    if (this.pauseStartedAt === null) return false;
    this.promoted = true;
    return true;
  }

  pause(now: number, duration: number | undefined): GateVerdict {
    if (this.pauseStartedAt === null) this.pauseStartedAt = now;
    if (this.promoted) return DONE;
    if (duration === undefined) return WAITING;
    const until = this.pauseStartedAt + duration;
    if (now >= until) return DONE;
    this.host.wakeAt(until);
    return WAITING;
  }

  analyse(now: number, stepIndex: number, metrics: readonly AnalysisMetric[]): GateVerdict {
    const runner = (this.analysis ??= new AnalysisRunner(this.host, `step ${stepIndex}`, metrics));
    runner.tick();
    const phase = runner.phase;
    if (phase === 'Failed' || phase === 'Error') return { kind: 'abort', reason: `analysis at step ${stepIndex} ${phase}` };
    if (phase === 'Inconclusive') return this.pause(now, undefined);
    return phase === 'Successful' ? DONE : WAITING;
  }

  /** The step index moved on: the next pause or analysis starts afresh. */
  next(): void {
    this.pauseStartedAt = null;
    this.promoted = false;
    this.analysis = null;
  }

  terminate(): void {
    this.analysis?.terminate();
  }
}
