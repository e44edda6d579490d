import { QuantileSketch } from './sketch.js';
import { CAUSE_COLUMNS, GAUGE_FIELDS } from './series.js';

/** Version slots. Latency exists for old and new only; a failure may come before routing chose a version. */
export const OLD = 0;
export const NEW = 1;
export const UNROUTED = 2;
const VERSION_SLOTS = 3;

export const COMPLETED = 0;
export const DROPPED = 1;
export const REJECTED = 2;
export const TIMED_OUT = 3;
export const OUTCOMES = 4;

/** Metrics, in LATENCY_METRICS order. */
export const TTFT = 0;
export const TPOT = 1;
export const E2E = 2;
export const METRICS = [TTFT, TPOT, E2E] as const;

/** TTFT, TPOT and E2E sketches, indexed by metric. */
export type LatencySketches = [QuantileSketch, QuantileSketch, QuantileSketch];
export const newLatencySketches = (): LatencySketches => [new QuantileSketch(), new QuantileSketch(), new QuantileSketch()];
const LATENCY_VERSIONS = 2;

/** Inclusive range of version slots a reader wants, e.g. OLD..OLD, or OLD..UNROUTED for every request. */
export interface SlotRange {
  first: number;
  last: number;
}

/** Every version slot, for readers of all requests. */
export const ALL_SLOTS: SlotRange = { first: OLD, last: UNROUTED };

/**
 * Everything recorded for one time window: counters, per-version latency sketches, and the sampled gauges.
 * Reused for a later window once released (`reset`), keeping its storage.
 */
export class WindowStats {
  /** Start of the window, simulated seconds. */
  start = 0;
  arrivals = 0;
  /** Logical requests that arrived in the window and have not finished yet. */
  unfinished = 0;
  outputTokens = 0;
  /** Finished logical requests, at outcome * VERSION_SLOTS + slot. */
  private readonly finished = new Float64Array(OUTCOMES * VERSION_SLOTS);
  /** Failures per CAUSE_COLUMNS entry. */
  readonly causes = new Float64Array(CAUSE_COLUMNS.length);
  /** Latency in seconds at metric * LATENCY_VERSIONS + slot; created on the first sample to keep idle windows small. */
  private readonly latency: (QuantileSketch | null)[] = new Array(3 * LATENCY_VERSIONS).fill(null);
  /** Gauges in GAUGE_FIELDS order, set when the window is sampled. */
  readonly gauges = new Float64Array(GAUGE_FIELDS.length);
  /** End time as sampled (shorter than a full window for the last one); NaN until sampled. */
  end = NaN;

  /** Empties the window for reuse as the window starting at `start`. */
  reset(start: number): void {
    this.start = start;
    this.arrivals = 0;
    this.unfinished = 0;
    this.outputTokens = 0;
    this.finished.fill(0);
    this.causes.fill(0);
    for (const sketch of this.latency) sketch?.clear();
    this.gauges.fill(0);
    this.end = NaN;
  }

  countFinished(outcome: number, slot: number): void {
    this.finished[outcome * VERSION_SLOTS + slot]++;
  }

  finishedCount(outcome: number, slots: SlotRange): number {
    let n = 0;
    for (let slot = slots.first; slot <= slots.last; slot++) n += this.finished[outcome * VERSION_SLOTS + slot];
    return n;
  }

  sketch(metric: number, slot: number): QuantileSketch {
    const index = metric * LATENCY_VERSIONS + slot;
    return (this.latency[index] ??= new QuantileSketch());
  }

  /** Merges this window's `metric` samples of the versions in `slots` into `target`. */
  mergeLatency(target: QuantileSketch, metric: number, slots: SlotRange): void {
    const last = Math.min(slots.last, LATENCY_VERSIONS - 1);
    for (let slot = slots.first; slot <= last; slot++) {
      const sketch = this.latency[metric * LATENCY_VERSIONS + slot];
      if (sketch) target.merge(sketch);
    }
  }

  allocatedBins(): number {
    let bins = 0;
    for (const sketch of this.latency) bins += sketch ? sketch.allocatedBins : 0;
    return bins;
  }
}
