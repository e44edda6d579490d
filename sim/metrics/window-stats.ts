import { QuantileSketch } from './sketch.js';
import { CAUSE_COLUMNS } from './series.js';

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

export const TTFT = 0;
export const TPOT = 1;
export const E2E = 2;
const LATENCY_VERSIONS = 2;

/** Inclusive range of version slots a reader wants, e.g. OLD..OLD, or OLD..UNROUTED for every request. */
export interface SlotRange {
  first: number;
  last: number;
}

/** Everything recorded for one time window: counters, per-version latency sketches, and the sampled gauges. */
export class WindowStats {
  arrivals = 0;
  outputTokens = 0;
  /** Finished logical requests, at outcome * VERSION_SLOTS + slot. */
  private readonly finished = new Float64Array(OUTCOMES * VERSION_SLOTS);
  /** Failures per CAUSE_COLUMNS entry. */
  readonly causes = new Float64Array(CAUSE_COLUMNS.length);
  /** Latency in seconds at metric * LATENCY_VERSIONS + slot; created on the first sample to keep idle windows small. */
  private readonly latency: (QuantileSketch | null)[] = new Array(3 * LATENCY_VERSIONS).fill(null);
  /** Gauges in GAUGE_FIELDS order, set when the window is sampled. */
  gauges: Float64Array | null = null;
  /** End time as sampled (shorter than a full window for the last one); NaN until sampled. */
  end = NaN;

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
