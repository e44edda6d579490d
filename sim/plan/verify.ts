import type { ConstraintKey } from './constraints.js';
import type { Evaluation } from './evaluation.js';
import type { Evaluator } from './evaluator.js';
import { constraintRisk, dropViolationProbability, estimatedRisk, seedsToEstablish, type ConstraintRisk } from './risk.js';
import type { SeedResult } from './seed-result.js';

/**
 * Verified before recommended: the cheapest feasible configuration is re-run on fresh seeds the search never
 * used (the search chose it on its seeds, so those seeds flatter it); one that violates a constraint on any of
 * them is not recommended, and the next in cost order is tried. A configuration that passes gets more fresh seeds,
 * up to the cap, until zero violations bound the per-rollout risk below the acceptable one.
 */

export interface VerificationSettings {
  /** Fresh seeds each tried configuration runs on; 0 turns verification (and the extra seeds) off. */
  readonly verifySeeds: number;
  /** Acceptable per-rollout probability of violating a constraint. */
  readonly risk: number;
  /** Most seeds a configuration runs in all (search + verification + extra). */
  readonly maxSeeds: number;
}

/** Configurations verified at most, cheapest first: past that the plan says none was verified. */
export const MAX_VERIFIED_CANDIDATES = 4;

export interface SeedFailure {
  readonly seed: number;
  readonly constraints: readonly ConstraintKey[];
}

/** `plan --json`: `recommended.verification`. */
export interface Verification {
  /** Fresh seeds run (the pass rate is passed / seeds). */
  readonly seeds: number;
  readonly passed: number;
  readonly failed: number;
  readonly seedList: readonly number[];
  /** Further fresh seeds run to bound the risk (after verification passed); their failures count too. */
  readonly extraSeeds: readonly number[];
  readonly failures: readonly SeedFailure[];
  /** Constraints no seed violated whose estimated risk is above the acceptable one (the drop estimator's). */
  readonly riskExceeded: readonly ConstraintKey[];
}

export interface VerifiedCandidate {
  readonly evaluation: Evaluation;
  readonly verification: Verification | null;
  /** Every constraint's risk over every seed the configuration ran on. */
  readonly risk: readonly ConstraintRisk[];
  /** Search, verification and extra seeds: the evidence behind `risk`. */
  readonly seedCount: number;
}

export interface VerificationOutcome {
  readonly chosen: VerifiedCandidate | null;
  /** Cheaper configurations that failed on a fresh seed, cheapest first. */
  readonly rejected: readonly { readonly evaluation: Evaluation; readonly verification: Verification }[];
  readonly notes: readonly string[];
}

/**
 * Fresh seeds after the search's (the scenario's seed and the next ones): `skip` then `count` of them. Derived
 * from the plan's seeds, so a plan is reproducible, and never one of them.
 */
export function freshSeeds(searchSeeds: readonly number[], skip: number, count: number): number[] {
  const first = Math.max(...searchSeeds) + 1 + skip;
  return Array.from({ length: count }, (_, i) => first + i);
}

export async function verifyCheapest(
  evaluator: Evaluator,
  ranked: readonly Evaluation[],
  labels: ReadonlyMap<ConstraintKey, string>,
  settings: VerificationSettings,
): Promise<VerificationOutcome> {
  const rejected: { evaluation: Evaluation; verification: Verification }[] = [];
  const notes: string[] = [];
  const risksOf = (seeds: readonly SeedResult[]): ConstraintRisk[] =>
    evaluator.check(seeds).map((c) => {
      const label = labels.get(c.key) ?? c.key;
      const estimated = c.key === 'dropped' ? dropProbabilities(seeds, c.limit) : null;
      return estimated === null
        ? constraintRisk(c.key, label, c.failedSeeds, seeds.length, settings.risk)
        : estimatedRisk(c.key, label, estimated, c.failedSeeds, settings.risk);
    });
  if (ranked.length === 0) return { chosen: null, rejected, notes };
  if (settings.verifySeeds === 0) {
    const e = ranked[0];
    notes.push('verification: off (--verify-seeds 0); the risks below rest on the search seeds alone');
    return { chosen: { evaluation: e, verification: null, risk: risksOf(e.seeds), seedCount: e.seeds.length }, rejected, notes };
  }
  const seedList = freshSeeds(evaluator.seeds, 0, settings.verifySeeds);
  const target = Math.min(settings.maxSeeds, seedsToEstablish(settings.risk));
  for (const evaluation of ranked.slice(0, MAX_VERIFIED_CANDIDATES)) {
    const verified = await evaluator.runOnSeeds(evaluation, seedList, 'verify');
    const failures = failuresOf(evaluator, verified);
    const missing = target - evaluation.seeds.length - seedList.length;
    const extraSeeds = failures.length === 0 && missing > 0 ? freshSeeds(evaluator.seeds, seedList.length, missing) : [];
    const extra = await evaluator.runOnSeeds(evaluation, extraSeeds, 'risk');
    const extraFailures = failuresOf(evaluator, extra);
    const failed = failures.length;
    const all = [...evaluation.seeds, ...verified, ...extra];
    const risk = risksOf(all);
    const verification: Verification = {
      seeds: seedList.length,
      passed: seedList.length - failed,
      failed,
      seedList,
      extraSeeds,
      failures: [...failures, ...extraFailures],
      riskExceeded: risk.filter((r) => r.status === 'exceeds').map((r) => r.key),
    };
    if (verification.failures.length > 0 || verification.riskExceeded.length > 0) {
      rejected.push({ evaluation, verification });
      continue;
    }
    return { chosen: { evaluation, verification, risk, seedCount: all.length }, rejected, notes };
  }
  notes.push(
    `verification: none of the ${Math.min(ranked.length, MAX_VERIFIED_CANDIDATES)} cheapest feasible configurations ` +
      `met every constraint on the fresh seeds ${seedList.join(', ')}` +
      (ranked.length > MAX_VERIFIED_CANDIDATES ? ` (at most ${MAX_VERIFIED_CANDIDATES} are verified)` : ''),
  );
  return { chosen: null, rejected, notes };
}

/** Each seed's probability of more than `limit` drops, from its run's estimator; null if a seed has none. */
function dropProbabilities(seeds: readonly SeedResult[], limit: number): number[] | null {
  const out: number[] = [];
  for (const seed of seeds) {
    const pAny = seed.values?.pAnyDrop ?? null;
    const expected = seed.values?.expectedDropped ?? null;
    if (pAny === null || expected === null) return null;
    out.push(dropViolationProbability(pAny, expected, limit));
  }
  return out.length === 0 ? null : out;
}

function failuresOf(evaluator: Evaluator, seeds: readonly SeedResult[]): SeedFailure[] {
  return seeds.flatMap((s) => {
    const constraints = evaluator.violatedOn(s);
    return constraints.length === 0 ? [] : [{ seed: s.seed, constraints }];
  });
}
