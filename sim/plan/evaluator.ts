import { estimate } from '../batch/confidence.js';
import { toSetList, type Overrides } from '../batch/override-values.js';
import { estimateMetrics, metricValues } from '../batch/run-metrics.js';
import type { RunPool } from '../batch/run-many.js';
import { withoutWallTime, type RunOutcome, type RunSpec } from '../batch/run-spec.js';
import { describeConfig, overridesOf, resolvedConfig, type PlanBase, type PlanConfig } from './config.js';
import { checkConstraint, type Constraint, type ConstraintCheck, type ConstraintKey } from './constraints.js';
import type { Evaluation } from './evaluation.js';
import type { SeedResult } from './seed-result.js';
import { settledDuration } from './short-run.js';

export interface EvaluationRequest {
  readonly config: PlanConfig | null;
  readonly stage: string;
  /** Shown instead of the configuration's description (the scenario as written). */
  readonly label?: string;
  /**
   * Constraints one violated seed of which settles what the stage asks (a bisection on drops, a scan on
   * latency): the configuration's later seeds are then not run (early elimination). Default none: every seed.
   */
  readonly stopOn?: readonly ConstraintKey[];
}

/** A configuration to run in a batch: the seeds it already has and those still to run. */
interface Pending {
  readonly request: EvaluationRequest;
  readonly overrides: Overrides;
  readonly key: string;
  stopOn: readonly ConstraintKey[];
  readonly known: readonly SeedResult[];
  /** Results of the seeds after `known`, by seed index; undefined until run (or never, once settled). */
  readonly results: (SeedResult | undefined)[];
  /** Lowest seed index known to violate a `stopOn` constraint. */
  stopAt: number;
  /** Where the evaluation it completes sits, when it completes one. */
  readonly replaces?: Evaluation;
}

/**
 * Runs configurations on the plan's seeds (the same seeds for every configuration: common random numbers, so
 * two configurations differ by their settings, not by their luck) and remembers every result, so a
 * configuration asked for twice is run once. Each call runs its new configurations as one batch over the pool.
 */
export class Evaluator {
  private readonly byKey = new Map<string, Evaluation>();
  private readonly order: Evaluation[] = [];
  private readonly stageRuns = new Map<string, number>();

  constructor(
    private readonly base: PlanBase,
    readonly seeds: readonly number[],
    private readonly constraints: readonly Constraint[],
    private readonly pool: RunPool,
    /** Called before each batch with its stages ("drain + surge") and its number of simulations. */
    private readonly onBatch: (stages: string, runs: number) => void = () => {},
  ) {}

  /** Every evaluation so far, in the order first run. */
  get evaluations(): readonly Evaluation[] {
    return this.order;
  }

  /** Simulations run so far. */
  get runs(): number {
    return [...this.stageRuns.values()].reduce((a, b) => a + b, 0);
  }

  /** Simulations per search stage, in the order the stages ran. */
  get runsByStage(): Record<string, number> {
    return Object.fromEntries(this.stageRuns);
  }

  /** Every constraint: stopping on any of them settles feasibility. */
  get constraintKeys(): readonly ConstraintKey[] {
    return this.constraints.map((c) => c.key);
  }

  overridesOf(config: PlanConfig | null): Overrides {
    return config === null ? {} : overridesOf(config, this.base);
  }

  find(config: PlanConfig | null): Evaluation | undefined {
    return this.byKey.get(this.keyOf(config));
  }

  /** Configurations that run alike share a key, however their budgets are spelled (25% or 1 of 4 replicas). */
  private keyOf(config: PlanConfig | null): string {
    return keyOf(this.overridesOf(config === null ? null : resolvedConfig(config, this.base.replicas)));
  }

  async evaluate(requests: readonly EvaluationRequest[]): Promise<Evaluation[]> {
    const pending: Pending[] = [];
    for (const request of requests) {
      const key = this.keyOf(request.config);
      const stopOn = request.stopOn ?? [];
      const queued = pending.find((p) => p.key === key);
      // Two stages asking for one configuration: stop only on what settles both.
      if (queued !== undefined) queued.stopOn = queued.stopOn.filter((k) => stopOn.includes(k));
      if (queued !== undefined) continue;
      const known = this.byKey.get(key);
      // Stopped early, and no seed it ran answers this request (none violates what it stops on): the rest run now.
      const resume = known !== undefined && known.seeds.length < this.seeds.length && !known.checks.some((c) => !c.passed && stopOn.includes(c.key));
      if (known !== undefined && !resume) continue;
      const overrides = this.overridesOf(request.config);
      const seeds = known?.seeds ?? [];
      pending.push({ request, overrides, key, stopOn, known: seeds, results: [], stopAt: Infinity, ...(known ? { replaces: known } : {}) });
    }
    if (pending.length > 0) await this.runPending(pending);
    return requests.map((r) => this.byKey.get(this.keyOf(r.config)) as Evaluation);
  }

  /**
   * Runs the pending configurations seed by seed (every configuration's first seed, then every second one...),
   * so one that violates a constraint it stops on has its later seeds dropped before they start. What the plan
   * keeps is deterministic whatever the timing: the seeds up to the first violating one, in seed order.
   */
  private async runPending(pending: Pending[]): Promise<void> {
    const n = this.seeds.length;
    const jobs: { p: Pending; index: number }[] = [];
    for (let index = 0; index < n; index++) for (const p of pending) if (index >= p.known.length) jobs.push({ p, index });
    const kept = (p: Pending): number => Math.min(n, p.stopAt + 1);
    const runs = pending.reduce((sum, p) => sum + n - p.known.length, 0);
    this.onBatch([...new Set(pending.map((p) => p.request.stage))].join(' + '), runs);
    await this.pool.runSelectively(
      jobs.map(({ p, index }) => this.specFor(p.overrides, this.seeds[index])),
      (i) => jobs[i].index > jobs[i].p.stopAt,
      (outcome, i) => {
        const { p, index } = jobs[i];
        const result = seedResultOf(outcome, this.base.baseGpus);
        p.results[index] = result;
        if (this.violatedOn(result).some((k) => p.stopOn.includes(k))) p.stopAt = Math.min(p.stopAt, index);
      },
    );
    for (const p of pending) {
      const seeds = [...p.known, ...(p.results.slice(p.known.length, kept(p)) as SeedResult[])];
      const stage = p.replaces?.stage ?? p.request.stage;
      this.stageRuns.set(stage, (this.stageRuns.get(stage) ?? 0) + seeds.length - p.known.length);
      const id = p.replaces?.id ?? `c${this.order.length + 1}`;
      const request = p.replaces ? { ...p.request, stage: p.replaces.stage, label: p.replaces.label } : p.request;
      const evaluation = this.assemble(id, request, p.overrides, seeds, p.stopOn);
      this.byKey.set(p.key, evaluation);
      if (p.replaces) this.order[this.order.indexOf(p.replaces)] = evaluation;
      else this.order.push(evaluation);
    }
  }

  /**
   * Runs an evaluated configuration on other seeds (verification: seeds the search never used), as one batch
   * over the pool, counted under `stage`. The evaluation itself keeps its search seeds.
   */
  async runOnSeeds(evaluation: Evaluation, seeds: readonly number[], stage: string): Promise<SeedResult[]> {
    if (seeds.length === 0) return [];
    this.stageRuns.set(stage, (this.stageRuns.get(stage) ?? 0) + seeds.length);
    this.onBatch(stage, seeds.length);
    const cut = settledDuration(this.base, evaluation);
    const shortened = cut === null ? evaluation.overrides : { ...evaluation.overrides, 'spec.duration': `${cut}s` };
    const outcomes = await this.pool.run(seeds.map((seed) => this.specFor(shortened, seed)));
    const results = outcomes.map((o) => seedResultOf(o, this.base.baseGpus));
    // A seed whose rollout had not finished by the cut runs again to spec.duration: slow is not unfinished.
    const slow = cut === null ? [] : results.flatMap((r, i) => (r.outcome === 'completed' ? [] : [i]));
    if (slow.length === 0) return results;
    this.stageRuns.set(stage, (this.stageRuns.get(stage) ?? 0) + slow.length);
    const again = await this.pool.run(slow.map((i) => this.specFor(evaluation.overrides, seeds[i])));
    slow.forEach((i, k) => (results[i] = seedResultOf(again[k], this.base.baseGpus)));
    return results;
  }

  /** Every constraint checked over these seeds. */
  check(seeds: readonly SeedResult[]): ConstraintCheck[] {
    return this.constraints.map((c) => checkConstraint(c, seeds));
  }

  /** The constraints a seed violates (none: it passed). */
  violatedOn(seed: SeedResult): ConstraintKey[] {
    return this.constraints.filter((c) => !checkConstraint(c, [seed]).passed).map((c) => c.key);
  }

  private specFor(overrides: Overrides, seed: number): RunSpec {
    return { file: this.base.file, overrides: [...this.base.baseOverrides, ...toSetList(overrides)], seed };
  }

  private assemble(id: string, request: EvaluationRequest, overrides: Overrides, seeds: SeedResult[], stopOn: readonly ConstraintKey[]): Evaluation {
    const checks = this.check(seeds);
    const stoppedOn = seeds.length < this.seeds.length ? checks.filter((c) => !c.passed && stopOn.includes(c.key)).map((c) => c.key) : [];
    const values = seeds.flatMap((s) => (s.values === null ? [] : [s.values]));
    const extra = seeds.flatMap((s) => (s.extraGpuHours === null ? [] : [s.extraGpuHours]));
    return {
      id,
      stage: request.stage,
      label: request.label ?? (request.config === null ? 'as written' : describeConfig(request.config)),
      config: request.config,
      overrides,
      seeds,
      metrics: { ...estimateMetrics(values), extraGpuHours: estimate(extra) },
      checks,
      feasible: checks.every((c) => c.passed),
      stoppedOn,
    };
  }
}

/** One seed's figures; extra GPU-hours are the node GPU-hours beyond `baseGpus` held for the whole run. */
export function seedResultOf(raw: RunOutcome, baseGpus: number): SeedResult {
  const outcome = withoutWallTime(raw);
  const seed = outcome.spec.seed;
  if (outcome.summary === null) return { seed, outcome: 'error', values: null, extraGpuHours: null, error: outcome.error };
  const s = outcome.summary;
  return {
    seed,
    outcome: s.rollout.outcome,
    values: metricValues(s),
    extraGpuHours: s.capacity.nodeGpuHours - (baseGpus * s.simulatedSeconds) / 3600,
  };
}

/** Same overrides, same key, whatever order they were written in. */
function keyOf(overrides: Overrides): string {
  return JSON.stringify(Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
