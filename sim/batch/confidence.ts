/**
 * Mean and 95% confidence interval over independent replications (seeds), Student's t. Runs of one scenario with
 * different seeds are independent; candidates compared on the same seeds (common random numbers) differ by
 * their configuration, not by noise.
 */
export interface Estimate {
  mean: number;
  /** Half-width of the 95% interval; 0 with a single run (no spread known). */
  halfWidth: number;
  lo: number;
  hi: number;
  n: number;
}

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12,
  2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (df < 1) return Infinity;
  if (df <= 30) return T_975[df - 1];
  // Beyond 30 the t quantile approaches the normal's; this correction keeps it within 0.1%.
  return 1.959964 + 2.4 / df;
}

export function estimate(values: readonly number[]): Estimate | null {
  const n = values.length;
  if (n === 0) return null;
  // Equal values have no spread; summing them could still leave a rounding residue in the variance.
  if (values.every((v) => v === values[0])) return { mean: values[0], halfWidth: 0, lo: values[0], hi: values[0], n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const halfWidth = tQuantile975(n - 1) * Math.sqrt(variance / n);
  return { mean, halfWidth, lo: mean - halfWidth, hi: mean + halfWidth, n };
}

/** "412 ± 18" (or "412" for one run), for tables. */
export function formatEstimate(e: Estimate | null, digits = 0): string {
  if (e === null) return '—';
  return e.n > 1 ? `${e.mean.toFixed(digits)} ± ${e.halfWidth.toFixed(digits)}` : e.mean.toFixed(digits);
}
