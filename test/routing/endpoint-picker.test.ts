import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { routerOptions, zRouting } from '../../sim/routing/config.js';
import { ScrapedMetrics } from '../../sim/routing/pod-metrics.js';
import { PrefixIndex } from '../../sim/routing/prefix-index.js';
import { Router } from '../../sim/routing/router.js';
import { allSaturated } from '../../sim/routing/saturation.js';
import { kvCacheUtilizationScorer, loraAffinityScorer, prefixCacheScorer, queueScorer } from '../../sim/routing/scorers.js';
import { firstAttempt } from '../../sim/traffic/attempt.js';
import type { Request } from '../../sim/traffic/request.js';
import { FakeEndpoints, pods, RecordingSink } from './fakes.js';

function setup(endpointPicker: unknown = {}, old = pods(1, 4), extra: Record<string, unknown> = {}) {
  const sim = new Simulator();
  const source = new FakeEndpoints(old);
  const client = new RecordingSink();
  const options = routerOptions(zRouting.parse({ policy: 'endpoint-picker', endpointPicker, ...extra }));
  const router = new Router(sim, new RandomStreams(5), source, client, options);
  let lastId = 0;
  const send = (group = -1, prompt = 3200, prefix = 1600): Request => {
    const req = firstAttempt(++lastId, sim.now, prompt, 50, group, group < 0 ? 0 : prefix);
    router.accept(req);
    return req;
  };
  return { sim, source, client, router, send };
}

const request = (group: number, prompt: number, prefix: number) => firstAttempt(1, 0, prompt, 10, group, prefix);

describe('endpoint-picker scorers', () => {
  it('queue: min-max normalised waiting queues; KV: one minus the use', () => {
    const endpoints = pods(1, 3);
    endpoints.forEach((e, i) => ((e.waiting = [4, 0, 2][i]), (e.kv = [0.5, 0.9, 0][i])));
    const metrics = new ScrapedMetrics();
    metrics.scrape(endpoints, 0);
    const scores = new Float64Array(3);
    queueScorer(1, metrics).score(endpoints, request(-1, 100, 0), scores);
    expect([...scores]).toEqual([0, 1, 0.5]);
    kvCacheUtilizationScorer(1, metrics).score(endpoints, request(-1, 100, 0), scores);
    expect([...scores].map((s) => Number(s.toFixed(6)))).toEqual([0.5, 0.1, 1]);
    endpoints.forEach((e) => (e.waiting = 3));
    metrics.scrape(endpoints, 1);
    queueScorer(1, metrics).score(endpoints, request(-1, 100, 0), scores);
    expect([...scores]).toEqual([1, 1, 1]);
  });

  it('LoRA affinity: the adapter loaded 1, a free slot 0.8, neither 0; base-model requests score every pod 0', () => {
    const endpoints = pods(1, 3).map((e, i) =>
      Object.assign(e, { hasAdapter: (a: number) => i === 0 && a === 2, freeAdapterSlots: () => (i === 1 ? 1 : 0) }),
    );
    const scores = new Float64Array(3);
    const withAdapter = firstAttempt(1, 0, 100, 10, -1, 0, 2);
    loraAffinityScorer(1).score(endpoints, withAdapter, scores);
    expect([...scores]).toEqual([1, 0.8, 0]);
    loraAffinityScorer(1).score(endpoints, request(-1, 100, 0), scores);
    expect([...scores]).toEqual([0, 0, 0]);
  });

  it('prefix: the share of the prompt the index believes cached, learnt from its own picks', () => {
    const index = new PrefixIndex({ capacityBlocks: 1000, hashBlockTokens: 16, maxPrefixBlocks: 256 });
    const scorer = prefixCacheScorer(1, index);
    const endpoints = pods(1, 2);
    const req = request(7, 3200, 1600); // 200 blocks, 100 of them shared
    const scores = new Float64Array(2);
    scorer.score(endpoints, req, scores);
    expect([...scores]).toEqual([0, 0]);
    scorer.picked?.(endpoints[1], req);
    scorer.score(endpoints, req, scores);
    expect([...scores]).toEqual([0, 0.5]);
    // Prompts longer than maxPrefixBlocks blocks are cut: 100 of 256 blocks.
    scorer.score(endpoints, request(7, 10_000, 1600), scores);
    expect(scores[1]).toBeCloseTo(100 / 256, 12);
    // Another group is unknown, and so is a request without a group.
    scorer.score(endpoints, request(8, 3200, 1600), scores);
    expect(scores[1]).toBe(0);
  });

  it('prefix index: LRU capacity in blocks, and pods that left the pool are forgotten', () => {
    const index = new PrefixIndex({ capacityBlocks: 500, hashBlockTokens: 16, maxPrefixBlocks: 256 });
    index.record(1, request(7, 3200, 1600)); // 200 blocks
    index.record(1, request(-1, 3200, 0)); // 200 more: 200 added since group 7
    expect(index.matchedBlocks(1, request(7, 3200, 1600))).toBe(100);
    index.record(1, request(-1, 4800, 0)); // 256 more (cut): 456 < 500
    expect(index.matchedBlocks(1, request(7, 3200, 1600))).toBe(100);
    index.record(1, request(-1, 800, 0)); // 50 more: 506 ≥ 500, evicted
    expect(index.matchedBlocks(1, request(7, 3200, 1600))).toBe(0);
    index.record(2, request(7, 3200, 1600));
    index.record(3, request(7, 3200, 1600));
    index.retainOnly(pods(3, 1));
    expect(index.size).toBe(1);
    expect(index.matchedBlocks(2, request(7, 3200, 1600))).toBe(0);
    expect(index.matchedBlocks(3, request(7, 3200, 1600))).toBe(100);
  });

  it('saturation: no pod with fresh metrics, a short queue and room in its KV cache', () => {
    const endpoints = pods(1, 2);
    const metrics = new ScrapedMetrics();
    const limits = { queueDepth: 5, kvCache: 0.8, metricsStaleness: 0.2 };
    expect(allSaturated(endpoints, metrics, 0, limits)).toBe(true); // never scraped
    metrics.scrape(endpoints, 0);
    expect(allSaturated(endpoints, metrics, 0.1, limits)).toBe(false);
    expect(allSaturated(endpoints, metrics, 0.3, limits)).toBe(true); // stale
    endpoints[0].waiting = 6;
    endpoints[1].kv = 0.81;
    metrics.scrape(endpoints, 1);
    expect(allSaturated(endpoints, metrics, 1, limits)).toBe(true);
    endpoints[0].waiting = 5;
    metrics.scrape(endpoints, 2);
    expect(allSaturated(endpoints, metrics, 2, limits)).toBe(false);
    expect(allSaturated([], metrics, 2, limits)).toBe(true);
  });
});

describe('policy endpoint-picker', () => {
  it('has the upstream defaults and takes its options only with its policy', () => {
    const options = routerOptions(zRouting.parse({ policy: 'endpoint-picker' })).endpointPicker;
    expect(options).toEqual({
      scrapeInterval: 0.05,
      weights: { queue: 2, kvCache: 2, prefix: 3, loraAffinity: 1 },
      saturation: { queueDepth: 5, kvCache: 0.8, metricsStaleness: 0.2 },
      prefixIndex: { capacityBlocks: 31250, hashBlockTokens: 16, maxPrefixBlocks: 256 },
    });
    expect(routerOptions(zRouting.parse({ policy: 'endpoint-picker', endpointPicker: { saturation: false } })).endpointPicker.saturation).toBeNull();
    const bad = zRouting.safeParse({ policy: 'least-outstanding', endpointPicker: {} });
    expect(bad.error?.issues[0].message).toMatch(/only applies with policy: endpoint-picker/);
    expect(zRouting.safeParse({ policy: 'endpoint-picker', centralQueue: { maxSize: 10 } }).success).toBe(true);
  });

  it('sees pod metrics only as of the last scrape, one event per interval', () => {
    const { sim, source, send } = setup({ scrapeInterval: '1s', weights: { queue: 1, kvCache: 0, prefix: 0 }, saturation: false });
    source.old.forEach((e, i) => (e.waiting = [3, 3, 0, 3][i]));
    sim.run(0);
    expect(send().podId).toBe(3);
    // The queue of pod 3 grows, but the picker still sees 0 there until the next scrape.
    source.old[2].waiting = 9;
    sim.run(0.9);
    expect(send().podId).toBe(3);
    sim.run(1);
    expect([1, 2, 4]).toContain(send().podId);
    const before = sim.eventsProcessed;
    for (let i = 0; i < 100; i++) send();
    sim.run(10);
    expect(sim.eventsProcessed - before).toBe(9); // the scrapes at 2..10 s, nothing per request
  });

  it('prefers the pod it sent the prefix to, unless load outweighs the affinity', () => {
    const { sim, source, send } = setup({ saturation: false });
    sim.run(0);
    const first = send(3).podId;
    for (let i = 0; i < 5; i++) expect(send(3).podId).toBe(first);
    // Its queue and KV use now look much worse than the others': load scores 0 there, 4 elsewhere, prefix 1.5.
    const home = source.old.find((e) => e.podId === first)!;
    home.waiting = 20;
    home.kv = 0.95;
    sim.run(0.05);
    expect(send(3).podId).not.toBe(first);
  });

  it('spreads ties at random', () => {
    const { sim, source, send } = setup({ saturation: false, weights: { queue: 1, kvCache: 1, prefix: 0 } });
    sim.run(0);
    for (let i = 0; i < 4000; i++) send();
    for (const e of source.old) expect(Math.abs(e.accepted.length / 4000 - 0.25)).toBeLessThan(0.03);
  });

  it('holds requests in the gateway queue while every pod is saturated and sends them after a scrape shows room', () => {
    const { sim, source, router, client, send } = setup({}, pods(1, 2), { centralQueue: { maxSize: 3 } });
    source.old.forEach((e) => (e.waiting = 6));
    sim.run(0);
    const held = [send(), send(), send()];
    expect(router.queued).toBe(3);
    expect(held.every((r) => r.podId === -1)).toBe(true);
    const refused = send();
    expect(client.of('rejected')).toEqual([{ kind: 'rejected', req: refused, at: 0, cause: 'gateway-queue-full' }]);
    source.old[1].waiting = 0;
    sim.run(0.04);
    expect(router.queued).toBe(3); // not scraped yet
    sim.run(0.05);
    expect(router.queued).toBe(0);
    expect(held.every((r) => r.podId === 2)).toBe(true); // the stale reading says pod 2 has room for all of them
    expect(source.old[1].accepted).toHaveLength(3);
  });
});
