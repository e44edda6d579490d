/**
 * What a load generator measured, whatever its format: each request as it was sent and as the client saw it.
 * Times are seconds. A request the server failed is left out (the generator reports no latency for it).
 */
export interface MeasuredRequest {
  /** Position in the run, in the order the generator sent the requests (0-based). */
  readonly index: number;
  /**
   * Seconds since the run's first request: when the client issued it (its send, or its arrival at the client's
   * concurrency bound when the format records the wait); NaN when the format records no times.
   */
  readonly sentAt: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
  /** Time to first token. */
  readonly ttft: number;
  /** Send to last token. */
  readonly e2e: number;
}

/** How the generator sent requests when it did not record each send time (vllm bench serve's options). */
export interface SendPlan {
  /** Requests per second; Infinity = all at once. */
  readonly requestRate: number;
  /** Gamma shape of the gaps (1 = Poisson); only with a finite rate. */
  readonly burstiness: number;
  /** At most this many requests in flight (a client-side semaphore); Infinity when unbounded. */
  readonly maxConcurrency: number;
}

export interface BenchRun {
  readonly file: string;
  readonly format: 'vllm-bench' | 'guidellm';
  /** The model as the generator named it (e.g. meta-llama/Llama-3.1-8B-Instruct), if it did. */
  readonly modelId: string | undefined;
  readonly plan: SendPlan;
  readonly requests: readonly MeasuredRequest[];
  /** Requests the server failed, or that have no latency to compare (no first token recorded): not in `requests`. */
  readonly failed: number;
}

/** Time per output token after the first, as vllm bench serve computes it; NaN for single-token outputs. */
export function tpotOf(r: Pick<MeasuredRequest, 'ttft' | 'e2e' | 'outputTokens'>): number {
  return r.outputTokens > 1 ? (r.e2e - r.ttft) / (r.outputTokens - 1) : NaN;
}
