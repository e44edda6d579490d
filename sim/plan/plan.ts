import type { Estimate } from '../batch/confidence.js';
import { toSetList, type Overrides } from '../batch/override-values.js';
import { openRunPool, type RunPool } from '../batch/run-many.js';
import { InputError } from '../errors.js';
import { loadScenarioFile } from '../scenario/load.js';
import { describeConfig, knobsOf, planBase, type PlanBase, type PlanConfig } from './config.js';
import { strategySnippet } from './snippet.js';
import { DEFAULT_LIMITS, planConstraints, type ConstraintCheck, type ConstraintKey, type PlanLimits } from './constraints.js';
import type { Evaluation, PlanMetricKey, PrunedCandidate } from './evaluation.js';
import type { SeedResult } from './seed-result.js';
import { Evaluator } from './evaluator.js';
import { explain, type Explanation } from './explain.js';
import { DEFAULT_MAX_SEEDS, DEFAULT_RISK, type ConstraintRisk } from './risk.js';
import { preflightAdmitted } from './preflight-gate.js';
import { MAX_VERIFIED_CANDIDATES, verifyCheapest, type SeedFailure, type Verification, type VerificationOutcome, type VerificationSettings, type VerifiedCandidate } from './verify.js';
import { knobDifferences, neighboursOf, paretoFront, rankFeasible } from './ranking.js';
import {
  blueGreenStage,
  canaryStage,
  drainStage,
  neighbourStage,
  recreateStage,
  referenceConfig,
  refineStage,
  surgeStage,
  unavailableStage,
  type SearchContext,
} from './stages.js';

export interface PlanRequest {
  /** Scenario file. */
  readonly file: string;
  /** The user's --set overrides of the scenario, applied under the planner's. */
  readonly overrides?: readonly string[];
  /** Seeds each configuration runs with (the scenario's seed and the next ones); default 3. */
  readonly seeds?: number;
  readonly limits?: Partial<PlanLimits>;
  /** Worker threads; default one per core. The plan does not depend on it. */
  readonly threads?: number;
  /** Runs the simulations instead of a pool of `threads` workers (tests use a model of the simulator). */
  readonly pool?: RunPool;
  /** Acceptable per-rollout probability of violating a constraint (`--risk`); default 5%. */
  readonly risk?: number;
  /** Fresh seeds the recommendation is verified on (`--verify-seeds`); default 10, 0 turns verification off. */
  readonly verifySeeds?: number;
  /** Most seeds one configuration runs in all while the planner seeks a clear decision (`--max-seeds`); default 60 (or the search and verification seeds, if more). */
  readonly maxSeeds?: number;
  /**
   * Keep configurations preflight says cannot finish out of the recommendation; default: when the runs are the
   * real simulator's (not a `pool` modelling it, whose worlds preflight cannot see).
   */
  readonly preflight?: boolean;
  /** Called before each batch of simulations (progress on stderr). */
  readonly onBatch?: (stage: string, runs: number) => void;
}

export const DEFAULT_PLAN_SEEDS = 3;
export const DEFAULT_VERIFY_SEEDS = 10;

/** A constraint the configuration failed, and by how much (worst seed over the limit). */
export interface FailedConstraint {
  readonly constraint: ConstraintKey;
  readonly label: string;
  readonly limit: number;
  readonly worst: number | null;
  /** worst − limit; null when no seed measured it (e.g. the rollout never finished). */
  readonly by: number | null;
  readonly failedSeeds: number;
}

export interface CandidateReport {
  readonly id: string;
  /** 1 = cheapest feasible; null when infeasible. */
  readonly rank: number | null;
  readonly stage: string;
  readonly label: string;
  readonly strategy: string;
  readonly knobs: Record<string, string> | null;
  readonly overrides: Overrides;
  readonly feasible: boolean;
  readonly failed: readonly FailedConstraint[];
  readonly metrics: Record<PlanMetricKey, Estimate | null>;
  readonly seeds: readonly SeedResult[];
  /** Constraints that ended its seeds early (early elimination); empty when it ran every search seed. */
  readonly stoppedOn: readonly ConstraintKey[];
  /** Its runs on fresh seeds, when it was verified (the cheapest feasible ones, until one passes). */
  readonly verification: Verification | null;
}

export interface NeighbourReport {
  readonly id: string;
  /** The one knob it changes: "maxSurge": "4 → 2". */
  readonly differsIn: Record<string, string>;
  readonly feasible: boolean;
  readonly failed: readonly FailedConstraint[];
}

export interface Recommendation {
  readonly id: string;
  readonly label: string;
  readonly strategy: string;
  readonly config: PlanConfig;
  readonly overrides: Overrides;
  /** The same overrides as `--set path=value` arguments of `rollout-sim run`. */
  readonly set: readonly string[];
  readonly summary: { readonly seeds: readonly number[]; readonly metrics: Record<PlanMetricKey, Estimate | null> };
  /** Every constraint: mean ± CI, the worst seed and the margin left (limit − worst seed). */
  readonly margins: readonly ConstraintCheck[];
  readonly neighbours: readonly NeighbourReport[];
  /** Ready-to-merge Deployment (rolling update) or Argo Rollout (blue-green, canary) YAML. */
  readonly snippet: string;
  /** Its runs on fresh seeds; null with --verify-seeds 0. */
  readonly verification: Verification | null;
  /** Every constraint's per-rollout risk over all its seeds (search, verification, extra). */
  readonly risk: readonly ConstraintRisk[];
  /** Seeds behind `risk`. */
  readonly riskSeeds: number;
  /** Why not the runner-up, and the smallest change that makes the scenario as written pass. */
  readonly explanation: Explanation;
}

export interface ParetoPoint {
  readonly id: string;
  readonly label: string;
  readonly rolloutSeconds: Estimate | null;
  readonly surgeGpus: Estimate | null;
  readonly spikeRatio: Estimate | null;
  readonly extraGpuHours: Estimate | null;
}

/** The plan: deterministic for a scenario, seeds and limits (no wall time, whatever the thread count). */
export interface PlanResult {
  readonly scenario: { readonly name: string; readonly file: string; readonly hash: string; readonly overrides: readonly string[] };
  readonly seeds: readonly number[];
  readonly limits: PlanLimits;
  /** The acceptable risk, the fresh seeds per verification and the cap on seeds per configuration. */
  readonly risk: VerificationSettings;
  readonly constraints: readonly { key: ConstraintKey; label: string; limit: number; unit: string; source: string }[];
  readonly recommended: Recommendation | null;
  /** The scenario as written, for comparison (its id among the candidates). */
  readonly asWritten: string;
  readonly candidates: readonly CandidateReport[];
  readonly paretoFront: readonly ParetoPoint[];
  readonly pruned: readonly PrunedCandidate[];
  /** Cheaper configurations that met every constraint on the search seeds and failed on a fresh one. */
  readonly failedVerification: readonly { readonly id: string; readonly label: string; readonly failures: readonly SeedFailure[] }[];
  readonly notes: readonly string[];
  /** Simulations run (configurations run × seeds, plus verification and extra seeds). */
  readonly runs: number;
  readonly runsByStage: Record<string, number>;
}

/**
 * Searches the rollout's decision space for the cheapest configuration that meets the scenario's SLO and the
 * limits, on common random numbers, and reports how it got there.
 */
export async function plan(request: PlanRequest): Promise<PlanResult> {
  const baseOverrides = request.overrides ?? [];
  const loaded = loadScenarioFile(request.file, baseOverrides);
  const base = planBase(loaded, request.file, baseOverrides);
  const seedCount = request.seeds ?? DEFAULT_PLAN_SEEDS;
  if (!Number.isSafeInteger(seedCount) || seedCount < 1) throw new InputError(`"${seedCount}" is not a whole number of seeds above 0`, '--seeds');
  const seeds = Array.from({ length: seedCount }, (_, i) => loaded.scenario.spec.seed + i);
  const limits: PlanLimits = { ...DEFAULT_LIMITS, ...request.limits };
  const constraints = planConstraints(loaded.scenario.spec.slo, limits);
  const pool = request.pool ?? openRunPool(request.threads);
  const evaluator = new Evaluator(base, seeds, constraints, pool, request.onBatch);
  const ctx: SearchContext = { base, evaluator, limits, pruned: [], notes: [] };
  const settings = verificationSettings(request, seedCount);
  const labels = new Map(constraints.map((c) => [c.key, c.label]));
  let outcome: VerificationOutcome;
  try {
    await search(ctx);
    const ranked = rankFeasible(evaluator.evaluations).filter((e) => e.config !== null);
    const gated = request.preflight ?? request.pool === undefined;
    const candidates = gated ? preflightAdmitted(base, ranked, MAX_VERIFIED_CANDIDATES, ctx.notes) : ranked;
    outcome = await verifyCheapest(evaluator, candidates, labels, settings);
  } finally {
    if (pool !== request.pool) await pool.close();
  }
  return assemble(ctx, loaded.hash, seeds, constraints, settings, outcome);
}

function verificationSettings(request: PlanRequest, seedCount: number): VerificationSettings {
  const risk = request.risk ?? DEFAULT_RISK;
  if (!(risk > 0 && risk < 1)) throw new InputError(`"${risk}" is not a probability between 0 and 1 (e.g. 5% or 0.05)`, '--risk');
  const verifySeeds = request.verifySeeds ?? DEFAULT_VERIFY_SEEDS;
  if (!Number.isSafeInteger(verifySeeds) || verifySeeds < 0) throw new InputError(`"${verifySeeds}" is not a whole number of seeds of 0 or more`, '--verify-seeds');
  // The default cap never refuses the user's own --seeds and --verify-seeds; an explicit cap below them does.
  const maxSeeds = request.maxSeeds ?? Math.max(DEFAULT_MAX_SEEDS, seedCount + verifySeeds);
  if (!Number.isSafeInteger(maxSeeds) || maxSeeds < seedCount + verifySeeds) {
    const expected = `a whole number at least the search and verification seeds (${seedCount} + ${verifySeeds})`;
    throw new InputError(`"${maxSeeds}" is not ${expected}`, '--max-seeds');
  }
  return { risk, verifySeeds, maxSeeds };
}

/** The stages in order; each starts from what the earlier ones chose (the drain, then the surge). */
async function search(ctx: SearchContext): Promise<void> {
  const { base } = ctx;
  const asWritten = { config: base.asWritten, stage: 'as written', label: `as written: ${base.asWritten ? describeConfig(base.asWritten) : base.strategyKind}` };
  const drained = await drainStage(ctx, referenceConfig(base), [asWritten]);
  const surge = await surgeStage(ctx, drained);
  await unavailableStage(ctx, drained, surge);
  if (base.rollingOnly !== null) {
    for (const stage of ['blueGreen', 'recreate', 'canary']) ctx.pruned.push({ stage, label: stage, reason: `not run: ${base.rollingOnly}` });
  } else {
    await blueGreenStage(ctx, drained);
    await recreateStage(ctx, drained);
    await canaryStage(ctx, drained, surge);
  }
  await refineStage(ctx);
  await neighbourStage(ctx);
}

function costNote(base: PlanBase): string {
  const minutes = base.loaded.scenario.spec.duration / 60;
  return (
    `cost: extra GPU-hours are the node GPU-hours beyond the scenario's own ${base.baseGpus} node GPUs over the ` +
    `${minutes} simulated minutes (nodes the autoscaler adds while they exist; reserved headroom nodes for the whole run), ` +
    'then peak GPUs held by pods, then rollout duration; differences under 0.1 GPU-hour, 1 GPU or 10 s count as ties'
  );
}

function failedOf(e: Evaluation): FailedConstraint[] {
  return e.checks
    .filter((c) => !c.passed)
    .map((c) => ({ constraint: c.key, label: c.label, limit: c.limit, worst: c.worst, by: c.worst === null ? null : c.worst - c.limit, failedSeeds: c.failedSeeds }));
}

function assemble(
  ctx: SearchContext,
  hash: string,
  seeds: readonly number[],
  constraints: ReturnType<typeof planConstraints>,
  settings: VerificationSettings,
  outcome: VerificationOutcome,
): PlanResult {
  const { base, evaluator } = ctx;
  const evaluations = evaluator.evaluations;
  const ranked = rankFeasible(evaluations);
  const verifications = new Map<Evaluation, Verification>(outcome.rejected.map((r) => [r.evaluation, r.verification]));
  if (outcome.chosen?.verification) verifications.set(outcome.chosen.evaluation, outcome.chosen.verification);
  const failedVerification = new Map(outcome.rejected.map((r) => [r.evaluation, r.verification]));
  const rankOf = new Map(ranked.map((e, i) => [e, i + 1]));
  const ordered = [...ranked, ...evaluations.filter((e) => !e.feasible)];
  const candidates = ordered.map(
    (e): CandidateReport => ({
      id: e.id,
      rank: rankOf.get(e) ?? null,
      stage: e.stage,
      label: e.label,
      strategy: e.config?.strategy.kind ?? base.strategyKind,
      knobs: e.config === null ? null : knobsOf(e.config),
      overrides: e.overrides,
      feasible: e.feasible,
      failed: failedOf(e),
      metrics: e.metrics,
      seeds: e.seeds,
      stoppedOn: e.stoppedOn,
      verification: verifications.get(e) ?? null,
    }),
  );
  const asWritten = evaluations.find((e) => e.stage === 'as written');
  const chosen = outcome.chosen;
  const runLabels = new Set(evaluations.map((e) => e.label));
  return {
    scenario: { name: base.loaded.scenario.metadata.name, file: base.file, hash, overrides: base.baseOverrides },
    seeds,
    limits: ctx.limits,
    risk: settings,
    constraints: constraints.map(({ key, label, limit, unit, source }) => ({ key, label, limit, unit, source })),
    recommended: chosen ? recommendation(chosen, evaluations, seeds, base, explain(chosen.evaluation, evaluations, failedVerification, asWritten, base.replicas)) : null,
    asWritten: asWritten?.id ?? '',
    candidates,
    paretoFront: paretoFront(evaluations).map((e) => ({
      id: e.id,
      label: e.label,
      rolloutSeconds: e.metrics.rolloutSeconds,
      surgeGpus: e.metrics.surgeGpus,
      spikeRatio: e.metrics.spikeRatio,
      extraGpuHours: e.metrics.extraGpuHours,
    })),
    pruned: ctx.pruned.filter((p) => !runLabels.has(p.label)),
    failedVerification: outcome.rejected.map((r) => ({ id: r.evaluation.id, label: r.evaluation.label, failures: r.verification.failures })),
    notes: [...ctx.notes, ...outcome.notes, costNote(base)],
    runs: evaluator.runs,
    runsByStage: evaluator.runsByStage,
  };
}

function recommendation(
  chosen: VerifiedCandidate,
  evaluations: readonly Evaluation[],
  seeds: readonly number[],
  base: PlanBase,
  explanation: Explanation,
): Recommendation {
  const best = chosen.evaluation;
  const config = best.config as PlanConfig;
  return {
    id: best.id,
    label: best.label,
    strategy: config.strategy.kind,
    config,
    overrides: best.overrides,
    set: toSetList(best.overrides),
    summary: { seeds, metrics: best.metrics },
    margins: best.checks,
    neighbours: neighboursOf(best, evaluations, base.replicas).map((n) => ({
      id: n.id,
      differsIn: knobDifferences(best, n, base.replicas),
      feasible: n.feasible,
      failed: failedOf(n),
    })),
    snippet: strategySnippet(config, base, best.id),
    verification: chosen.verification,
    risk: chosen.risk,
    riskSeeds: chosen.seedCount,
    explanation,
  };
}
