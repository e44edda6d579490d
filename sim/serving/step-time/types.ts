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
   * Causal attention work of the prefill chunks, query-key pairs: Σ chunk_i × cached_i + chunk_i (chunk_i + 1) / 2
   * (`causalPairs`); each new token attends to the cached context and to the new tokens up to itself. Zero
   * when there is no prefill.
   */
  prefillAttentionPairs: number;
  /** Σ context already in the KV cache before the prefill chunks (cached prefix, earlier chunks): KV read. */
  prefillCachedTokens: number;
  /** Sequences generating one token this step. */
  decodeSeqs: number;
  /** Σ context length (tokens already in KV) over the decoding sequences: the KV bytes read per step. */
  decodeContextTokens: number;
}

export interface StepTimeModel {
  /** Wall seconds of one engine step for this batch on one replica (all TP ranks together). */
  stepSeconds(batch: BatchShape): number;
  /**
   * The part of stepSeconds that is engine overhead (scheduling, input preparation, sampling, kernel launches
   * the GPU waits for), the rest being GPU time; for models that can tell them apart.
   */
  overheadSeconds?(batch: BatchShape): number;
  /** Human-readable name, for reports. */
  readonly name: string;
}

/** Query-key pairs of a causal prefill chunk of `chunk` new tokens after `cached` tokens already in KV. */
export function causalPairs(chunk: number, cached: number): number {
  return chunk * cached + (chunk * (chunk + 1)) / 2;
}

/** A step of `seqs` decoding sequences with `contextEach` tokens of context each. */
export function decodeBatch(seqs: number, contextEach: number): BatchShape {
  return { prefillTokens: 0, prefillSeqs: 0, prefillAttentionPairs: 0, prefillCachedTokens: 0, decodeSeqs: seqs, decodeContextTokens: seqs * contextEach };
}

/** A step prefilling `seqs` prompts of `chunk` new tokens each, after `cached` tokens each already in KV. */
export function prefillBatch(chunk: number, seqs = 1, cached = 0): BatchShape {
  return {
    prefillTokens: seqs * chunk,
    prefillSeqs: seqs,
    prefillAttentionPairs: seqs * causalPairs(chunk, cached),
    prefillCachedTokens: seqs * cached,
    decodeSeqs: 0,
    decodeContextTokens: 0,
  };
}
