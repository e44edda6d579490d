import { describe, expect, it } from 'vitest';
import {
  constant,
  empirical,
  exponential,
  gammaFromMeanCv,
  lognormalFromMeanCv,
  lognormalFromPercentiles,
  normal,
  uniform,
  type Distribution,
} from '../../sim/engine/distributions.js';
import { RandomStreams } from '../../sim/engine/random.js';
import { InputError } from '../../sim/errors.js';

const N = 200_000;

interface Stats {
  mean: number;
  variance: number;
  sorted: Float64Array;
}

function drawStats(distribution: Distribution, name: string): Stats {
  const rng = new RandomStreams(2024).stream(name);
  const xs = new Float64Array(N);
  let sum = 0;
  for (let i = 0; i < N; i++) {
    xs[i] = distribution.sample(rng);
    sum += xs[i];
  }
  const mean = sum / N;
  let squares = 0;
  for (let i = 0; i < N; i++) squares += (xs[i] - mean) ** 2;
  return { mean, variance: squares / (N - 1), sorted: xs.sort() };
}

function quantile(sorted: Float64Array, p: number): number {
  return sorted[Math.floor(p * (sorted.length - 1))];
}

/** The sample mean is within 4 standard errors of the true mean. */
function expectMeanNear(stats: Stats, mean: number, sd: number): void {
  expect(Math.abs(stats.mean - mean)).toBeLessThan((4 * sd) / Math.sqrt(N));
}

function expectRelativelyNear(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual / expected - 1)).toBeLessThan(tolerance);
}

/** Simpson's rule on [a, b], for checking closed forms independently. */
function integrate(f: (x: number) => number, a: number, b: number, steps = 20_000): number {
  const h = (b - a) / steps;
  let sum = f(a) + f(b);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

describe('distributions match theory over 200k draws', () => {
  it('constant', () => {
    const d = constant(7.5);
    const stats = drawStats(d, 'constant');
    expect(d.mean).toBe(7.5);
    expect(stats.sorted[0]).toBe(7.5);
    expect(stats.sorted[N - 1]).toBe(7.5);
  });

  it('uniform: mean, variance, range', () => {
    const d = uniform(2, 5);
    const stats = drawStats(d, 'uniform');
    const sd = 3 / Math.sqrt(12);
    expect(d.mean).toBe(3.5);
    expectMeanNear(stats, 3.5, sd);
    expectRelativelyNear(stats.variance, sd * sd, 0.02);
    expect(stats.sorted[0]).toBeGreaterThanOrEqual(2);
    expect(stats.sorted[N - 1]).toBeLessThan(5);
    expectRelativelyNear(quantile(stats.sorted, 0.25), 2.75, 0.01);
  });

  it('exponential: mean, variance, median', () => {
    const d = exponential(2);
    const stats = drawStats(d, 'exponential');
    expect(d.mean).toBe(2);
    expectMeanNear(stats, 2, 2);
    expectRelativelyNear(stats.variance, 4, 0.02);
    expectRelativelyNear(quantile(stats.sorted, 0.5), 2 * Math.LN2, 0.01);
    expect(stats.sorted[0]).toBeGreaterThanOrEqual(0);
  });

  it('normal: mean, variance, percentiles', () => {
    const d = normal(10, 3);
    const stats = drawStats(d, 'normal');
    expect(d.mean).toBe(10);
    expectMeanNear(stats, 10, 3);
    expectRelativelyNear(stats.variance, 9, 0.02);
    expectRelativelyNear(quantile(stats.sorted, 0.9), 10 + 3 * 1.2815515655446004, 0.01);
    expectRelativelyNear(quantile(stats.sorted, 0.1), 10 - 3 * 1.2815515655446004, 0.02);
  });

  it('normal truncated below: half-normal mean is sqrt(2/pi), no draw below min', () => {
    const d = normal(0, 1, { min: 0 });
    expect(d.mean).toBeCloseTo(Math.sqrt(2 / Math.PI), 6);
    const stats = drawStats(d, 'half-normal');
    expect(stats.sorted[0]).toBeGreaterThanOrEqual(0);
    expectMeanNear(stats, d.mean, Math.sqrt(1 - 2 / Math.PI));
  });

  it('normal truncated on both sides: mean agrees with numerical integration and with the draws', () => {
    const [mean, sd, min, max] = [30, 20, 0, 45];
    const d = normal(mean, sd, { min, max });
    const density = (x: number) => Math.exp(-0.5 * ((x - mean) / sd) ** 2);
    const trueMean = integrate((x) => x * density(x), min, max) / integrate(density, min, max);
    expect(d.mean).toBeCloseTo(trueMean, 4);
    const stats = drawStats(d, 'truncated-normal');
    expect(stats.sorted[0]).toBeGreaterThanOrEqual(min);
    expect(stats.sorted[N - 1]).toBeLessThanOrEqual(max);
    expectMeanNear(stats, trueMean, sd);
  });

  it('normal truncated far in the upper tail keeps an accurate mean', () => {
    const d = normal(0, 1, { min: 3 });
    const density = (x: number) => Math.exp(-0.5 * x * x);
    const trueMean = integrate((x) => x * density(x), 3, 40) / integrate(density, 3, 40);
    expect(d.mean).toBeCloseTo(trueMean, 5);
  });

  it('lognormal from percentiles: p50, p90 and mean', () => {
    const d = lognormalFromPercentiles(2, 10);
    const sigma = Math.log(5) / 1.2815515655446004;
    expect(d.mean).toBeCloseTo(2 * Math.exp((sigma * sigma) / 2), 10);
    const stats = drawStats(d, 'lognormal-pct');
    expectRelativelyNear(quantile(stats.sorted, 0.5), 2, 0.01);
    expectRelativelyNear(quantile(stats.sorted, 0.9), 10, 0.015);
    // cv is about 2 here, so the standard error of the mean is about 0.45%.
    expectRelativelyNear(stats.mean, d.mean, 0.03);
  });

  it('lognormal from mean and cv: mean and cv', () => {
    const d = lognormalFromMeanCv(3, 0.5);
    expect(d.mean).toBeCloseTo(3, 12);
    const stats = drawStats(d, 'lognormal-cv');
    expectMeanNear(stats, 3, 1.5);
    expectRelativelyNear(Math.sqrt(stats.variance) / stats.mean, 0.5, 0.03);
  });

  it('gamma with shape above 1 (cv 0.5): mean, variance', () => {
    const d = gammaFromMeanCv(2, 0.5);
    expect(d.mean).toBe(2);
    const stats = drawStats(d, 'gamma-4');
    expectMeanNear(stats, 2, 1);
    expectRelativelyNear(stats.variance, 1, 0.03);
    // Shape 4, scale 0.5: P(X <= 2) = 1 - e^-4 (1 + 4 + 8 + 32/3).
    const cdfAtMean = 1 - Math.exp(-4) * (1 + 4 + 8 + 32 / 3);
    expect(Math.abs(stats.sorted.findIndex((x) => x > 2) / N - cdfAtMean)).toBeLessThan(0.005);
  });

  it('gamma with shape below 1 (cv 3, the boosted path): mean, variance', () => {
    const d = gammaFromMeanCv(2, 3);
    const stats = drawStats(d, 'gamma-ninth');
    expect(stats.sorted[0]).toBeGreaterThanOrEqual(0);
    expectMeanNear(stats, 2, 6);
    // Excess kurtosis 6/shape = 54 makes the sample variance noisy: ~1.7% standard error.
    expectRelativelyNear(stats.variance, 36, 0.08);
  });

  it('gamma with cv 1 is the exponential', () => {
    const stats = drawStats(gammaFromMeanCv(2, 1), 'gamma-1');
    expectMeanNear(stats, 2, 2);
    expectRelativelyNear(quantile(stats.sorted, 0.5), 2 * Math.LN2, 0.02);
    expectRelativelyNear(quantile(stats.sorted, 0.9), 2 * Math.log(10), 0.02);
  });

  it('empirical: each sample equally likely, mean of the samples', () => {
    const d = empirical([1, 2, 2, 7]);
    expect(d.mean).toBe(3);
    const stats = drawStats(d, 'empirical');
    const share = (v: number) => stats.sorted.filter((x) => x === v).length / N;
    expect(Math.abs(share(1) - 0.25)).toBeLessThan(0.005);
    expect(Math.abs(share(2) - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(share(7) - 0.25)).toBeLessThan(0.005);
  });

  it('the same seed and stream give the same draws', () => {
    const d = lognormalFromMeanCv(1, 1);
    const a = new RandomStreams(3).stream('s');
    const b = new RandomStreams(3).stream('s');
    for (let i = 0; i < 100; i++) expect(d.sample(a)).toBe(d.sample(b));
  });
});

describe('describe()', () => {
  it('names the kind and its parameters', () => {
    expect(constant(5).describe()).toBe('constant(5)');
    expect(uniform(1, 2).describe()).toBe('uniform(min=1, max=2)');
    expect(exponential(0.5).describe()).toBe('exponential(mean=0.5)');
    expect(normal(30, 10, { min: 0 }).describe()).toBe('normal(mean=30, sd=10, min=0)');
    expect(lognormalFromPercentiles(2, 10).describe()).toBe('lognormal(p50=2, p90=10)');
    expect(lognormalFromMeanCv(2, 0.5).describe()).toBe('lognormal(mean=2, cv=0.5)');
    expect(gammaFromMeanCv(2, 3).describe()).toBe('gamma(mean=2, cv=3)');
    expect(empirical([1, 3]).describe()).toBe('empirical(2 samples, mean=2)');
  });
});

describe('bad parameters', () => {
  const cases: [string, () => Distribution, RegExp][] = [
    ['constant NaN', () => constant(Number.NaN), /constant: value \(NaN\) must be a finite number/],
    ['uniform max < min', () => uniform(5, 1), /uniform: max \(1\) must not be less than min \(5\)/],
    ['uniform infinite', () => uniform(0, Infinity), /uniform: max \(Infinity\)/],
    ['exponential mean 0', () => exponential(0), /exponential: mean \(0\) must be greater than 0/],
    ['exponential mean negative', () => exponential(-1), /exponential: mean \(-1\)/],
    ['normal sd 0', () => normal(1, 0), /normal: sd \(0\) must be greater than 0/],
    ['normal max <= min', () => normal(1, 1, { min: 3, max: 2 }), /normal: max \(2\) must be greater than min \(3\)/],
    ['normal window without mass', () => normal(0, 1, { min: 6 }), /normal: the window \[6, Infinity\] holds only .* move min\/max/],
    ['lognormal p90 < p50', () => lognormalFromPercentiles(200, 100), /lognormal: p90 \(100\) must be greater than p50 \(200\)/],
    ['lognormal p50 0', () => lognormalFromPercentiles(0, 100), /lognormal: p50 \(0\) must be greater than 0/],
    ['lognormal cv 0', () => lognormalFromMeanCv(1, 0), /lognormal: cv \(0\) must be greater than 0/],
    ['lognormal mean negative', () => lognormalFromMeanCv(-1, 1), /lognormal: mean \(-1\)/],
    ['gamma cv negative', () => gammaFromMeanCv(1, -2), /gamma: cv \(-2\) must be greater than 0/],
    ['gamma mean 0', () => gammaFromMeanCv(0, 1), /gamma: mean \(0\)/],
    ['empirical empty', () => empirical([]), /empirical: samples must hold at least one value/],
    ['empirical NaN', () => empirical([1, Number.NaN]), /empirical: samples\[1\] \(NaN\) must be a finite number/],
  ];
  it.each(cases)('%s', (_name, make, message) => {
    expect(make).toThrow(InputError);
    expect(make).toThrow(message);
  });
});
