import { describe, expect, it } from 'vitest';
import { constant, uniform } from '../../sim/engine/distributions.js';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { PrefixCacheTally } from '../../sim/serving/prefix-tally.js';
import { Replica, type ReplicaConfig, type ReplicaOptions } from '../../sim/serving/replica.js';
import { LinearStepTime, RecordingSink, TEST_CONFIG, makeRequest, runWorkload } from './replica-harness.js';
import { causalPairs } from '../../sim/serving/step-time/types.js';

function setup(config: Partial<ReplicaConfig> = {}, options: Partial<ReplicaOptions> = {}) {
  const sim = new Simulator();
  const sink = new RecordingSink();
  const stepTime = new LinearStepTime(undefined, true);
  const replica = new Replica({ sim, sink, stepTime, config: { ...TEST_CONFIG, ...config }, warm: true, ...options });
  /** Runs `action` at simulated time `time`. */
  const at = (time: number, action: () => void) => sim.at(time, sim.handler(action));
  return { sim, sink, stepTime, replica, at };
}

// LinearStepTime's default coefficients, spelled out for the hand computations below.
const step = (prefill: number, pairs: number, decodes: number, context: number) =>
  0.005 + 1e-4 * prefill + 1e-9 * pairs + 5e-5 * decodes + 2e-7 * context;

describe('replica: one request', () => {
  it('emits the first token at the end of prefill and completes after outputTokens tokens', () => {
    const { sim, sink, replica, stepTime } = setup();
    const req = makeRequest(1, 0, 100, 3);
    replica.submit(req);
    sim.run();
    const t1 = step(100, causalPairs(100, 0), 0, 0);
    const t2 = t1 + step(0, 0, 1, 100);
    const t3 = t2 + step(0, 0, 1, 101);
    expect(req.firstTokenAt).toBeCloseTo(t1, 12);
    expect(req.finishedAt).toBeCloseTo(t3, 12);
    expect(req.tokensStreamed).toBe(3);
    expect(sink.outcomes.get(1)).toMatchObject({ kind: 'completed', tokensStreamed: 3 });
    expect(stepTime.shapes.map((s) => [s.prefillTokens, s.decodeSeqs, s.decodeContextTokens])).toEqual([
      [100, 0, 0],
      [0, 1, 100],
      [0, 1, 101],
    ]);
    expect(replica.stats.steps).toBe(3);
    expect(replica.kvUsage()).toBe(0);
  });

  it('chunks a long prompt by the token budget (chunked prefill)', () => {
    const { sim, replica, stepTime } = setup({ maxNumBatchedTokens: 2048 });
    const req = makeRequest(1, 0, 5000, 1);
    replica.submit(req);
    sim.run();
    expect(stepTime.shapes.map((s) => [s.prefillTokens, s.prefillAttentionPairs])).toEqual([
      [2048, causalPairs(2048, 0)],
      [2048, causalPairs(2048, 2048)],
      [904, causalPairs(904, 4096)],
    ]);
    expect(req.firstTokenAt).toBe(req.finishedAt);
  });

  it('multiplies step times by the bad-version factor', () => {
    const times = [1, 2].map((factor) => {
      const { sim, replica } = setup({}, { stepTimeFactor: factor });
      const req = makeRequest(1, 0, 300, 50);
      replica.submit(req);
      sim.run();
      return req.finishedAt;
    });
    expect(times[1]).toBeCloseTo(2 * times[0], 12);
  });

  it('refuses a request that can never fit the KV cache, and a cache of no blocks', () => {
    const { sim, sink, replica } = setup({ kvBlocks: 10 });
    replica.submit(makeRequest(1, 0, 150, 20)); // 169 tokens of KV > 160
    replica.submit(makeRequest(2, 0, 150, 11)); // 160: fits
    sim.run();
    expect(sink.outcomes.get(1)).toMatchObject({ kind: 'rejected', cause: 'server-error' });
    expect(sink.outcomes.get(2)?.kind).toBe('completed');
    expect(replica.stats.tooLong).toBe(1);
    // The server's own rules (maxNumBatchedTokens >= maxNumSeqs, ...) are the schema's: replica-server-schema.test.ts.
    expect(() => setup({ kvBlocks: 0 })).toThrow(/server\.kvBlocks/);
  });
});

describe('replica: vLLM V1 scheduling', () => {
  it('serves running requests first, then admits waiting ones into the rest of the budget', () => {
    const { sim, replica, stepTime } = setup({ maxNumBatchedTokens: 2048 });
    const a = makeRequest(1, 0, 1500, 3);
    const b = makeRequest(2, 0, 1500, 3);
    replica.submit(a);
    replica.submit(b);
    sim.run();
    const shapes = stepTime.shapes.map((s) => [s.prefillTokens, s.prefillSeqs, s.decodeSeqs, s.decodeContextTokens]);
    expect(shapes.slice(0, 3)).toEqual([
      [1500 + 548, 2, 0, 0], // a whole, b's first chunk
      [952, 1, 1, 1500], // a decodes, b finishes its prompt
      [0, 0, 2, 1501 + 1500],
    ]);
    expect(b.firstTokenAt).toBeGreaterThan(a.firstTokenAt);
  });

  it('caps running sequences at maxNumSeqs; the others wait FCFS', () => {
    const { sim, replica, sink, at } = setup({ maxNumSeqs: 2 });
    const reqs = [1, 2, 3].map((id) => makeRequest(id, 0, 100, 20));
    for (const r of reqs) replica.submit(r);
    let sampled = false;
    at(0.02, () => {
      sampled = true;
      expect(replica.runningCount()).toBe(2);
      expect(replica.waitingCount()).toBe(1);
      expect(replica.hasRoom()).toBe(false);
    });
    sim.run();
    expect(sampled).toBe(true);
    expect(reqs[2].firstTokenAt).toBeGreaterThan(reqs[0].finishedAt);
    expect(reqs[2].firstTokenAt).toBeGreaterThan(reqs[1].finishedAt);
    expect(sink.count('completed')).toBe(3);
  });

  it('preempts the newest running request when a block runs out, recomputes it, and still ends each request once', () => {
    // 10 blocks of 16 tokens; each request needs 4 blocks for its prompt and 8 by its last token.
    const { sim, sink, replica, stepTime } = setup({ kvBlocks: 10, maxNumBatchedTokens: 16, maxNumSeqs: 2 });
    const a = makeRequest(1, 0, 64, 64);
    const b = makeRequest(2, 0, 64, 64);
    replica.submit(a);
    replica.submit(b);
    sim.run();
    expect(replica.stats.preemptions).toBeGreaterThanOrEqual(1);
    expect(sink.outcomes.get(1)).toMatchObject({ kind: 'completed', tokensStreamed: 64 });
    expect(sink.outcomes.get(2)).toMatchObject({ kind: 'completed', tokensStreamed: 64 });
    // The oldest keeps running; the victim recomputes its prompt and the tokens it had generated.
    expect(a.finishedAt).toBeLessThan(b.finishedAt);
    const shapes = stepTime.shapes;
    expect(shapes.reduce((sum, s) => sum + s.prefillTokens, 0)).toBeGreaterThan(128);
    // The step that preempted admitted nothing, though the victim's 16-token chunk would have fit: phase B is
    // skipped after a preemption. The victim comes back at the next step.
    const preempting = shapes.findIndex((s, i) => i > 0 && shapes[i - 1].decodeSeqs === 2 && s.decodeSeqs === 1);
    expect(preempting).toBeGreaterThan(0);
    expect(shapes[preempting].prefillSeqs).toBe(0);
    expect(shapes[preempting + 1].prefillSeqs).toBe(1);
    expect(replica.kvUsage()).toBe(0);
  });

  it('under a heavy workload on a small KV cache, preempts often and every request completes exactly once', () => {
    const run = runWorkload(
      { seed: 11, requests: 400, rate: 20, prompt: uniform(50, 800), output: uniform(1, 500) },
      { stepTime: new LinearStepTime(), config: { ...TEST_CONFIG, kvBlocks: 300 }, warm: true },
    );
    expect(run.replica.stats.preemptions).toBeGreaterThan(20);
    expect(run.sink.count('completed')).toBe(400);
    for (const req of run.requests) expect(req.tokensStreamed).toBe(req.outputTokens);
    expect(run.replica.kvUsage()).toBe(0);
    expect(run.replica.outstanding()).toBe(0);
  });
});

describe('replica: prefix cache', () => {
  it('skips the cached prefix: counted as context, not as prefill', () => {
    const { sim, replica, stepTime, at } = setup();
    const a = makeRequest(1, 0, 600, 2, 7, 512);
    const b = makeRequest(2, 1, 600, 2, 7, 512);
    replica.submit(a);
    at(1, () => replica.submit(b));
    expect(replica.hasPrefix(7)).toBe(false);
    sim.run();
    expect(replica.hasPrefix(7)).toBe(true);
    expect(replica.hasPrefix(8)).toBe(false);
    const bPrefill = stepTime.shapes[2];
    expect([bPrefill.prefillTokens, bPrefill.prefillAttentionPairs]).toEqual([88, causalPairs(88, 512)]);
    expect(bPrefill.prefillCachedTokens).toBe(512);
    expect(replica.stats.prefixHitTokens).toBe(512);
    expect(b.firstTokenAt - b.arrival).toBeLessThan((a.firstTokenAt - a.arrival) / 3);
  });

  it('computes at least one token of a prompt that is all prefix, and ignores prefixes with caching off', () => {
    const hitOf = (prefixCaching: boolean) => {
      const { sim, replica, at } = setup({ prefixCaching });
      replica.submit(makeRequest(1, 0, 512, 1, 0, 512));
      at(1, () => replica.submit(makeRequest(2, 1, 512, 1, 0, 512)));
      sim.run();
      return replica.stats.prefixHitTokens;
    };
    expect(hitOf(true)).toBe(496); // 31 of 32 blocks: the last block holds the token to compute
    expect(hitOf(false)).toBe(0);
  });

  it('evicts the least recently used prefix when a request needs its blocks', () => {
    const { sim, replica, at } = setup({ kvBlocks: 40 });
    // Groups 1 and 2 each leave 16 cached blocks (256-token prefixes); group 1 is released first.
    replica.submit(makeRequest(1, 0, 260, 1, 1, 256));
    at(1, () => replica.submit(makeRequest(2, 1, 260, 1, 2, 256)));
    // 20 blocks needed with 8 free: 12 evicted, all from group 1's chain tail.
    at(2, () => replica.submit(makeRequest(3, 2, 320, 1)));
    at(3, () => {
      expect(replica.hasPrefix(1)).toBe(true);
      expect(replica.hasPrefix(2)).toBe(true);
      replica.submit(makeRequest(4, 3, 100, 1, 1, 256));
      replica.submit(makeRequest(5, 3, 200, 1, 2, 256));
    });
    sim.run();
    // Request 4 finds the 4 blocks left of group 1 (its 100-token prompt could use 6), request 5 all the 12 its
    // 200-token prompt can use of group 2's 16.
    expect(replica.stats.prefixHitTokens).toBe(4 * 16 + 12 * 16);
  });
});

describe('replica: prefix warm-up and the fleet tally', () => {
  it('serves warmed prefixes from the cache at once, and tallies lookups and hits', () => {
    const prefixTally = new PrefixCacheTally();
    const { sim, replica } = setup({}, { prefixTally });
    replica.warmPrefixes([
      { group: 3, tokens: 512 },
      { group: 4, tokens: 256 },
    ]);
    expect([replica.hasPrefix(3), replica.hasPrefix(4), replica.hasPrefix(5)]).toEqual([true, true, false]);
    expect(replica.kvUsage()).toBe(0); // cached blocks nobody uses count as free, as in vLLM
    replica.submit(makeRequest(1, 0, 600, 2, 3, 512));
    replica.submit(makeRequest(2, 0, 300, 2, 5, 256));
    sim.run();
    expect(replica.stats.prefixHitTokens).toBe(512);
    expect(prefixTally).toEqual({ queryTokens: 900, hitTokens: 512 });
  });

  it('warms the most popular prefix last, so it is evicted last, and stops when blocks run out', () => {
    const { replica } = setup({ kvBlocks: 40 });
    // 16 blocks each: 3 and 2 fit, 1 would need 48.
    replica.warmPrefixes([
      { group: 1, tokens: 256 },
      { group: 2, tokens: 256 },
      { group: 3, tokens: 256 },
    ]);
    expect([replica.hasPrefix(1), replica.hasPrefix(2), replica.hasPrefix(3)]).toEqual([false, true, true]);
    const off = setup({ prefixCaching: false }).replica;
    off.warmPrefixes([{ group: 1, tokens: 256 }]);
    expect(off.hasPrefix(1)).toBe(false);
  });
});

describe('replica: waiting bound and bad versions', () => {
  it("rejects 'queue-full' beyond maxWaiting", () => {
    const { sim, sink, replica, at } = setup({ maxNumSeqs: 1, maxWaiting: 2 });
    replica.submit(makeRequest(1, 0, 100, 50));
    at(0.05, () => {
      for (let id = 2; id <= 5; id++) replica.submit(makeRequest(id, 0.05, 100, 5));
    });
    sim.run();
    expect([2, 3].map((id) => sink.outcomes.get(id)?.kind)).toEqual(['completed', 'completed']);
    expect([4, 5].map((id) => sink.outcomes.get(id)?.cause)).toEqual(['queue-full', 'queue-full']);
  });

  it("fails the configured share of requests with 'server-error', from the given stream", () => {
    const { sim, sink, replica } = setup({}, { errorRate: 0.25, errorRng: new RandomStreams(3).stream('server.errors') });
    for (let id = 0; id < 4000; id++) replica.submit(makeRequest(id, 0, 8, 1));
    sim.run();
    const failed = sink.count('rejected');
    // Binomial(4000, 0.25): sd 27.4; ±110 is four sd.
    expect(Math.abs(failed - 1000)).toBeLessThan(110);
    expect(sink.count('completed')).toBe(4000 - failed);
  });
});

describe('replica: cancel, abort, idle', () => {
  it('cancel forgets a request silently and frees its blocks', () => {
    const { sim, sink, replica, at } = setup({ maxNumSeqs: 2 });
    const a = makeRequest(1, 0, 400, 200);
    const b = makeRequest(2, 0, 400, 200);
    const c = makeRequest(3, 0, 400, 200);
    for (const r of [a, b, c]) replica.submit(r);
    let usageBefore = 0;
    at(0.3, () => {
      usageBefore = replica.kvUsage();
      replica.cancel(a); // running
      replica.cancel(c); // waiting
      expect(replica.kvUsage()).toBeLessThan(usageBefore);
      expect(replica.outstanding()).toBe(1);
      expect(a.tokensStreamed).toBeGreaterThan(0);
    });
    sim.run();
    expect(usageBefore).toBeGreaterThan(0);
    expect([...sink.outcomes.keys()]).toEqual([2]);
    expect(b.tokensStreamed).toBe(200);
    expect(replica.kvUsage()).toBe(0);
  });

  it('abortAll drops running requests with the tokens streamed so far and rejects waiting ones', () => {
    const { sim, sink, replica, at } = setup({ maxNumSeqs: 2 });
    const reqs = [1, 2, 3].map((id) => makeRequest(id, 0, 100, 1000));
    for (const r of reqs) replica.submit(r);
    let idle = 0;
    replica.onIdle(() => idle++);
    at(0.5, () => replica.abortAll('sigterm-abort', 'aborted-before-start'));
    sim.run();
    for (const id of [1, 2]) {
      const outcome = sink.outcomes.get(id)!;
      expect(outcome).toMatchObject({ kind: 'dropped', cause: 'sigterm-abort', at: 0.5 });
      expect(outcome.tokensStreamed).toBeGreaterThan(10);
      expect(outcome.tokensStreamed).toBeLessThan(1000);
    }
    expect(sink.outcomes.get(3)).toMatchObject({ kind: 'rejected', cause: 'aborted-before-start', tokensStreamed: 0 });
    expect(idle).toBe(1);
    expect(replica.kvUsage()).toBe(0);
    expect(sim.now).toBe(0.5); // nothing left scheduled
  });

  it('tells idle listeners once each time the last request leaves', () => {
    const { sim, replica, at } = setup();
    const idleAt: number[] = [];
    replica.onIdle(() => idleAt.push(sim.now));
    replica.submit(makeRequest(1, 0, 100, 5));
    replica.submit(makeRequest(2, 0, 100, 10));
    at(5, () => replica.submit(makeRequest(3, 5, 100, 5)));
    sim.run();
    expect(idleAt.length).toBe(2);
    expect(idleAt[0]).toBeLessThan(5);
    expect(idleAt[1]).toBe(sim.now);
  });
});

describe('replica: cold start and empty prefix cache', () => {
  /** TTFT of each request under a steady load where every request shares one of two system prompts. */
  const ttfts = (warm: boolean) => {
    const run = runWorkload(
      {
        seed: 21,
        requests: 300,
        rate: 4,
        prompt: constant(1200),
        output: uniform(20, 200),
        prefixShare: 1,
        groups: 2,
        prefixTokens: 1000,
      },
      { stepTime: new LinearStepTime(), config: TEST_CONFIG, warm },
    );
    expect(run.sink.count('completed')).toBe(300);
    return run.requests.map((r) => r.firstTokenAt - r.arrival);
  };
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

  it('a new replica answers its first requests slower than after warm-up', () => {
    const cold = ttfts(false);
    const steady = mean(cold.slice(100));
    expect(cold[0]).toBeGreaterThan(1.1);
    expect(mean(cold.slice(0, 3))).toBeGreaterThan(10 * steady);
    expect(steady).toBeLessThan(0.1);
  });

  it('with warm kernels, the empty prefix cache alone still makes the first request slower', () => {
    const warm = ttfts(true);
    const steady = mean(warm.slice(100));
    expect(warm[0]).toBeLessThan(1);
    expect(warm[0]).toBeGreaterThan(2 * steady);
  });
});
