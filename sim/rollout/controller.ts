import type { RolloutOutcome } from '../metrics/summary-types.js';

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
}

export function newRolloutState(): RolloutState {
  return { startedAt: null, finishedAt: null, outcome: 'none', reason: undefined };
}
