import { mean } from './stats.js';

/**
 * A start-up phase's distribution from its samples, in the scenario's form (seconds): one sample is a constant;
 * more are a lognormal with their mean and coefficient of variation (durations are positive and right-skewed),
 * or a constant when they agree. `ksDistance` is the Kolmogorov–Smirnov distance between the distribution and
 * the samples.
 */
export function fitPhase(samples: readonly number[]): { distribution: { lognormal: { mean: number; cv: number } } | number; mean: number; ksDistance: number } {
  const m = mean(samples);
  let ss = 0;
  for (const s of samples) ss += (s - m) ** 2;
  const sd = samples.length > 1 ? Math.sqrt(ss / (samples.length - 1)) : 0;
  const cv = m > 0 ? sd / m : 0;
  const positive = samples.every((s) => s > 0);
  if (samples.length < 2 || cv < 1e-6 || !positive) {
    // Against a point mass at m the distance is the larger share of samples on one side of it.
    const below = samples.filter((x) => x < m).length / samples.length;
    const above = samples.filter((x) => x > m).length / samples.length;
    return { distribution: round(m), mean: m, ksDistance: round(Math.max(below, above)) };
  }
  const sigma2 = Math.log(1 + cv * cv);
  const mu = Math.log(m) - sigma2 / 2;
  const cdf = (x: number) => (x <= 0 ? 0 : 0.5 * (1 + erf((Math.log(x) - mu) / Math.sqrt(2 * sigma2))));
  const params = { mean: round(m), cv: round(cv) };
  return { distribution: { lognormal: params }, mean: m, ksDistance: ksDistance(samples, cdf) };
}

function ksDistance(samples: readonly number[], cdf: (x: number) => number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
  });
  return Math.min(1, round(d));
}

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
