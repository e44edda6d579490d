import { InputError } from '../errors.js';
import type { Rng } from './random.js';

/** A distribution of non-random parameters; every draw comes from the Rng the caller passes. */
export interface Distribution {
  sample(rng: Rng): number;
  /** The true mean of the distribution (not of any sample). */
  readonly mean: number;
  /** P(X > x): what the drop estimator conditions on (the chance a length outlives what is already done). */
  survival(x: number): number;
  describe(): string;
}

/** z such that Φ(z) = 0.9. */
const Z90 = 1.2815515655446004;
/** A truncated normal whose window holds less probability than this would need too many rejections per draw. */
const MIN_TRUNCATED_NORMAL_MASS = 1e-3;

export function constant(value: number): Distribution {
  requireFinite('constant', 'value', value);
  return new Constant(value);
}

export function uniform(min: number, max: number): Distribution {
  requireFinite('uniform', 'min', min);
  requireFinite('uniform', 'max', max);
  if (max < min) throw new InputError(`uniform: max (${max}) must not be less than min (${min})`);
  return new Uniform(min, max);
}

export function exponential(mean: number): Distribution {
  requirePositive('exponential', 'mean', mean);
  return new Exponential(mean);
}

/** A normal, optionally truncated to [min, max] (a draw outside the window is redrawn). */
export function normal(mean: number, sd: number, bounds: { min?: number; max?: number } = {}): Distribution {
  requireFinite('normal', 'mean', mean);
  requirePositive('normal', 'sd', sd);
  const min = bounds.min ?? -Infinity;
  const max = bounds.max ?? Infinity;
  if (bounds.min !== undefined) requireFinite('normal', 'min', bounds.min);
  if (bounds.max !== undefined) requireFinite('normal', 'max', bounds.max);
  if (!(min < max)) throw new InputError(`normal: max (${max}) must be greater than min (${min})`);
  const alpha = (min - mean) / sd;
  const beta = (max - mean) / sd;
  const mass = normalMassBetween(alpha, beta);
  if (mass < MIN_TRUNCATED_NORMAL_MASS) {
    throw new InputError(
      `normal: the window [${min}, ${max}] holds only ${mass.toPrecision(2)} of a normal with mean ${mean} and ` +
        `sd ${sd} (at least ${MIN_TRUNCATED_NORMAL_MASS} is needed); move min/max towards the mean or raise sd`,
    );
  }
  const truncatedMean = mean + (sd * (standardNormalDensity(alpha) - standardNormalDensity(beta))) / mass;
  return new TruncatedNormal(mean, sd, min, max, truncatedMean);
}

/** A lognormal given its median and 90th percentile. */
export function lognormalFromPercentiles(p50: number, p90: number): Distribution {
  requirePositive('lognormal', 'p50', p50);
  requireFinite('lognormal', 'p90', p90);
  if (!(p90 > p50)) throw new InputError(`lognormal: p90 (${p90}) must be greater than p50 (${p50})`);
  return new Lognormal(Math.log(p50), Math.log(p90 / p50) / Z90, `lognormal(p50=${fmt(p50)}, p90=${fmt(p90)})`);
}

/** A lognormal given its mean and coefficient of variation (sd / mean). */
export function lognormalFromMeanCv(mean: number, cv: number): Distribution {
  requirePositive('lognormal', 'mean', mean);
  requirePositive('lognormal', 'cv', cv);
  const variance = Math.log(1 + cv * cv);
  return new Lognormal(Math.log(mean) - variance / 2, Math.sqrt(variance), `lognormal(mean=${fmt(mean)}, cv=${fmt(cv)})`);
}

/** A gamma given its mean and coefficient of variation: shape 1/cv², scale mean·cv². */
export function gammaFromMeanCv(mean: number, cv: number): Distribution {
  requirePositive('gamma', 'mean', mean);
  requirePositive('gamma', 'cv', cv);
  return new Gamma(mean, cv);
}

/** Each draw is one of `samples`, all equally likely. */
export function empirical(samples: readonly number[]): Distribution {
  if (samples.length === 0) throw new InputError('empirical: samples must hold at least one value');
  const values = Float64Array.from(samples);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InputError(`empirical: samples[${i}] (${samples[i]}) must be a finite number`);
    }
    sum += values[i];
  }
  return new Empirical(values, sum / values.length);
}

class Constant implements Distribution {
  constructor(readonly mean: number) {}
  sample(): number {
    return this.mean;
  }
  survival(x: number): number {
    return this.mean > x ? 1 : 0;
  }
  describe(): string {
    return `constant(${fmt(this.mean)})`;
  }
}

class Uniform implements Distribution {
  readonly mean: number;
  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    this.mean = (min + max) / 2;
  }
  sample(rng: Rng): number {
    return this.min + (this.max - this.min) * rng.next();
  }
  survival(x: number): number {
    if (x < this.min) return 1;
    if (x >= this.max) return 0;
    return (this.max - x) / (this.max - this.min);
  }
  describe(): string {
    return `uniform(min=${fmt(this.min)}, max=${fmt(this.max)})`;
  }
}

class Exponential implements Distribution {
  constructor(readonly mean: number) {}
  sample(rng: Rng): number {
    // 1 - u lies in (0, 1], so the log is finite.
    return -this.mean * Math.log(1 - rng.next());
  }
  survival(x: number): number {
    return x <= 0 ? 1 : Math.exp(-x / this.mean);
  }
  describe(): string {
    return `exponential(mean=${fmt(this.mean)})`;
  }
}

class TruncatedNormal implements Distribution {
  constructor(
    private readonly location: number,
    private readonly sd: number,
    private readonly min: number,
    private readonly max: number,
    readonly mean: number,
  ) {}
  sample(rng: Rng): number {
    let x: number;
    do {
      x = this.location + this.sd * standardNormal(rng);
    } while (x < this.min || x > this.max);
    return x;
  }
  survival(x: number): number {
    if (x < this.min) return 1;
    if (x >= this.max) return 0;
    const z = (v: number) => (v - this.location) / this.sd;
    return normalMassBetween(z(x), z(this.max)) / normalMassBetween(z(this.min), z(this.max));
  }
  describe(): string {
    const bounds = (Number.isFinite(this.min) ? `, min=${fmt(this.min)}` : '') + (Number.isFinite(this.max) ? `, max=${fmt(this.max)}` : '');
    return `normal(mean=${fmt(this.location)}, sd=${fmt(this.sd)}${bounds})`;
  }
}

class Lognormal implements Distribution {
  readonly mean: number;
  constructor(
    private readonly mu: number,
    private readonly sigma: number,
    private readonly description: string,
  ) {
    this.mean = Math.exp(mu + (sigma * sigma) / 2);
  }
  sample(rng: Rng): number {
    return Math.exp(this.mu + this.sigma * standardNormal(rng));
  }
  survival(x: number): number {
    return x <= 0 ? 1 : upperTail((Math.log(x) - this.mu) / this.sigma);
  }
  describe(): string {
    return this.description;
  }
}

/** Marsaglia & Tsang (2000), "A simple method for generating gamma variables". */
class Gamma implements Distribution {
  private readonly scale: number;
  /** For shape < 1 draws use shape + 1 and multiply by u^(1/shape) (the paper's boost). */
  private readonly boostExponent: number;
  private readonly d: number;
  private readonly c: number;

  constructor(
    readonly mean: number,
    private readonly cv: number,
  ) {
    const shape = 1 / (cv * cv);
    this.scale = mean * cv * cv;
    this.boostExponent = shape < 1 ? 1 / shape : 0;
    this.d = (shape < 1 ? shape + 1 : shape) - 1 / 3;
    this.c = 1 / Math.sqrt(9 * this.d);
  }

  sample(rng: Rng): number {
    const { d, c } = this;
    let draw: number;
    for (;;) {
      const x = standardNormal(rng);
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = rng.next();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) {
        draw = d * v;
        break;
      }
    }
    if (this.boostExponent !== 0) draw *= Math.pow(rng.next(), this.boostExponent);
    return draw * this.scale;
  }

  survival(x: number): number {
    return x <= 0 ? 1 : regularizedUpperGamma(1 / (this.cv * this.cv), x / this.scale);
  }

  describe(): string {
    return `gamma(mean=${fmt(this.mean)}, cv=${fmt(this.cv)})`;
  }
}

class Empirical implements Distribution {
  /** The samples in order, made on the first survival query (sampling never needs them). */
  private sorted: Float64Array | null = null;
  constructor(
    private readonly values: Float64Array,
    readonly mean: number,
  ) {}
  sample(rng: Rng): number {
    return this.values[Math.floor(rng.next() * this.values.length)];
  }
  survival(x: number): number {
    const sorted = this.sorted ?? (this.sorted = Float64Array.from(this.values).sort());
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return (sorted.length - lo) / sorted.length;
  }
  describe(): string {
    return `empirical(${this.values.length} samples, mean=${fmt(this.mean)})`;
  }
}

/** Box–Muller, keeping one of the pair: a cached spare would be hidden state shared by whoever holds this rng. */
function standardNormal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function standardNormalDensity(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Φ(beta) − Φ(alpha), from whichever tail keeps the subtraction free of cancellation. */
function normalMassBetween(alpha: number, beta: number): number {
  if (alpha > 0) return upperTail(alpha) - upperTail(beta);
  return upperTail(-beta) - upperTail(-alpha);
}

/** P(Z > z) for a standard normal. */
function upperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Q(a, x) = Γ(a, x) / Γ(a): the series for x < a + 1, the continued fraction (modified Lentz) beyond, as in
 * Numerical Recipes §6.2; both converge to double precision within a few hundred terms for the shapes used here.
 */
function regularizedUpperGamma(a: number, x: number): number {
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return Math.max(0, 1 - sum * Math.exp(logPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(logPrefix) * h;
}

/** ln Γ(a) for a > 0 (Lanczos, g = 7, n = 9): relative error below 1e-15. */
function logGamma(a: number): number {
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a);
  const g = 7;
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = a - 1;
  let sum = coefficients[0];
  for (let i = 1; i < coefficients.length; i++) sum += coefficients[i] / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Complementary error function, Chebyshev fit with relative error below 1.2e-7 everywhere (Numerical Recipes, erfcc). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function requireFinite(distribution: string, parameter: string, value: number): void {
  if (!Number.isFinite(value)) throw new InputError(`${distribution}: ${parameter} (${value}) must be a finite number`);
}

function requirePositive(distribution: string, parameter: string, value: number): void {
  requireFinite(distribution, parameter, value);
  if (!(value > 0)) throw new InputError(`${distribution}: ${parameter} (${value}) must be greater than 0`);
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(6)));
}
