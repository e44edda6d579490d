import type { KvCache } from './kv-cache.js';
import type { ReplicaLora } from './lora.js';
import type { FifoQueue } from './queue-station.js';
import type { Sequence } from './sequence.js';
import { causalPairs, type BatchShape } from './step-time/types.js';

/**
 * Batch formation of one engine step, as vLLM V1's `Scheduler.schedule()` does it (serving-model.md §2.2); see
 * `scheduleStep`. The replica (replica.ts) is the event shell around it.
 *
 * Contract: `scheduleStep` is a pure function of the state it is given. It reads and updates the running list,
 * the waiting queue, the KV cache (with its prefix cache) and the sequences in them, and fills `out`; it
 * schedules no events, reads no clock, records no metrics, calls no sink and draws no random numbers, so the
 * same state gives the same batch. It mutates rather than returns so that the hot path allocates nothing: the
 * caller owns the state and the `out` record and reuses them every step.
 */

/** The replica's engine state that batch formation reads and updates. */
export interface EngineState {
  /** Admitted requests in admission order (preemption takes the tail). */
  readonly running: Sequence[];
  /** Requests not admitted yet, or preempted (at the head), in the order they will be admitted. */
  readonly waiting: FifoQueue<Sequence>;
  readonly kv: KvCache;
  /** The replica's LoRA adapters, or null when it serves none (the admission loop then stays as it was). */
  readonly lora: ReplicaLora | null;
}

/** vLLM's per-step limits (ReplicaConfig has them). */
export interface SchedulerLimits {
  /** Sequences in the running list at most (max_num_seqs). */
  readonly maxNumSeqs: number;
  /** Tokens per step over all requests (max_num_batched_tokens). */
  readonly maxNumBatchedTokens: number;
}

/**
 * What `scheduleStep` decided, besides the state it updated. After it:
 * - every sequence in `running` is in the step with `scheduled` tokens (a prefill chunk when its `numComputed`
 *   is below its `prefillEnd`, else one decode token), or has `scheduled` 0 when the budget did not reach it;
 * - the last `admitted` sequences of `running` were admitted by this step;
 * - the first `preempted` sequences of `waiting` were preempted by this step (in their running order) and hold
 *   no blocks.
 */
export interface StepSchedule {
  /** The step's make-up, for the step-time model. */
  readonly batch: BatchShape;
  preempted: number;
  admitted: number;
  /** Prompt tokens the admitted requests took from the prefix cache instead of prefilling them. */
  prefixHitTokens: number;
  /** Tokens the admitted requests looked up in the prefix cache (all of each one's tokens, as vLLM counts queries). */
  prefixQueryTokens: number;
  /**
   * Least output still to generate among the running requests phase A served (Infinity if none): noted during
   * the pass so the caller's skip-ahead needs no second one.
   */
  minRemainingOutput: number;
  /** Waiting requests passed over because their adapter could not join the batch (max_loras). */
  adapterSkips: number;
}

/** A zeroed record for `scheduleStep` to fill, made once per replica. */
export function emptyStepSchedule(): StepSchedule {
  return {
    batch: { prefillTokens: 0, prefillSeqs: 0, prefillAttentionPairs: 0, prefillCachedTokens: 0, decodeSeqs: 0, decodeContextTokens: 0 },
    preempted: 0,
    admitted: 0,
    prefixHitTokens: 0,
    prefixQueryTokens: 0,
    minRemainingOutput: Infinity,
    adapterSkips: 0,
  };
}

/**
 * Forms the next step's batch, with vLLM V1's semantics:
 *
 * - **Running requests first.** Phase A walks the running list in order and gives each the tokens that bring its
 *   computed tokens up to its tokens: the rest of its prompt (or, after a preemption, of everything it must
 *   recompute), cut to what is left of the step's token budget `maxNumBatchedTokens` (chunked prefill), or one
 *   token in decode. It stops when the budget is spent; the requests it did not reach wait for the next step.
 * - **Recompute preemption of the most recently admitted.** When a request's new KV blocks cannot be allocated,
 *   the tail of the running list (the request admitted last) is preempted: its blocks and its prefix-cache
 *   reference are freed, its computed tokens drop to 0 (everything it holds will be prefilled again), and it goes
 *   back to the head of the waiting queue. This repeats until the blocks fit, or until the request itself was the
 *   tail and is preempted.
 * - **Waiting queue FCFS.** Phase B, only in a step that preempted nothing (so a request just preempted is not
 *   readmitted at once), admits waiting requests from the head while budget, the `maxNumSeqs` sequence slots
 *   and blocks allow. The first one that does not fit stops admission: nothing behind it jumps the queue, and
 *   admission never preempts (it may evict unreferenced prefix-cache blocks, as any allocation does).
 * - **Prefix-cache hits at admission.** An admitted request in a prefix group starts with the group's resident
 *   full blocks as computed tokens (one token short of a full hit, since the last prompt token must be computed
 *   to produce logits) and references the group, pinning its blocks; only the rest is prefilled and budgeted.
 * - **KV sent by a prefill pod** (disaggregated serving, `Sequence.transferredTokens`): admitted with that many
 *   prompt tokens computed (all but the last, which the first decode step computes to produce the first token);
 *   no prefix lookup. A preemption frees them: the request is then recomputed here like any other.
 * - **LoRA slots.** With adapters, a batch holds at most `maxLoras` distinct ones: a waiting request whose
 *   adapter is not in the batch while every slot is taken is skipped and keeps its place (vLLM V1's
 *   `skipped_waiting_requests`), and admission goes on behind it. The running requests' adapters count as in
 *   the batch (vLLM counts the running requests scheduled this step; all are, unless the budget ran out).
 */
export function scheduleStep(state: EngineState, limits: SchedulerLimits, out: StepSchedule): void {
  const batch = out.batch;
  batch.prefillTokens = 0;
  batch.prefillSeqs = 0;
  batch.prefillAttentionPairs = 0;
  batch.prefillCachedTokens = 0;
  batch.decodeSeqs = 0;
  batch.decodeContextTokens = 0;
  out.preempted = 0;
  out.admitted = 0;
  out.prefixHitTokens = 0;
  out.prefixQueryTokens = 0;
  const { running, waiting, kv } = state;
  let budget = limits.maxNumBatchedTokens;
  let minRemaining = Infinity;
  let i = 0;
  while (i < running.length && budget > 0) {
    const seq = running[i];
    const tokens = Math.min(seq.numTokens - seq.numComputed, budget);
    const need = kv.blocksBeyond(seq.numComputed + tokens, seq.blocks);
    while (need > 0 && !kv.tryAllocate(need)) {
      const victim = running.pop()!;
      preempt(victim, state);
      out.preempted++;
      if (victim === seq) break;
    }
    if (i >= running.length) break; // seq itself was preempted
    seq.privateBlocks += need;
    addToBatch(seq, tokens, batch);
    budget -= tokens;
    const remaining = seq.outputTokens - seq.generated;
    if (remaining < minRemaining) minRemaining = remaining;
    i++;
  }
  out.minRemainingOutput = minRemaining;
  for (let j = i; j < running.length; j++) running[j].scheduled = 0;
  out.adapterSkips = 0;
  const lora = state.lora;
  if (lora !== null) lora.beginBatch(running);
  if (out.preempted > 0) return;
  if (lora !== null) {
    admitWithAdapters(state, limits, budget, out, lora);
    return;
  }
  while (budget > 0 && running.length < limits.maxNumSeqs) {
    const seq = waiting.peek();
    if (seq === undefined || !admit(seq, budget, kv, out)) break;
    waiting.shift();
    running.push(seq);
    out.admitted++;
    budget -= seq.scheduled;
  }
}

/** Phase B with LoRA slots: FCFS, except that a request whose adapter cannot join is skipped in place. */
function admitWithAdapters(state: EngineState, limits: SchedulerLimits, budget: number, out: StepSchedule, lora: ReplicaLora): void {
  const { running, waiting, kv } = state;
  const end = waiting.tailPosition;
  for (let p = waiting.headPosition; p < end && budget > 0 && running.length < limits.maxNumSeqs; p++) {
    const seq = waiting.itemAt(p);
    if (seq === undefined) continue;
    if (!lora.canJoin(seq.adapter)) {
      out.adapterSkips++;
      continue;
    }
    if (!admit(seq, budget, kv, out)) return;
    waiting.removeAt(p);
    running.push(seq);
    lora.join(seq.adapter);
    out.admitted++;
    budget -= seq.scheduled;
  }
}

/** Takes the prefix-cache hit and the blocks for the first chunk, if they fit; no side effect otherwise. */
function admit(seq: Sequence, budget: number, kv: KvCache, out: StepSchedule): boolean {
  const group = seq.req.prefixGroup;
  let hitBlocks = 0;
  let pinnedByAdmission = 0;
  if (seq.prefixBlocks > 0) {
    // At least one token must be computed to produce logits, so a full hit stops one token short (as vLLM).
    hitBlocks = Math.min(kv.prefix.residentBlocks(group), seq.prefixBlocks, kv.fullBlocks(seq.numTokens - 1));
    pinnedByAdmission = kv.prefix.unpinnedBlocks(group);
  }
  const hit = hitBlocks * kv.blockSize;
  // A request prefilled elsewhere (no prefix lookup then) starts with the sent KV as computed tokens.
  const computed = hit + seq.transferredTokens;
  const tokens = Math.min(seq.numTokens - computed, budget);
  const need = kv.blocksFor(computed + tokens) - hitBlocks;
  if (need > kv.availableBlocks - pinnedByAdmission) return false;
  if (seq.prefixBlocks > 0) seq.prefixEntry = kv.prefix.acquire(group);
  kv.allocate(need);
  seq.privateBlocks = need;
  seq.sharedBlocks = hitBlocks;
  seq.numComputed = computed;
  seq.prefillEnd = seq.numTokens;
  out.prefixHitTokens += hit;
  if (seq.transferredTokens === 0) out.prefixQueryTokens += seq.numTokens;
  addToBatch(seq, tokens, out.batch);
  return true;
}

function addToBatch(seq: Sequence, tokens: number, batch: BatchShape): void {
  seq.scheduled = tokens;
  if (seq.numComputed < seq.prefillEnd) {
    batch.prefillTokens += tokens;
    batch.prefillSeqs++;
    batch.prefillAttentionPairs += causalPairs(tokens, seq.numComputed);
    batch.prefillCachedTokens += seq.numComputed;
  } else {
    batch.decodeSeqs++;
    batch.decodeContextTokens += seq.numComputed;
  }
}

/** Recompute preemption (vidur's restart): the KV is freed and every token so far will be prefilled again. */
function preempt(seq: Sequence, state: EngineState): void {
  seq.releaseBlocks(state.kv);
  seq.numComputed = 0;
  seq.transferredTokens = 0;
  state.waiting.pushFront(seq);
}
