import { InputError, InternalError } from '../errors.js';

/** What readers of a latency distribution need; every statistic is null while the distribution is empty. */
export interface QuantileView {
  readonly count: number;
  readonly sum: number;
  readonly mean: number | null;
  readonly min: number | null;
  readonly max: number | null;
  /** The value at rank floor(q·(count−1)) of the sorted samples, within the relative accuracy. */
  quantile(q: number): number | null;
}

export interface QuantileSketchOptions {
  /** Relative error bound α of every quantile (default 0.01). */
  relativeAccuracy?: number;
  /** Hard cap on buckets; past it the lowest buckets are folded together (default 2048). */
  maxBins?: number;
}

/**
 * Buckets allocated on the first value; storage doubles from here as the value range widens. 128 buckets span a
 * 2.8× range at α = 1%, so a window's latency sketch grows once or twice.
 */
const INITIAL_BINS = 128;

/**
 * A DDSketch-style mergeable quantile sketch (Masson et al., VLDB 2019) for non-negative values.
 *
 * A positive value v goes into bucket k = ceil(log_γ v) with γ = (1+α)/(1−α), i.e. (γ^(k−1), γ^k], and the
 * bucket is read back as 2γ^k/(γ+1), which is within a relative α of every value in it. Buckets are a dense
 * array over the occupied key range, so memory depends on the spread of the values (log range / log γ),
 * never on their number: with α = 0.01 a range from 1 ms to 10 min needs about 660 buckets. Past `maxBins` the
 * lowest buckets collapse into one, which keeps the upper quantiles (the ones latency reports use) exact to α.
 *
 * `add` allocates only when a value lands outside the storage allocated so far (amortised doubling, bounded by
 * `maxBins`); once the value range has been seen it never allocates.
 */
export class QuantileSketch implements QuantileView {
  readonly relativeAccuracy: number;
  readonly maxBins: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  /**
   * bins[i] counts bucket key `offset + i`. Invariant: every bin outside [minKey, maxKey] is zero. A plain array
   * of small integers: allocated on the JS heap, several times cheaper than a typed array's off-heap buffer, and
   * the recorder makes several sketches per window.
   */
  private bins: number[] = [];
  private offset = 0;
  private minKey = 0;
  private maxKey = -1;
  private positiveCount = 0;
  private zeroCount = 0;
  private total = 0;
  private valueSum = 0;
  private minValue = Infinity;
  private maxValue = -Infinity;

  constructor(options: QuantileSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? 0.01;
    if (!(alpha > 0 && alpha < 1)) {
      throw new InputError(`expected a relative accuracy in (0, 1), got ${alpha}`, 'relativeAccuracy');
    }
    const maxBins = options.maxBins ?? 2048;
    if (!Number.isInteger(maxBins) || maxBins < 2) {
      throw new InputError(`expected an integer number of buckets ≥ 2, got ${maxBins}`, 'maxBins');
    }
    this.relativeAccuracy = alpha;
    this.maxBins = maxBins;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
  }

  get count(): number {
    return this.total;
  }

  get sum(): number {
    return this.valueSum;
  }

  get mean(): number | null {
    return this.total === 0 ? null : this.valueSum / this.total;
  }

  get min(): number | null {
    return this.total === 0 ? null : this.minValue;
  }

  get max(): number | null {
    return this.total === 0 ? null : this.maxValue;
  }

  /** Buckets currently allocated: the sketch's memory is 4 to 8 bytes per bucket plus a constant. */
  get allocatedBins(): number {
    return this.bins.length;
  }

  add(value: number): void {
    if (!(value >= 0 && value < Infinity)) {
      throw new InternalError(`QuantileSketch.add: expected a finite value ≥ 0, got ${value}`);
    }
    this.total++;
    this.valueSum += value;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    if (value === 0) {
      this.zeroCount++;
      return;
    }
    this.addToKey(Math.ceil(Math.log(value) / this.logGamma), 1);
  }

  /** Adds every value of `other` (same relative accuracy required); the result is as if added here directly. */
  merge(other: QuantileSketch): void {
    if (other.gamma !== this.gamma) {
      throw new InternalError(
        `QuantileSketch.merge: relative accuracy ${other.relativeAccuracy} differs from ${this.relativeAccuracy}`,
      );
    }
    if (other.total === 0) return;
    this.total += other.total;
    this.valueSum += other.valueSum;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
    this.zeroCount += other.zeroCount;
    if (other.positiveCount === 0) return;
    const empty = this.positiveCount === 0;
    const lo = empty ? other.minKey : Math.min(this.minKey, other.minKey);
    const hi = empty ? other.maxKey : Math.max(this.maxKey, other.maxKey);
    if (hi - lo < this.maxBins) {
      // The union range fits without folding: widen once, then add bucket by bucket in one pass.
      this.place(lo, hi, empty ? 0 : this.minKey, empty ? -1 : this.maxKey);
      this.minKey = lo;
      this.maxKey = hi;
      const shift = other.offset - this.offset;
      for (let i = other.minKey - other.offset; i <= other.maxKey - other.offset; i++) this.bins[i + shift] += other.bins[i];
      this.positiveCount += other.positiveCount;
      return;
    }
    // The top key first, so the storage grows once to the union range instead of bucket by bucket.
    this.addToKey(other.maxKey, other.bins[other.maxKey - other.offset]);
    for (let key = other.minKey; key < other.maxKey; key++) {
      const n = other.bins[key - other.offset];
      if (n > 0) this.addToKey(key, n);
    }
  }

  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new InputError(`expected a quantile in [0, 1], got ${q}`, 'quantile');
    if (this.total === 0) return null;
    const rank = q * (this.total - 1);
    let seen = this.zeroCount;
    if (seen > rank) return 0;
    for (let key = this.minKey; key <= this.maxKey; key++) {
      seen += this.bins[key - this.offset];
      if (seen > rank) return Math.min(Math.max(this.bucketValue(key), this.minValue), this.maxValue);
    }
    return this.maxValue;
  }

  /** Empties the sketch and keeps its storage, so a reused sketch does not allocate again. */
  clear(): void {
    this.bins.fill(0);
    this.minKey = 0;
    this.maxKey = -1;
    this.positiveCount = 0;
    this.zeroCount = 0;
    this.total = 0;
    this.valueSum = 0;
    this.minValue = Infinity;
    this.maxValue = -Infinity;
  }

  private bucketValue(key: number): number {
    return (2 * Math.exp(key * this.logGamma)) / (this.gamma + 1);
  }

  private addToKey(key: number, n: number): void {
    if (this.positiveCount === 0) {
      this.place(key, key, 0, -1);
      this.minKey = key;
      this.maxKey = key;
    } else if (key < this.minKey || key > this.maxKey) {
      key = this.widenTo(key);
    }
    this.bins[key - this.offset] += n;
    this.positiveCount += n;
  }

  /**
   * Widens the key range to include `key`, folding the lowest buckets into one when the range would pass
   * `maxBins`. Returns the key the value must be counted under (the lowest bucket if it fell below the cap).
   */
  private widenTo(key: number): number {
    const hi = Math.max(this.maxKey, key);
    const lo = Math.max(Math.min(this.minKey, key), hi - this.maxBins + 1);
    let folded = 0;
    for (let k = this.minKey; k < lo && k <= this.maxKey; k++) {
      folded += this.bins[k - this.offset];
      this.bins[k - this.offset] = 0;
    }
    this.place(lo, hi, Math.max(lo, this.minKey), this.maxKey);
    this.minKey = lo;
    this.maxKey = hi;
    this.bins[lo - this.offset] += folded;
    return key < lo ? lo : key;
  }

  /** Makes the storage cover keys [lo, hi], keeping the counts of keys [keepLo, keepHi] (empty if keepLo > keepHi). */
  private place(lo: number, hi: number, keepLo: number, keepHi: number): void {
    const length = this.bins.length;
    if (lo >= this.offset && hi < this.offset + length) return;
    const span = hi - lo + 1;
    const newLength = span <= length ? length : Math.min(this.maxBins, Math.max(span, length * 2, INITIAL_BINS));
    // Centre the occupied range so later growth in either direction finds room.
    const newOffset = lo - ((newLength - span) >> 1);
    const target = newLength === length ? this.bins : zeros(newLength);
    if (keepLo <= keepHi) {
      const from = keepLo - this.offset;
      const to = keepLo - newOffset;
      if (target === this.bins) {
        target.copyWithin(to, from, from + keepHi - keepLo + 1);
        target.fill(0, 0, to);
        target.fill(0, to + keepHi - keepLo + 1);
      } else {
        for (let i = 0; i <= keepHi - keepLo; i++) target[to + i] = this.bins[from + i];
      }
    }
    this.bins = target;
    this.offset = newOffset;
  }
}

function zeros(length: number): number[] {
  const array: number[] = [];
  for (let i = 0; i < length; i++) array.push(0);
  return array;
}
