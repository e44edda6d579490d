/**
 * What one engine step (one forward pass over a continuous batch) computes. The replica engine fills it;
 * a step-time model turns it into seconds. Sums rather than per-sequence lists keep the hot path free of
 * allocation.
 */
export interface BatchShape {
  /** New prompt tokens computed this step (sum of prefill chunks, after prefix-cache hits). */
  prefillTokens: number;
  /** Sequences with a prefill chunk in this step. */
  prefillSeqs: number;
  /**
   * Attention work of the prefill chunks: Σ chunk_i × (cachedContext_i + chunk_i), i.e. query tokens × keys
   * they attend to. Zero when there is no prefill.
   */
  prefillAttentionPairs: number;
  /** Sequences generating one token this step. */
  decodeSeqs: number;
  /** Σ context length (tokens already in KV) over the decoding sequences: the KV bytes read per step. */
  decodeContextTokens: number;
}

export interface StepTimeModel {
  /** Wall seconds of one engine step for this batch on one replica (all TP ranks together). */
  stepSeconds(batch: BatchShape): number;
  /** Human-readable name, for reports. */
  readonly name: string;
}
