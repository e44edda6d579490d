/** Which fleet a pod (and so a request's service) belongs to: the one serving at time 0, or the one rolled out. */
export type VersionRole = 'old' | 'new';

/** Why a request did not complete. `dropped` = cut after its generation started; the rest never started. */
export type DropCause =
  | 'sigterm-abort'
  | 'drain-timeout'
  | 'sigkill'
  | 'eviction'
  | 'crash'
  | 'server-error'
  | 'gateway-terminated' // the router replica the stream went through was killed (routing.gateway)
  | 'worker-lost'; // a worker pod of the multi-node replica exited or died: the engine lost a rank
export type RejectCause =
  | 'no-endpoint'          // no ready endpoint for the chosen version
  | 'connection-refused'   // endpoint points at a pod whose server is not listening (gone, killed, not started)
  | 'server-not-ready'     // listening, but the engine cannot serve yet (503)
  | 'server-draining'      // SIGTERM received: the server stopped admitting
  | 'queue-full'           // the server's waiting queue is at its bound (503)
  | 'gateway-queue-full'   // the central gateway queue is at its bound
  | 'aborted-before-start' // was waiting in the server's queue when the server shut down
  | 'server-error';        // the (bad) version failed it before any token
export type TimeoutCause = 'ttft-timeout' | 'total-timeout';

/**
 * One attempt of one client request, from arrival at the gateway to its end. Objects live only while in flight
 * (memory stays flat in the number of requests). Times are simulated seconds; NaN means "not yet".
 */
export interface Request {
  /** Unique per attempt. */
  readonly id: number;
  /** The logical request this attempt belongs to (retries share it). */
  readonly logicalId: number;
  readonly attempt: number;
  /** Arrival of the logical request at the gateway (first attempt), for end-to-end latency. */
  readonly firstArrival: number;
  /** Arrival of this attempt. */
  readonly arrival: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
  /** Shared-prefix group (-1 = none) and the length of the shared prefix in tokens. */
  readonly prefixGroup: number;
  readonly prefixTokens: number;
  /** The LoRA adapter the client asked for (an id into the run's adapter names; -1: the base model). */
  readonly requestedAdapter: number;
  /** The adapter it is served with: the requested one unless the gateway rewrote it (an adapter rollout). */
  adapter: number;
  /** A mirrored copy: real load, answer discarded, never counted in the client's outcomes. */
  readonly shadow: boolean;
  /** Version and pod that took it (set by routing); -1 until routed. */
  version: VersionRole | null;
  podId: number;
  firstTokenAt: number;
  finishedAt: number;
  /** Output tokens already streamed to the client. */
  tokensStreamed: number;
}

/** Where servers report what happened to a request. Implemented by the client layer. */
export interface RequestSink {
  firstToken(req: Request, at: number): void;
  completed(req: Request, at: number): void;
  dropped(req: Request, at: number, cause: DropCause): void;
  rejected(req: Request, at: number, cause: RejectCause): void;
}
