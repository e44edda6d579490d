import { describe, expect, it } from 'vitest';
import { KvCache } from '../../sim/serving/kv-cache.js';
import { FifoQueue } from '../../sim/serving/queue-station.js';
import { Sequence } from '../../sim/serving/sequence.js';
import { emptyStepSchedule, scheduleStep, type EngineState, type SchedulerLimits } from '../../sim/serving/vllm-scheduler.js';
import { makeRequest } from './replica-harness.js';

/** Batch formation on hand-built engine states: no simulator, no sink, no replica. Block size 16 throughout. */

const BLOCK = 16;
const LIMITS: SchedulerLimits = { maxNumSeqs: 8, maxNumBatchedTokens: 512 };

function engine(kvBlocks: number): EngineState {
  return { running: [], waiting: new FifoQueue<Sequence>(), kv: new KvCache(kvBlocks, BLOCK), lora: null };
}

let nextId = 1;

/** A request queued for admission (never admitted yet). `prefixTokens` > 0 puts it in prefix group `group`. */
function queue(state: EngineState, prompt: number, output = 10, group = -1, prefixTokens = 0): Sequence {
  const req = makeRequest(nextId++, 0, prompt, output, group, prefixTokens);
  const seq = new Sequence(req, group >= 0 ? state.kv.fullBlocks(req.prefixTokens) : 0);
  state.waiting.pushBack(seq);
  return seq;
}

/**
 * A request admitted earlier with `computed` tokens of KV and `generated` output tokens so far, holding the
 * blocks its computed tokens fill (as after the step that computed them).
 */
function admitted(state: EngineState, prompt: number, computed: number, generated = 0, output = 10): Sequence {
  const seq = new Sequence(makeRequest(nextId++, 0, prompt, output), 0);
  seq.prefillEnd = prompt;
  seq.numTokens = prompt + generated;
  seq.numComputed = computed;
  seq.generated = generated;
  seq.privateBlocks = state.kv.blocksFor(computed);
  state.kv.allocate(seq.privateBlocks);
  state.running.push(seq);
  return seq;
}

/** A decoding request: its whole prompt and all but the newest generated token are computed. */
function decoding(state: EngineState, prompt: number, generated: number, output = 10): Sequence {
  return admitted(state, prompt, prompt + generated - 1, generated, output);
}

/** Fills `blocks` of a group's prefix as a finished request would have left them: cached, unreferenced. */
function cachePrefix(kv: KvCache, group: number, blocks: number): void {
  const entry = kv.prefix.acquire(group);
  kv.allocate(blocks);
  kv.publish(entry, blocks);
  kv.prefix.release(entry);
}

/** The step's computed tokens land, as the replica applies them (no token is emitted here). */
function computeScheduled(state: EngineState): void {
  for (const seq of state.running) {
    seq.numComputed += seq.scheduled;
    seq.scheduled = 0;
  }
}

const ids = (seqs: readonly Sequence[]): number[] => seqs.map((s) => s.req.id);
function waitingIds(state: EngineState): number[] {
  const out: number[] = [];
  state.waiting.find((s) => {
    out.push(s.req.id);
    return false;
  });
  return out;
}

describe('vLLM scheduler: running requests first', () => {
  it('gives each running request its decode token before admitting the waiting queue', () => {
    const state = engine(100);
    const a = decoding(state, 40, 3); // 42 computed, 43 tokens
    const b = decoding(state, 20, 1); // 20 computed, 21 tokens
    const c = queue(state, 30);
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect(ids(state.running)).toEqual([a.req.id, b.req.id, c.req.id]);
    expect([a.scheduled, b.scheduled, c.scheduled]).toEqual([1, 1, 30]);
    expect(out.batch).toEqual({ prefillTokens: 30, prefillSeqs: 1, prefillAttentionPairs: (30 * 31) / 2, prefillCachedTokens: 0, decodeSeqs: 2, decodeContextTokens: 42 + 20 });
    expect(out).toMatchObject({ preempted: 0, admitted: 1, prefixHitTokens: 0, minRemainingOutput: 7 });
    expect(state.waiting.size).toBe(0);
    // a: 43 tokens need 3 blocks (had 3); b: 21 need 2 (had 2); c: 2 new.
    expect([a.privateBlocks, b.privateBlocks, c.privateBlocks]).toEqual([3, 2, 2]);
    expect(state.kv.availableBlocks).toBe(100 - 7);
  });

  it('leaves the running requests the budget did not reach out of the step, and admits nobody', () => {
    const state = engine(100);
    const a = admitted(state, 300, 100); // prefilling: 200 tokens left
    const b = decoding(state, 10, 2);
    queue(state, 5);
    const out = emptyStepSchedule();
    scheduleStep(state, { maxNumSeqs: 8, maxNumBatchedTokens: 200 }, out);
    expect([a.scheduled, b.scheduled]).toEqual([200, 0]);
    expect(out.batch).toEqual({ prefillTokens: 200, prefillSeqs: 1, prefillAttentionPairs: 200 * 100 + (200 * 201) / 2, prefillCachedTokens: 100, decodeSeqs: 0, decodeContextTokens: 0 });
    expect(out.admitted).toBe(0);
    expect(state.waiting.size).toBe(1);
    expect(out.minRemainingOutput).toBe(10);
  });
});

describe('vLLM scheduler: token budget and chunked prefill', () => {
  it('cuts the admitted prompt to what the running decodes left of the budget', () => {
    const state = engine(100);
    const a = decoding(state, 16, 1);
    const b = queue(state, 500);
    const c = queue(state, 1);
    const out = emptyStepSchedule();
    scheduleStep(state, { maxNumSeqs: 8, maxNumBatchedTokens: 100 }, out);
    expect(b.scheduled).toBe(99);
    expect(out.batch).toEqual({ prefillTokens: 99, prefillSeqs: 1, prefillAttentionPairs: (99 * 100) / 2, prefillCachedTokens: 0, decodeSeqs: 1, decodeContextTokens: 16 });
    // The budget is spent: the next request waits although one token and a block would fit.
    expect(ids(state.running)).toEqual([a.req.id, b.req.id]);
    expect(waitingIds(state)).toEqual([c.req.id]);
    expect(b.privateBlocks).toBe(7); // blocks for the first 99 tokens only
  });

  it('splits a long prompt over steps, each chunk attending causally to itself and the chunks before it', () => {
    const state = engine(100);
    const seq = queue(state, 250, 5);
    const limits = { maxNumSeqs: 8, maxNumBatchedTokens: 100 };
    const out = emptyStepSchedule();
    const steps: number[][] = [];
    for (let k = 0; k < 3; k++) {
      scheduleStep(state, limits, out);
      steps.push([seq.scheduled, out.batch.prefillTokens, out.batch.prefillAttentionPairs, seq.privateBlocks, out.admitted]);
      computeScheduled(state);
    }
    expect(steps).toEqual([
      [100, 100, (100 * 101) / 2, 7, 1],
      [100, 100, 100 * 100 + (100 * 101) / 2, 13, 0],
      [50, 50, 50 * 200 + (50 * 51) / 2, 16, 0],
    ]);
    expect(seq.numComputed).toBe(250);
  });
});

describe('vLLM scheduler: sequence cap', () => {
  it('admits only up to maxNumSeqs running requests, in queue order', () => {
    const state = engine(100);
    decoding(state, 16, 1);
    const queued = [1, 2, 3, 4, 5].map(() => queue(state, 8));
    const out = emptyStepSchedule();
    scheduleStep(state, { maxNumSeqs: 3, maxNumBatchedTokens: 512 }, out);
    expect(out.admitted).toBe(2);
    expect(ids(state.running.slice(1))).toEqual(ids(queued.slice(0, 2)));
    expect(waitingIds(state)).toEqual(ids(queued.slice(2)));
    expect(out.batch.prefillSeqs).toBe(2);
    expect(out.batch.prefillTokens).toBe(16);
  });
});

describe('vLLM scheduler: recompute preemption under KV pressure', () => {
  it('preempts the most recently admitted request and frees its blocks', () => {
    const state = engine(10);
    const a = decoding(state, 32, 1); // 32 computed, 33 tokens: needs a 3rd block
    const b = decoding(state, 48, 1); // 48 computed, 49 tokens: needs a 4th block
    const c = decoding(state, 31, 2); // 32 computed: 2 blocks
    const d = queue(state, 4); // would fit in the block c frees
    // 2 + 3 + 2 = 7 blocks held, 3 free; give two of them away so only one is left.
    state.kv.allocate(2);
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect(ids(state.running)).toEqual([a.req.id, b.req.id]);
    expect(waitingIds(state)).toEqual([c.req.id, d.req.id]);
    expect(out).toMatchObject({ preempted: 1, admitted: 0 });
    expect([c.numComputed, c.privateBlocks, c.scheduled, c.generated]).toEqual([0, 0, 0, 2]);
    expect([a.privateBlocks, b.privateBlocks]).toEqual([3, 4]);
    // a took the free block, c's two came back and b took one.
    expect(state.kv.availableBlocks).toBe(1);
    expect(out.batch).toEqual({ prefillTokens: 0, prefillSeqs: 0, prefillAttentionPairs: 0, prefillCachedTokens: 0, decodeSeqs: 2, decodeContextTokens: 32 + 48 });
  });

  it('preempts from the tail until the blocks fit', () => {
    const state = engine(6);
    const a = admitted(state, 64, 16); // prefilling: 48 tokens left need 3 more blocks
    const b = decoding(state, 10, 1); // 1 block each, none needed
    const c = decoding(state, 10, 1);
    const d = decoding(state, 10, 1);
    state.kv.allocate(2); // 4 held + 2 taken: nothing free
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect(ids(state.running)).toEqual([a.req.id]);
    expect(waitingIds(state)).toEqual([b.req.id, c.req.id, d.req.id]);
    expect(out.preempted).toBe(3);
    expect([a.scheduled, a.privateBlocks, state.kv.availableBlocks]).toEqual([48, 4, 0]);
    expect(out.batch).toEqual({ prefillTokens: 48, prefillSeqs: 1, prefillAttentionPairs: 48 * 16 + (48 * 49) / 2, prefillCachedTokens: 16, decodeSeqs: 0, decodeContextTokens: 0 });
  });

  it('preempts the request itself when it is the tail, and the step goes on without it', () => {
    const state = engine(3);
    const x = decoding(state, 10, 1); // fits its block
    const y = decoding(state, 16, 1); // needs a 2nd block, none free
    state.kv.allocate(1);
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect(ids(state.running)).toEqual([x.req.id]);
    expect(waitingIds(state)).toEqual([y.req.id]);
    expect([x.scheduled, y.scheduled, y.privateBlocks, y.numComputed, out.preempted]).toEqual([1, 0, 0, 0, 1]);
    expect(state.kv.availableBlocks).toBe(1);
  });

  it('admits nothing in a step that preempted, not even the victim that would fit again', () => {
    const state = engine(10);
    const a = decoding(state, 16, 1); // needs a 2nd block
    const c = decoding(state, 40, 1); // 3 blocks
    state.kv.allocate(6); // nothing free
    const out = emptyStepSchedule();
    scheduleStep(state, { maxNumSeqs: 8, maxNumBatchedTokens: 17 }, out);
    // c's 3 blocks came back and a took one: c's first chunk of 16 tokens would fit in the other 2.
    expect(state.kv.availableBlocks).toBe(2);
    expect(ids(state.running)).toEqual([a.req.id]);
    expect(waitingIds(state)).toEqual([c.req.id]);
    expect(out).toMatchObject({ preempted: 1, admitted: 0 });
    expect([c.scheduled, c.privateBlocks]).toEqual([0, 0]);
  });

  it('recomputes everything a preempted request held when it is admitted again', () => {
    const state = engine(100);
    const seq = queue(state, 40, 10);
    seq.numTokens = 45; // preempted after 5 generated tokens
    seq.generated = 5;
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect([seq.scheduled, seq.prefillEnd, seq.privateBlocks]).toEqual([45, 45, 3]);
    expect(out.batch.prefillTokens).toBe(45);
    expect(out.minRemainingOutput).toBe(Infinity);
  });
});

describe('vLLM scheduler: prefix-cache hits at admission', () => {
  it('starts a request at its group resident full blocks and prefills only the rest', () => {
    const state = engine(100);
    cachePrefix(state.kv, 7, 4);
    const hit = queue(state, 100, 10, 7, 64);
    const miss = queue(state, 100, 10, 8, 64);
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect([hit.numComputed, hit.scheduled, hit.sharedBlocks, hit.privateBlocks]).toEqual([64, 36, 4, 3]);
    expect([miss.numComputed, miss.scheduled, miss.sharedBlocks, miss.privateBlocks]).toEqual([0, 100, 0, 7]);
    expect(out.prefixHitTokens).toBe(64);
    expect(out.batch).toEqual({ prefillTokens: 136, prefillSeqs: 2, prefillAttentionPairs: 36 * 64 + (36 * 37) / 2 + (100 * 101) / 2, prefillCachedTokens: 64, decodeSeqs: 0, decodeContextTokens: 0 });
    expect(state.kv.prefix.pinnedBlocks).toBe(4);
    expect(hit.prefixEntry).toBeGreaterThanOrEqual(0);
  });

  it('stops a full hit one block short so the last prompt token is computed', () => {
    const state = engine(100);
    cachePrefix(state.kv, 7, 4);
    const seq = queue(state, 64, 10, 7, 64);
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect([seq.numComputed, seq.scheduled, seq.sharedBlocks, seq.privateBlocks]).toEqual([48, 16, 3, 1]);
    expect(out.prefixHitTokens).toBe(48);
  });

  it('counts the hit blocks it would pin against the free blocks', () => {
    // 6 blocks: 4 of them the cached prefix (evictable), 2 free. The request needs 3 blocks beyond its 4 hit
    // ones: 3 of 6 available would fit, but pinning the hit leaves only 2.
    const state = engine(6);
    cachePrefix(state.kv, 7, 4);
    const seq = queue(state, 100, 10, 7, 64);
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect(out.admitted).toBe(0);
    expect([seq.numComputed, seq.prefixEntry, state.kv.prefix.pinnedBlocks, state.kv.prefix.residentBlocks(7)]).toEqual([0, -1, 0, 4]);
  });
});

describe('vLLM scheduler: waiting queue FCFS', () => {
  it('stops admission at the first request that does not fit, with no side effect on it', () => {
    const state = engine(10);
    decoding(state, 16, 1); // 1 block held, needs a 2nd
    const big = queue(state, 200); // 13 blocks: never now
    const small = queue(state, 4); // 1 block: would fit
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect(out.admitted).toBe(0);
    expect(waitingIds(state)).toEqual([big.req.id, small.req.id]);
    expect([big.numComputed, big.privateBlocks, big.scheduled, big.prefillEnd]).toEqual([0, 0, 0, 0]);
    expect(state.kv.availableBlocks).toBe(8);
  });

  it('admits in arrival order, preempted requests (at the head) first', () => {
    const state = engine(100);
    const first = queue(state, 10);
    const second = queue(state, 10);
    const preempted = new Sequence(makeRequest(nextId++, 0, 10, 5), 0);
    state.waiting.pushFront(preempted);
    const out = emptyStepSchedule();
    scheduleStep(state, LIMITS, out);
    expect(ids(state.running)).toEqual([preempted.req.id, first.req.id, second.req.id]);
  });
});
