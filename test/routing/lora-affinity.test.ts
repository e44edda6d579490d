/**
 * LoRA affinity (the Inference Extension endpoint picker's grades) and the gateway's adapter rewrite: the in-pool
 * weighted draw, the new pool's own mapping, and the version label per-version telemetry reads.
 */
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { routerOptions, zRouting } from '../../sim/routing/config.js';
import { endpointLoraAffinity, LoraAffinityPicker, loraAffinityScore, LORA_AFFINITY_SCORE } from '../../sim/routing/lora-affinity.js';
import { Router } from '../../sim/routing/router.js';
import { firstAttempt } from '../../sim/traffic/attempt.js';
import type { Request } from '../../sim/traffic/request.js';
import { FakeEndpoint, FakeEndpoints, pods, RecordingSink } from './fakes.js';

class LoraEndpoint extends FakeEndpoint {
  readonly adapters = new Set<number>();
  freeSlots = 0;
  hasAdapter(adapter: number): boolean {
    return this.adapters.has(adapter);
  }
  freeAdapterSlots(): number {
    return this.freeSlots;
  }
}

const request = (id: number, adapter: number): Request => firstAttempt(id, 0, 100, 10, -1, 0, adapter);

describe('LoRA affinity score', () => {
  it('grades a pod 1 with the adapter, 0.8 with a free slot, 0 otherwise; the base model scores 1 everywhere', () => {
    expect(loraAffinityScore(3, true, 0)).toBe(LORA_AFFINITY_SCORE.affine);
    expect(loraAffinityScore(3, false, 2)).toBe(0.8);
    expect(loraAffinityScore(3, false, 0)).toBe(0);
    expect(loraAffinityScore(-1, false, 0)).toBe(1);
    expect(endpointLoraAffinity(new FakeEndpoint(1), 3)).toBe(0); // a pod without LoRA never has it
  });

  it('the picker prefers the pod with the adapter, then one with a free slot, unless it is too loaded', () => {
    const [withIt, withSlot, full] = [new LoraEndpoint(1), new LoraEndpoint(2), new LoraEndpoint(3)];
    withIt.adapters.add(7);
    withSlot.freeSlots = 1;
    withIt.load = 5;
    withSlot.load = 2;
    full.load = 0;
    const picker = new LoraAffinityPicker(8);
    const candidates = [withIt, withSlot, full];
    expect(picker.pick(candidates, request(1, 7))).toBe(0);
    expect(picker.pick(candidates, request(2, 9))).toBe(1); // no pod has 9: a free slot beats the idle full pod
    expect(picker.pick(candidates, request(3, -1))).toBe(2); // base model: least loaded
    withIt.load = 9; // 9 above the least loaded: past maxImbalance 8, load wins
    expect(picker.pick(candidates, request(4, 7))).toBe(2);
  });
});

describe('adapter rewrite at the gateway', () => {
  function setup(scope: 'in-pool' | 'new-pool', newPods = 0) {
    const source = new FakeEndpoints(pods(1, 2), pods(10, newPods));
    const router = new Router(new Simulator(), new RandomStreams(11), source, new RecordingSink(), routerOptions(zRouting.parse({})));
    router.setAdapterRewrite({ from: 0, to: 1, scope });
    return { router, source };
  }

  it('in-pool: a 9:1 weight serves 10 % +- 1 % of the requests for `from` with `to`, on the same pods, labelled new', () => {
    const { router, source } = setup('in-pool');
    router.setRewriteWeight(10);
    const sent = Array.from({ length: 10_000 }, (_, i) => request(i + 1, 0));
    for (const req of sent) router.accept(req);
    const rewritten = sent.filter((r) => r.adapter === 1);
    expect(rewritten.length / sent.length).toBeGreaterThan(0.09);
    expect(rewritten.length / sent.length).toBeLessThan(0.11);
    expect(rewritten.every((r) => r.version === 'new' && r.requestedAdapter === 0)).toBe(true);
    expect(sent.filter((r) => r.adapter === 0).every((r) => r.version === 'old')).toBe(true);
    expect(source.old.reduce((n, e) => n + e.accepted.length, 0)).toBe(10_000);
  });

  it('in-pool: weight 0 and 100 are exact; other adapters are never rewritten', () => {
    const { router } = setup('in-pool');
    const other = request(1, 2);
    router.accept(other);
    expect(other.adapter).toBe(2);
    const at0 = request(2, 0);
    router.accept(at0);
    expect(at0.adapter).toBe(0);
    router.setRewriteWeight(100);
    const at100 = request(3, 0);
    router.accept(at100);
    expect(at100.adapter).toBe(1);
  });

  it('new-pool: requests routed to the new pool are served with `to`, the old pool keeps `from`', () => {
    const { router } = setup('new-pool', 2);
    router.setSplit([
      { version: 'old', weight: 50 },
      { version: 'new', weight: 50 },
    ]);
    const sent = Array.from({ length: 200 }, (_, i) => request(i + 1, 0));
    for (const req of sent) router.accept(req);
    expect(sent.every((r) => (r.version === 'new') === (r.adapter === 1))).toBe(true);
    expect(sent.every((r) => (r.podId >= 10) === (r.version === 'new'))).toBe(true);
    expect(sent.some((r) => r.version === 'new') && sent.some((r) => r.version === 'old')).toBe(true);
  });
});
