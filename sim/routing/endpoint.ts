import type { Request, VersionRole } from '../traffic/request.js';

/** One pod behind the service, as the gateway sees it. Implemented by the cluster's pods. */
export interface Endpoint {
  readonly podId: number;
  /** Takes the request, or reports a rejection (synchronously or later) to the router's RequestSink. */
  accept(req: Request): void;
  /** The client gave up: stop work on it and report nothing more about it. */
  cancel(req: Request): void;
  /** Requests sent to it and not finished (running and waiting). */
  outstanding(): number;
  /** Whether it can start another request now (gateway flow control holds requests until one can). */
  hasRoom(): boolean;
  /** Whether its prefix cache holds the shared prefix of `group` (prefix-aware routing). */
  hasPrefix?(group: number): boolean;
  /** Requests in the server's waiting queue, as its metrics endpoint reports it (vllm:num_requests_waiting). */
  waitingCount?(): number;
  /** The server's KV-cache use, 0..1, as its metrics endpoint reports it (vllm:kv_cache_usage_perc). */
  kvUsage?(): number;
  /** Whether the LoRA adapter is loaded on it or wanted by a request it holds (LoRA affinity). */
  hasAdapter?(adapter: number): boolean;
  /** LoRA slots (max_loras) not claimed by the adapters of the requests it holds. */
  freeAdapterSlots?(): number;
}

/** The pods currently in a version's service endpoints (after propagation delay). Implemented by the cluster. */
export interface EndpointSource {
  endpoints(version: VersionRole): readonly Endpoint[];
  /** When endpoints joined this view (slow start needs it); absent: every endpoint counts as long joined. */
  readonly joins?: EndpointJoins;
}

/** When each endpoint joined a view (-Infinity: before the run began), and the latest join. */
export interface EndpointJoins {
  joinedAt(podId: number): number;
  readonly lastJoinAt: number;
}
