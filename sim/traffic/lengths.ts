import type { Distribution } from '../engine/distributions.js';
import type { Rng } from '../engine/random.js';
import { InputError } from '../errors.js';
import type { TraceArrivals, TraceTokenColumn } from './trace.js';

/** Token counts for successive requests (prompt or output). */
export interface LengthSource {
  next(): number;
  describe(): string;
}

/**
 * A whole token count in [1, max]: a request has at least one prompt and one output token, and `max` clips long
 * ones as vidur's max_tokens does.
 */
export function toTokenCount(value: number, max: number): number {
  return Math.min(max, Math.max(1, Math.round(value)));
}

export function checkMaxTokens(max: number, path: string): void {
  if (!(max >= 1)) throw new InputError({ expected: 'a token limit of 1 or more', got: String(max) }, path);
}

/** Lengths drawn from a distribution (lognormal by percentiles, empirical, fixed, ...). */
export class SampledLengths implements LengthSource {
  constructor(
    private readonly distribution: Distribution,
    private readonly rng: Rng,
    private readonly max = Infinity,
    path = 'tokens',
  ) {
    checkMaxTokens(max, `${path}.max`);
  }

  next(): number {
    return toTokenCount(this.distribution.sample(this.rng), this.max);
  }

  /** P(a count drawn by next() exceeds k), k a whole number: round(X) > k, within [1, max]. */
  survival(k: number): number {
    if (k < 1) return 1;
    if (k >= this.max) return 0;
    return this.distribution.survival(k + 0.5);
  }

  describe(): string {
    return `${this.distribution.describe()}${Number.isFinite(this.max) ? `, at most ${this.max}` : ''}`;
  }
}

/** Lengths of the trace row being replayed, so prompt and output stay paired as recorded. */
export class TraceRowLengths implements LengthSource {
  constructor(
    private readonly trace: TraceArrivals,
    private readonly column: TraceTokenColumn,
    private readonly max = Infinity,
    path = 'tokens',
  ) {
    checkMaxTokens(max, `${path}.max`);
  }

  next(): number {
    const value = this.column === 'ContextTokens' ? this.trace.contextTokens : this.trace.generatedTokens;
    return toTokenCount(value, this.max);
  }

  describe(): string {
    return `the replayed trace's ${this.column}${Number.isFinite(this.max) ? `, at most ${this.max}` : ''}`;
  }
}
