/**
 * Endpoint-picker validation: under the same load it keeps prefixes where they are cached (a higher prefix-cache
 * hit rate than least-outstanding), and metrics scraped less often balance the pods' queues worse. Cache
 * continuity: the hit rate dips at each rollout wave, less with the prefix warm-up.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exponential } from '../../sim/engine/distributions.js';
import { RandomStreams, type Rng } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { routerOptions, zRouting } from '../../sim/routing/config.js';
import type { Endpoint } from '../../sim/routing/endpoint.js';
import { Router } from '../../sim/routing/router.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { firstAttempt } from '../../sim/traffic/attempt.js';
import type { SeriesRow } from '../../sim/metrics/series.js';
import type { Request } from '../../sim/traffic/request.js';
import { RecordingSink } from '../routing/fakes.js';

const WAVES = fileURLToPath(new URL('../../scenarios/gateway/prefix-cache-waves.yaml', import.meta.url));

/** A pod serving `concurrency` requests at a time with exponential service times, the rest waiting (FIFO). */
class ServingPod implements Endpoint {
  private readonly slots: (Request | null)[];
  private readonly queue: Request[] = [];
  private busy = 0;
  private readonly done: number;

  constructor(
    readonly podId: number,
    private readonly sim: Simulator,
    private readonly rng: Rng,
    concurrency: number,
    private readonly router: () => Router,
  ) {
    this.slots = new Array<Request | null>(concurrency).fill(null);
    this.done = sim.handler((slot) => this.finish(slot));
  }
  accept(req: Request): void {
    if (this.busy < this.slots.length) this.start(req);
    else this.queue.push(req);
  }
  cancel(): void {}
  outstanding(): number {
    return this.busy + this.queue.length;
  }
  hasRoom(): boolean {
    return this.busy < this.slots.length;
  }
  waitingCount(): number {
    return this.queue.length;
  }
  kvUsage(): number {
    return this.busy / this.slots.length;
  }
  private start(req: Request): void {
    const slot = this.slots.indexOf(null);
    this.slots[slot] = req;
    this.busy++;
    this.sim.after(exponential(1).sample(this.rng), this.done, slot);
  }
  private finish(slot: number): void {
    const req = this.slots[slot] as Request;
    this.slots[slot] = null;
    this.busy--;
    this.router().completed(req, this.sim.now);
    const next = this.queue.shift();
    if (next !== undefined) this.start(next);
  }
}

/** Mean over time of the spread (longest − shortest) of 8 pods' waiting queues at 87% load. */
function queueSpread(scrapeInterval: string): number {
  const sim = new Simulator();
  const streams = new RandomStreams(3);
  let router: Router | null = null;
  const service = streams.stream('test.service');
  const pods = Array.from({ length: 8 }, (_, i) => new ServingPod(i + 1, sim, service, 4, () => router as Router));
  const options = routerOptions(
    zRouting.parse({ policy: 'endpoint-picker', endpointPicker: { scrapeInterval, saturation: false, weights: { prefix: 0 } } }),
  );
  router = new Router(sim, streams, { endpoints: (version) => (version === 'old' ? pods : []) }, new RecordingSink(), options);
  const arrivals = streams.stream('test.arrivals');
  const gap = exponential(1 / 28);
  let id = 0;
  const arrive = sim.handler(() => {
    (router as Router).accept(firstAttempt(++id, sim.now, 100, 10, -1, 0));
    sim.after(gap.sample(arrivals), arrive);
  });
  let spreadSum = 0;
  let samples = 0;
  const sample = sim.handler(() => {
    const waiting = pods.map((p) => p.waitingCount());
    spreadSum += Math.max(...waiting) - Math.min(...waiting);
    samples++;
    sim.after(0.5, sample);
  });
  sim.at(0, arrive);
  sim.at(20, sample); // after the first queues formed
  sim.run(400);
  return spreadSum / samples;
}

describe('endpoint-picker validation', () => {
  it('gets a higher prefix-cache hit rate than least-outstanding under the same load', () => {
    const noRollout = ['spec.rollout.at=1h', 'spec.duration=4m', 'spec.deployment.warmup=null'];
    const picker = runScenario(loadScenarioFile(WAVES, noRollout)).summary.prefixCache;
    const leastOutstanding = runScenario(loadScenarioFile(WAVES, [...noRollout, 'spec.routing.policy=least-outstanding']))
      .summary.prefixCache;
    expect(picker.hitRate).toBeGreaterThan((leastOutstanding.hitRate as number) + 0.05);
  });

  it('balances queues worse on stale metrics (a long scrape interval)', () => {
    const fresh = queueSpread('50ms');
    const stale = queueSpread('2s');
    expect(stale).toBeGreaterThan(2 * fresh);
  });

  it('dips at each rollout wave, and less with the warm-up of the most popular prefixes', () => {
    const cold = runScenario(loadScenarioFile(WAVES, ['spec.deployment.warmup=null']));
    const warm = runScenario(loadScenarioFile(WAVES));
    // A wave ends when its old pods leave the endpoints: the prefixes cached there are lost.
    const waves = cold.series.flatMap((row, i) => (i > 0 && row.endpointsOld < cold.series[i - 1].endpointsOld ? [i] : []));
    expect(waves).toHaveLength(4);
    const worst = (series: readonly SeriesRow[], i: number) => Math.min(...series.slice(i, i + 3).map((r) => r.prefixHitRate as number));
    const baseline = cold.summary.prefixCache.baselineHitRate as number;
    for (const i of waves) {
      expect(worst(cold.series, i)).toBeLessThan(baseline - 0.03);
      expect(worst(warm.series, i)).toBeGreaterThan(worst(cold.series, i));
    }
    const [coldCache, warmCache] = [cold.summary.prefixCache, warm.summary.prefixCache];
    expect(warmCache.dip as number).toBeLessThan((coldCache.dip as number) - 0.03);
    expect(warmCache.rolloutHitRate as number).toBeGreaterThan(coldCache.rolloutHitRate as number);
  });
});

const LORA_CANARY = fileURLToPath(new URL('../../scenarios/lora/lora-rewrite-canary.yaml', import.meta.url));

describe('endpoint-picker with LoRA adapters', () => {
  it('its lora-affinity scorer keeps adapters where they are loaded: far fewer loads and slot waits than without it', () => {
    const lora = (weight: number) =>
      runScenario(loadScenarioFile(LORA_CANARY, [`spec.routing={policy: endpoint-picker, endpointPicker: {weights: {loraAffinity: ${weight}}}}`])).summary.lora!;
    const withAffinity = lora(1);
    const without = lora(0);
    expect(withAffinity.adapterLoads * 10).toBeLessThan(without.adapterLoads);
    expect(withAffinity.slotWaits).toBeLessThan(without.slotWaits);
  });
});
