import type { DropCause, RejectCause, Request } from '../traffic/request.js';

/** An engine's step clock: how fast a stream it holds advances (one token per engine step). */
export interface EnginePace {
  /** Engine steps ended so far. */
  readonly steps: number;
  /** When the last one ended (NaN before any) and how long it took. */
  readonly lastStepEnd: number;
  readonly lastStepSeconds: number;
}

/**
 * A model server's serving engine as the rest of the simulation sees it: the continuous-batching LLM replica
 * (replica.ts) or the plain n-server station used for queueing validation (queue-station.ts).
 * Outcomes are reported to the RequestSink given at construction.
 */
export interface Server {
  /** Take a request; may reject it at once (queue full, injected server error) through the sink. */
  submit(req: Request): void;
  /** The client gave up: forget the request without reporting an outcome (the client reports it). */
  cancel(req: Request): void;
  /**
   * Stop everything now (SIGTERM without drain, drain deadline, SIGKILL, eviction): running generations are
   * reported dropped with `dropCause`, queued ones rejected with `rejectCause`.
   */
  abortAll(dropCause: DropCause, rejectCause: RejectCause): void;
  /** Requests waiting + running. */
  outstanding(): number;
  /** The step clock, or null for an engine without steps (the queue station). */
  pace(): EnginePace | null;
  /** Visits every request it holds (running, then waiting), as of now: materialises a run of skipped steps first. */
  forEachRequest(visit: (req: Request) => void): void;
  waitingCount(): number;
  runningCount(): number;
  /** Fraction of KV blocks in use, 0..1 (0 for the queue station). */
  kvUsage(): number;
  /** Can it start another request now without queueing (for gateway flow control)? */
  hasRoom(): boolean;
  /** Does its prefix cache hold this prefix group (for prefix-aware routing)? */
  hasPrefix(group: number): boolean;
  /** Is this LoRA adapter in a GPU slot or wanted by a request it holds (LoRA-affinity routing)? */
  hasAdapter?(adapter: number): boolean;
  /** LoRA slots not claimed by the adapters of the requests it holds. */
  freeAdapterSlots?(): number;
  /** Called once each time outstanding() drops to 0 (a draining pod can exit early). */
  onIdle(listener: () => void): void;
  /**
   * Brings counters up to the current time for a reader between events (the end of a run). An engine that
   * advances several steps per event reports its state as of the last event until then.
   */
  materialise(): void;
}
