import type { Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InputError } from '../errors.js';
import type { Request } from '../traffic/request.js';
import type { Endpoint, EndpointSource } from './endpoint.js';
import { ScrapedMetrics } from './pod-metrics.js';
import type { HoldingPicker } from './policies.js';
import { PrefixIndex, type PrefixIndexOptions } from './prefix-index.js';
import { allSaturated, type SaturationThresholds } from './saturation.js';
import { kvCacheUtilizationScorer, loraAffinityScorer, prefixCacheScorer, queueScorer, type Scorer } from './scorers.js';

/** Policy `endpoint-picker`: the Gateway API Inference Extension's endpoint picker (docs/endpoint-picker.md). */
export interface EndpointPickerOptions {
  /** Seconds between two scrapes of every pod's metrics (--refresh-metrics-interval). */
  scrapeInterval: number;
  /** Weights of the default scheduling profile's scorers; 0 leaves a scorer out. */
  weights: { queue: number; kvCache: number; prefix: number; loraAffinity: number };
  /** Hold requests in the gateway queue while every pod is saturated; null: never hold. */
  saturation: SaturationThresholds | null;
  prefixIndex: PrefixIndexOptions;
}

/**
 * The EPP's scheduling cycle for one request: weighted scorers over the candidates, the highest total wins, ties
 * broken at random (its max-score picker shuffles the candidates first). The scorers read the metrics of the last
 * scrape, which runs as one event every `scrapeInterval` over both versions' endpoints; after each scrape the
 * gateway may dispatch what it holds (`onScrape`).
 *
 * More scorers (e.g. adapter affinity) join through `extraScorers`: each is a `Scorer`, scored and weighted like
 * the built-in ones.
 */
export class InferenceEndpointPicker implements HoldingPicker {
  readonly metrics = new ScrapedMetrics();
  readonly prefixIndex: PrefixIndex;
  private readonly scorers: readonly Scorer[];
  private scores = new Float64Array(16);
  private totals = new Float64Array(16);
  private readonly scrapeHandler: number;

  constructor(
    private readonly sim: Simulator,
    private readonly rng: Rng,
    private readonly source: EndpointSource,
    private readonly options: EndpointPickerOptions,
    private readonly onScrape: () => void,
    extraScorers: readonly Scorer[] = [],
  ) {
    const { scrapeInterval, weights } = options;
    if (!(scrapeInterval > 0 && Number.isFinite(scrapeInterval))) {
      throw new InputError({ expected: 'a scrape interval above 0 seconds', got: String(scrapeInterval) }, 'routing.endpointPicker.scrapeInterval');
    }
    this.prefixIndex = new PrefixIndex(options.prefixIndex);
    const scorers = [
      queueScorer(weights.queue, this.metrics),
      kvCacheUtilizationScorer(weights.kvCache, this.metrics),
      prefixCacheScorer(weights.prefix, this.prefixIndex),
      loraAffinityScorer(weights.loraAffinity),
      ...extraScorers,
    ];
    for (const scorer of scorers) {
      if (!(scorer.weight >= 0 && Number.isFinite(scorer.weight))) {
        throw new InputError({ expected: 'a weight of 0 or more', got: String(scorer.weight) }, `routing.endpointPicker.weights.${scorer.name}`);
      }
    }
    this.scorers = scorers.filter((scorer) => scorer.weight > 0);
    this.scrapeHandler = sim.handler(() => this.scrape());
    sim.at(sim.now, this.scrapeHandler);
  }

  pick(candidates: readonly Endpoint[], req: Request): number {
    const n = candidates.length;
    if (n > this.totals.length) {
      this.totals = new Float64Array(2 * n);
      this.scores = new Float64Array(2 * n);
    }
    const totals = this.totals;
    const scores = this.scores;
    totals.fill(0, 0, n);
    for (const scorer of this.scorers) {
      scorer.score(candidates, req, scores);
      const weight = scorer.weight;
      for (let i = 0; i < n; i++) totals[i] += weight * scores[i];
    }
    // The highest total; among equal ones each is equally likely (reservoir sampling: a draw only on a tie).
    let best = 0;
    let ties = 1;
    for (let i = 1; i < n; i++) {
      if (totals[i] > totals[best]) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best] && this.rng.next() * ++ties < 1) {
        best = i;
      }
    }
    const chosen = candidates[best];
    for (const scorer of this.scorers) scorer.picked?.(chosen, req);
    return best;
  }

  /** The candidate to send `req` to now, or -1 to hold it while every candidate is saturated. */
  pickOrHold(candidates: readonly Endpoint[], req: Request): number {
    const limits = this.options.saturation;
    if (limits !== null && allSaturated(candidates, this.metrics, this.sim.now, limits)) return -1;
    return this.pick(candidates, req);
  }

  private scrape(): void {
    const now = this.sim.now;
    const old = this.source.endpoints('old');
    const added = this.source.endpoints('new');
    this.metrics.scrape(old, now);
    this.metrics.scrape(added, now);
    this.prefixIndex.retainOnly(old, added);
    this.sim.at(now + this.options.scrapeInterval, this.scrapeHandler);
    this.onScrape();
  }
}
