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

/** The fraction of `n` draws above x: what survival(x) must match within sampling error. */
function sampledSurvival(d: Distribution, xs: readonly number[], n = 40_000): number[] {
  const rng = new RandomStreams(7).stream('survival');
  const draws = Float64Array.from({ length: n }, () => d.sample(rng));
  return xs.map((x) => draws.filter((v) => v > x).length / n);
}

describe('Distribution.survival, P(X > x)', () => {
  it('is exact where the law is closed-form', () => {
    expect(exponential(100).survival(200)).toBeCloseTo(Math.exp(-2), 12);
    expect(exponential(100).survival(-5)).toBe(1);
    expect(uniform(10, 20).survival(12.5)).toBeCloseTo(0.75, 12);
    expect(uniform(10, 20).survival(25)).toBe(0);
    expect(constant(7).survival(6.9)).toBe(1);
    expect(constant(7).survival(7)).toBe(0);
    // Median and 90th percentile of the lognormal it was given.
    const ln = lognormalFromPercentiles(129, 424);
    expect(ln.survival(129)).toBeCloseTo(0.5, 6);
    expect(ln.survival(424)).toBeCloseTo(0.1, 6);
    expect(empirical([1, 2, 2, 3, 10]).survival(2)).toBeCloseTo(0.4, 12);
    expect(empirical([1, 2, 2, 3, 10]).survival(0)).toBe(1);
  });

  it('matches the sampled tail of every law it draws from', () => {
    const laws: Distribution[] = [
      lognormalFromMeanCv(300, 1.5),
      gammaFromMeanCv(300, 0.5),
      gammaFromMeanCv(300, 2),
      normal(300, 100, { min: 50, max: 700 }),
    ];
    for (const law of laws) {
      const xs = [100, 300, 600, 1200];
      const sampled = sampledSurvival(law, xs);
      xs.forEach((x, i) => expect(Math.abs(law.survival(x) - sampled[i]), `${law.describe()} at ${x}`).toBeLessThan(0.01));
    }
  });

  it("keeps the gamma's far tail accurate (the rare event the drop estimator needs)", () => {
    // Shape 1 is the exponential: Q(1, x) = e^-x, here e^-20 ≈ 2e-9.
    expect(gammaFromMeanCv(100, 1).survival(2000) / Math.exp(-20)).toBeCloseTo(1, 6);
    // Shape 4 (cv 0.5): Q(4, x) = e^-x (1 + x + x²/2 + x³/6) at x = 30.
    const x = 30;
    const exact = Math.exp(-x) * (1 + x + (x * x) / 2 + (x * x * x) / 6);
    expect(gammaFromMeanCv(100, 0.5).survival(x * 25) / exact).toBeCloseTo(1, 6);
  });
});
