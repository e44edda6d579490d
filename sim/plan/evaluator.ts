import { estimate } from '../batch/confidence.js';
import { toSetList, type Overrides } from '../batch/override-values.js';
import { estimateMetrics, metricValues } from '../batch/run-metrics.js';
import type { RunPool } from '../batch/run-many.js';
import { withoutWallTime, type RunOutcome, type RunSpec } from '../batch/run-spec.js';
import { describeConfig, overridesOf, resolvedConfig, type PlanBase, type PlanConfig } from './config.js';
import { checkConstraint, type Constraint, type ConstraintCheck, type ConstraintKey } from './constraints.js';
import type { Evaluation } from './evaluation.js';
import type { SeedResult } from './seed-result.js';

export interface EvaluationRequest {
  readonly config: PlanConfig | null;
  readonly stage: string;
  /** Shown instead of the configuration's description (the scenario as written). */
  readonly label?: string;
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
    const fresh: { request: EvaluationRequest; overrides: Overrides; key: string }[] = [];
    for (const request of requests) {
      const overrides = this.overridesOf(request.config);
      const key = this.keyOf(request.config);
      if (!this.byKey.has(key) && !fresh.some((f) => f.key === key)) fresh.push({ request, overrides, key });
    }
    if (fresh.length > 0) {
      const specs = fresh.flatMap(({ overrides }) => this.seeds.map((seed) => this.specFor(overrides, seed)));
      for (const { request } of fresh) this.stageRuns.set(request.stage, (this.stageRuns.get(request.stage) ?? 0) + this.seeds.length);
      this.onBatch([...new Set(fresh.map((f) => f.request.stage))].join(' + '), specs.length);
      const outcomes = await this.pool.run(specs);
      fresh.forEach(({ request, overrides, key }, i) => {
        const seeds = outcomes.slice(i * this.seeds.length, (i + 1) * this.seeds.length).map((o) => seedResultOf(o, this.base.baseGpus));
        const evaluation = this.assemble(`c${this.order.length + 1}`, request, overrides, seeds);
        this.byKey.set(key, evaluation);
        this.order.push(evaluation);
      });
    }
    return requests.map((r) => this.byKey.get(this.keyOf(r.config)) as Evaluation);
  }

  /**
   * Runs an evaluated configuration on other seeds (verification: seeds the search never used), as one batch
   * over the pool, counted under `stage`. The evaluation itself keeps its search seeds.
   */
  async runOnSeeds(evaluation: Evaluation, seeds: readonly number[], stage: string): Promise<SeedResult[]> {
    if (seeds.length === 0) return [];
    this.stageRuns.set(stage, (this.stageRuns.get(stage) ?? 0) + seeds.length);
    this.onBatch(stage, seeds.length);
    const outcomes = await this.pool.run(seeds.map((seed) => this.specFor(evaluation.overrides, seed)));
    return outcomes.map((o) => seedResultOf(o, this.base.baseGpus));
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

  private assemble(id: string, request: EvaluationRequest, overrides: Overrides, seeds: SeedResult[]): Evaluation {
    const checks = this.check(seeds);
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
