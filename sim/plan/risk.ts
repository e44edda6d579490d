import type { ConstraintKey } from './constraints.js';

/**
 * What seeds can and cannot say about a constraint. Each seed is one independent rollout; a constraint either
 * holds or is violated on it. From k violations in n seeds the one-sided Clopper-Pearson bound gives the
 * largest per-rollout violation probability still consistent with what was seen (at 95% confidence). Zero
 * violations in 3 seeds only bounds it below 63%: a rare event needs many seeds, and the plan says so.
 *
 * Dropped generations are the exception: each run also reports P(any drop) from the conditional-expectation
 * estimator (sim/run/drop-risk.ts), the rare event integrated out rather than sampled. Its mean over seeds,
 * with a one-sided Student-t bound, states the drop risk with far fewer seeds, and can show it too high even
 * when no seed dropped anything.
 */

/** Confidence of every bound the plan states. */
export const RISK_CONFIDENCE = 0.95;

/** The acceptable per-rollout probability of violating a constraint (`plan --risk`). */
export const DEFAULT_RISK = 0.05;

/** Most seeds one candidate may run in all (search + verification + extra) while the planner seeks a clear decision. */
export const DEFAULT_MAX_SEEDS = 60;

/** P(X ≤ k) for X ~ Binomial(n, p), summed in logs so n in the hundreds stays exact to rounding. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  let logTerm = n * Math.log1p(-p); // P(X = 0)
  let sum = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i) + Math.log(p) - Math.log1p(-p);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

/**
 * One-sided Clopper-Pearson upper bound on a probability from `failures` in `trials`: the p at which seeing at
 * most `failures` has probability 1 − confidence. 0 failures: 1 − (1 − confidence)^(1/n) exactly.
 */
export function clopperPearsonUpper(failures: number, trials: number, confidence: number = RISK_CONFIDENCE): number {
  if (!Number.isSafeInteger(trials) || trials < 1 || !Number.isSafeInteger(failures) || failures < 0 || failures > trials) {
    throw new RangeError(`clopperPearsonUpper needs 0 ≤ failures ≤ trials, trials ≥ 1 (got ${failures}/${trials})`);
  }
  const alpha = 1 - confidence;
  if (failures === trials) return 1;
  if (failures === 0) return 1 - alpha ** (1 / trials);
  // The CDF falls as p rises: bisect to far below any figure the plan prints.
  let lo = failures / trials;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (binomialCdf(failures, trials, mid) > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Seeds that must all pass before the bound falls to `risk`: the smallest n with 1 − (1 − confidence)^(1/n) ≤ risk. */
export function seedsToEstablish(risk: number, confidence: number = RISK_CONFIDENCE): number {
  return Math.ceil(Math.log(1 - confidence) / Math.log1p(-risk) - 1e-9);
}

/**
 * - holds: no violation, and the bound is at most the acceptable risk;
 * - violated: at least one seed violated it (the planner does not recommend a configuration that failed its own
 *   constraint on a seed);
 * - undecided: no violation, but too few seeds to bound the risk that low;
 * - exceeds: no violation on any seed, but the estimator puts the risk itself above the acceptable one (not
 *   recommended).
 */
export type RiskStatus = 'holds' | 'violated' | 'undecided' | 'exceeds';

export interface ConstraintRisk {
  readonly key: ConstraintKey;
  readonly violations: number;
  readonly seeds: number;
  /** 'seeds': the binomial bound from violations seen; 'estimator': the drop estimator's mean over seeds. */
  readonly method: 'seeds' | 'estimator';
  /** The estimator's per-rollout probability (mean over seeds); null for the seed bound. */
  readonly estimate: number | null;
  /** The per-rollout probability of a violation is below this, at `confidence`. */
  readonly upperBound: number;
  readonly confidence: number;
  readonly acceptable: number;
  readonly status: RiskStatus;
  /** Seeds with no violation needed to establish `acceptable` (whatever the cap). */
  readonly seedsNeeded: number;
  /** What the seeds establish, in a sentence. */
  readonly claim: string;
}

export function constraintRisk(key: ConstraintKey, label: string, violations: number, seeds: number, acceptable: number): ConstraintRisk {
  const upperBound = clopperPearsonUpper(violations, seeds);
  const status: RiskStatus = violations > 0 ? 'violated' : upperBound <= acceptable ? 'holds' : 'undecided';
  const seedsNeeded = seedsToEstablish(acceptable);
  const claim = riskClaim(label, violations, seeds, upperBound, acceptable, status, seedsNeeded);
  return { key, method: 'seeds', estimate: null, violations, seeds, upperBound, confidence: RISK_CONFIDENCE, acceptable, status, seedsNeeded, claim };
}

/** One-sided 95% quantiles of Student's t by degrees of freedom 1..30; beyond, the normal's 1.645 is within 2%. */
const T95 = [
  6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.74, 1.734, 1.729,
  1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
];

/**
 * P(more than `limit` drops in a rollout) from one run's estimator: P(any drop) for a limit of 0, else the
 * Poisson tail at the expected count (the cuts are many rare independent events).
 */
export function dropViolationProbability(pAnyDrop: number, expectedDropped: number, limit: number): number {
  if (limit <= 0) return pAnyDrop;
  let term = Math.exp(-expectedDropped);
  let cdf = term;
  for (let j = 1; j <= Math.floor(limit); j++) {
    term *= expectedDropped / j;
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}

/**
 * The risk from per-seed probabilities (each run's estimator): their mean, bounded above by a one-sided
 * Student-t interval at RISK_CONFIDENCE (one seed bounds nothing: 100%). Seen violations still decide first.
 */
export function estimatedRisk(key: ConstraintKey, label: string, probabilities: readonly number[], violations: number, acceptable: number): ConstraintRisk {
  const n = probabilities.length;
  const mean = probabilities.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2 ? 0 : probabilities.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const upperBound = n < 2 ? 1 : Math.min(1, mean + (T95[n - 2] ?? 1.645) * Math.sqrt(variance / n));
  const status: RiskStatus = violations > 0 ? 'violated' : upperBound <= acceptable ? 'holds' : mean > acceptable ? 'exceeds' : 'undecided';
  const seen = `${violations} violation${violations === 1 ? '' : 's'} in ${n} seed${n === 1 ? '' : 's'}`;
  const estimate = `the drop estimator puts the per-rollout probability of ${label} over the limit at ${percent(mean)} (below ${percent(upperBound, 'up')} at ${percent(RISK_CONFIDENCE)} confidence)`;
  const verdict: Record<RiskStatus, string> = {
    holds: `within the acceptable ${percent(acceptable)}`,
    undecided: `that does not establish the acceptable ${percent(acceptable)}: more seeds would narrow it`,
    exceeds: `above the acceptable ${percent(acceptable)}, though no seed showed it: not recommended`,
    violated: `an observed rate of ${percent(violations / n)}; a configuration that violates a constraint on a seed is not recommended`,
  };
  return {
    key,
    method: 'estimator',
    estimate: mean,
    violations,
    seeds: n,
    upperBound,
    confidence: RISK_CONFIDENCE,
    acceptable,
    status,
    seedsNeeded: seedsToEstablish(acceptable),
    claim: `${seen}: ${estimate}; ${verdict[status]}`,
  };
}

/** "0 violations in 10 seeds: the per-rollout probability of violating dropped generations is below 26% at 95% confidence; …". */
function riskClaim(
  label: string,
  violations: number,
  seeds: number,
  upperBound: number,
  acceptable: number,
  status: RiskStatus,
  needed: number,
): string {
  const seen = `${violations} violation${violations === 1 ? '' : 's'} in ${seeds} seed${seeds === 1 ? '' : 's'}`;
  const bound = `the per-rollout probability of violating ${label} is below ${percent(upperBound, 'up')} at ${percent(RISK_CONFIDENCE)} confidence`;
  switch (status) {
    case 'holds':
      return `${seen}: ${bound}, within the acceptable ${percent(acceptable)}`;
    case 'undecided':
      return `${seen}: ${bound}; that does not establish the acceptable ${percent(acceptable)} (it takes ${needed} seeds without a violation)`;
    case 'violated':
    case 'exceeds':
      return `${seen}: an observed rate of ${percent(violations / seeds)}; a configuration that violates a constraint on a seed is not recommended`;
  }
}

/**
 * 0.05 → "5%", 0.0095 → "0.95%": two significant figures below 10%, whole percents above. An upper bound is
 * rounded up (0.6316 → "64%"), so "below" stays true as printed.
 */
export function percent(p: number, round: 'nearest' | 'up' = 'nearest'): string {
  const x = p * 100;
  if (x <= 0) return '0%';
  const digits = x >= 10 ? 0 : Math.max(0, 1 - Math.floor(Math.log10(x)));
  const scale = 10 ** digits;
  const rounded = round === 'up' ? Math.ceil(x * scale - 1e-9) / scale : Math.round(x * scale) / scale;
  return `${rounded}%`;
}
