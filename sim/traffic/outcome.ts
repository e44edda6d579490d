import type { Request } from './request.js';

/** How a logical request failed for good (after any retries). */
export type FailureOutcome = 'dropped' | 'rejected' | 'timedOut';

/**
 * Where the client layer reports each logical request exactly once: `arrived` at its first arrival, then one of
 * `completed` / `failed` with its last attempt (or neither, if it is still in flight when the run ends).
 * `retried` counts each new attempt after the first. Implemented by the metrics recorder.
 */
export interface OutcomeListener {
  arrived(at: number): void;
  completed(req: Request, at: number): void;
  failed(req: Request, at: number, outcome: FailureOutcome, cause: string): void;
  retried(): void;
}

/**
 * Where the router reports mirrored (shadow) copies. Their load is real but they are never part of the client's
 * outcomes, so they get their own listener (shadow analysis compares their latencies).
 */
export interface ShadowListener {
  mirrored(req: Request, at: number): void;
  completed(req: Request, at: number): void;
  failed(req: Request, at: number, outcome: 'dropped' | 'rejected', cause: string): void;
}
