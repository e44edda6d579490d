import type { Request } from '../traffic/request.js';
import type { KvCache } from './kv-cache.js';

/**
 * One request's engine state (vLLM V1's Request: token counts, not token lists). The replica creates it on
 * submit and applies step results to it; the scheduler (vllm-scheduler.ts) decides its chunk, admission and
 * preemption.
 */
export class Sequence {
  /** Tokens whose KV is in the cache: prefix hit plus computed. */
  numComputed = 0;
  /** Prompt plus generated tokens; the last generated one is computed by the next decode step. */
  numTokens: number;
  /** numTokens when last admitted: below it the sequence is prefilling (after a preemption, recomputing). */
  prefillEnd = 0;
  generated = 0;
  privateBlocks = 0;
  sharedBlocks = 0;
  /** Prefix-cache entry referenced while running, else -1. */
  prefixEntry = -1;
  /** Full blocks of the shared prefix the prefix cache can serve (0 when none or caching is off). */
  readonly prefixBlocks: number;
  /** req.outputTokens, kept here so the per-step passes read only this object. */
  readonly outputTokens: number;
  /** Tokens scheduled in the step in progress. */
  scheduled = 0;
  /** Still held by the replica (waiting or running): false once completed, cancelled or aborted. */
  live = true;
  /** The LoRA adapter it is served with (-1: the base model), and whether it was not in a GPU slot on arrival. */
  readonly adapter: number;
  adapterMiss = false;
  /**
   * Prompt tokens whose KV a prefill pod computed and sent (a disaggregated decode replica): admitted as already
   * computed, like a full prefix-cache hit. 0 otherwise, and 0 again once a preemption freed them (recomputed here).
   */
  transferredTokens: number;

  /** `outputTokens`: 1 on a prefill-only replica (it stops at the first token); `transferredTokens` as above. */
  constructor(
    readonly req: Request,
    prefixBlocks: number,
    outputTokens = req.outputTokens,
    transferredTokens = 0,
  ) {
    this.numTokens = req.promptTokens;
    this.prefixBlocks = prefixBlocks;
    this.outputTokens = outputTokens;
    this.adapter = req.adapter;
    this.transferredTokens = transferredTokens;
  }

  get blocks(): number {
    return this.privateBlocks + this.sharedBlocks;
  }

  /** Gives back its private blocks and its prefix-cache reference (finished, preempted, cancelled, aborted). */
  releaseBlocks(kv: KvCache): void {
    kv.release(this.privateBlocks);
    if (this.prefixEntry >= 0) kv.prefix.release(this.prefixEntry);
    this.privateBlocks = 0;
    this.sharedBlocks = 0;
    this.prefixEntry = -1;
    this.scheduled = 0;
  }
}
