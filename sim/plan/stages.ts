import { ARGO_ROLLOUT_DEFAULTS, DEPLOYMENT_DEFAULTS } from '../config/upstream-defaults.js';
import { formatIntOrPercent, intCount, parseIntOrPercent, type IntOrPercent } from '../config/int-or-percent.js';
import { budgetPods, describeConfig, graceFor, surgePods, unavailablePods, type PlanBase, type PlanConfig, type StrategyChoice } from './config.js';
import { LATENCY_CONSTRAINTS, type ConstraintKey, type PlanLimits } from './constraints.js';
import { failedChecks, passes, type Evaluation, type PrunedCandidate } from './evaluation.js';
import type { EvaluationRequest, Evaluator } from './evaluator.js';
import { firstPassing, type MonotoneSearch } from './bisect.js';
import {
  CANARY_PAUSES_SECONDS,
  canaryTemplate,
  canaryTemplates,
  type CanaryTemplate,
  FAST_PROBE_PERIOD_SECONDS,
  PRESTOP_LADDER,
  REPAIR_MIN_READY_SECONDS,
  REPAIR_SLOW_START_SECONDS,
  REPAIR_WAIT_FOR_ENDPOINT_SECONDS,
  SHUTDOWN_TIMEOUT_LADDER,
  SOAK_LADDER,
  surgeLadder,
  unavailableLadder,
} from './ladders.js';
import { compareCost, rankFeasible } from './ranking.js';
import { SLOW_START_POLICIES } from '../routing/config.js';

/**
 * The planner's search, one stage per group of knobs. Each stage leans on a monotone effect to run few
 * configurations: bisection where a knob moves one constraint one way, a scan that stops at the first failure
 * where more of a knob only makes things worse, and pruning by arithmetic where a configuration cannot fit.
 */
export interface SearchContext {
  readonly base: PlanBase;
  readonly evaluator: Evaluator;
  readonly limits: PlanLimits;
  readonly pruned: PrunedCandidate[];
  readonly notes: string[];
}

/** The workload's rolling update (a Deployment's, or LeaderWorkerSet's for groups) with these budgets. */
export const rolling = (base: PlanBase, maxSurge: IntOrPercent, maxUnavailable: IntOrPercent): StrategyChoice => ({ kind: base.rollingKind, maxSurge, maxUnavailable });
export const withStrategy = (c: PlanConfig, strategy: StrategyChoice): PlanConfig => ({ ...c, strategy });
export const withDrain = (c: PlanConfig, preStopSeconds: number, shutdownTimeoutSeconds: number): PlanConfig => ({
  ...c,
  preStopSeconds,
  shutdownTimeoutSeconds,
  terminationGracePeriodSeconds: graceFor(preStopSeconds, shutdownTimeoutSeconds),
});

const last = <T>(list: readonly T[]): T => list[list.length - 1];
const NONE = intCount(0);
const seconds = (values: readonly number[]): string => values.map((v) => `${v}s`).join(', ');

/** A rolling update that never lowers capacity, from which the drain is measured: pods are replaced one group at a time. */
export function referenceConfig(base: PlanBase): PlanConfig {
  const written = base.asWritten?.strategy;
  const surge =
    written && (written.kind === 'rollingUpdate' || written.kind === 'leaderWorkerSet' || written.kind === 'canary') && surgePods(written.maxSurge, base.replicas) > 0
      ? written.maxSurge
      : parseIntOrPercent(DEPLOYMENT_DEFAULTS.maxSurge);
  return { ...base.defaults, strategy: rolling(base, surge, NONE) };
}

/**
 * preStop and the drain (vLLM --shutdown-timeout), bisected side by side on a rolling update. More preStop
 * never rejects more: the endpoint is gone before the server stops admitting. More drain never drops more: a
 * stream has preStop + drain to finish, so the drain is bisected with no preStop at all, which makes its answer
 * safe for any preStop. Each answer then gets one ladder step of margin, because the planning seeds are a
 * sample: the longest stream in flight at a pod's deletion varies from day to day. When the traffic caps the
 * output length, the drain also covers the longest generation it allows. The grace period follows:
 * preStop + drain + 5 s.
 */
export async function drainStage(ctx: SearchContext, ref: PlanConfig, alsoRun: readonly EvaluationRequest[]): Promise<PlanConfig> {
  const preStops = PRESTOP_LADDER.map((p) => withDrain(ref, p, last(SHUTDOWN_TIMEOUT_LADDER)));
  const drains = SHUTDOWN_TIMEOUT_LADDER.map((t) => withDrain(ref, 0, t));
  const [p, t] = await firstPassing(
    [
      { configs: preStops, passes: (e) => passes(e, ['rejected']), start: 'ends', stopOn: ['rejected'] },
      { configs: drains, passes: (e) => passes(e, ['dropped']), start: 'ends', stopOn: ['dropped'] },
    ],
    ctx.evaluator,
    'drain',
    alsoRun,
  );
  const { maxRejected, maxDropped } = ctx.limits;
  const preStop = withMargin(ctx, 'preStop sleep', PRESTOP_LADDER, preStops, p, 'more preStop never rejects more', `${maxRejected} rejected`);
  let drain = withMargin(ctx, 'drain (shutdownTimeout)', SHUTDOWN_TIMEOUT_LADDER, drains, t, 'more drain never drops more', `${maxDropped} dropped`);
  const longest = longestGeneration(ctx, drains[drains.length - 1]);
  if (longest !== null && preStop + drain < longest.seconds) {
    drain = SHUTDOWN_TIMEOUT_LADDER.find((v) => preStop + v >= longest.seconds) ?? last(SHUTDOWN_TIMEOUT_LADDER);
    ctx.notes.push(`drain raised to ${drain}s so preStop + drain covers the longest generation the traffic allows: ${longest.how}`);
  }
  return withDrain(ref, preStop, drain);
}

/** The ladder value one step above the first passing one (the last value when none passed), with a note. */
function withMargin(
  ctx: SearchContext,
  knob: string,
  ladder: readonly number[],
  configs: readonly PlanConfig[],
  found: number | null,
  monotone: string,
  bound: string,
): number {
  const run = ladder.filter((_, i) => ctx.evaluator.find(configs[i]) !== undefined);
  const skipped = ladder.filter((v) => !run.includes(v));
  const chosen = found === null ? last(ladder) : ladder[Math.min(found + 1, ladder.length - 1)];
  ctx.notes.push(
    found === null
      ? `${knob}: no value up to ${chosen}s keeps to ${bound} on every seed; using ${chosen}s (the failures have another cause)`
      : `${knob}: ${ladder[found]}s is the shortest with at most ${bound} on every seed (bisection ran ${seconds(run)}); ` +
          `${chosen}s recommended, one step of margin`,
  );
  if (skipped.length > 0) {
    ctx.pruned.push({ stage: 'drain', label: `${knob} ${seconds(skipped)}`, reason: `not run by the bisection: ${monotone}, so the values run decide these` });
  }
  return chosen;
}

/**
 * The longest a generation can stream when the traffic caps output tokens: the cap times the worst seed's
 * TPOT p95, plus its TTFT p95; null without a cap (then only the seeds can tell).
 */
function longestGeneration(ctx: SearchContext, reference: PlanConfig): { seconds: number; how: string } | null {
  const cap = ctx.base.loaded.scenario.spec.traffic.maxOutputTokens;
  const e = ctx.evaluator.find(reference);
  if (cap === undefined || e === undefined) return null;
  const worst = (key: 'tpotP95Ms' | 'ttftP95Ms'): number => Math.max(0, ...e.seeds.map((s) => s.values?.[key] ?? 0));
  const tpot = worst('tpotP95Ms');
  const ttft = worst('ttftP95Ms');
  const total = (cap * tpot + ttft) / 1000;
  return { seconds: total, how: `${cap} tokens × ${tpot.toFixed(0)} ms TPOT p95 + ${(ttft / 1000).toFixed(1)} s TTFT p95 = ${total.toFixed(0)} s` };
}

/**
 * maxSurge with maxUnavailable 0: more surge never slows the rollout and never holds fewer GPUs. Bisection
 * finds the smallest surge that meets --max-duration and the largest within --budget-gpus; between them the
 * two ends and the middle are run, as points of the Pareto front.
 */
export async function surgeStage(ctx: SearchContext, drained: PlanConfig): Promise<IntOrPercent> {
  const { base, limits } = ctx;
  const ladder = surgeLadder(base.replicas);
  const configs = ladder.map((s) => withStrategy(drained, rolling(base, s, NONE)));
  const n = ladder.length;
  const searches: MonotoneSearch[] = [];
  if (limits.maxDurationSeconds !== undefined) {
    searches.push({ configs, passes: (e) => passes(e, ['completes', 'duration']), start: 'ends', stopOn: ['completes', 'duration'] });
  }
  if (limits.budgetGpus !== undefined) {
    searches.push({ configs: [...configs].reverse(), passes: (e) => passes(e, ['gpuBudget']), start: 'ends', stopOn: ['gpuBudget'] });
  }
  const found = await firstPassing(searches, ctx.evaluator, 'surge');
  let lo = 0;
  let hi = n - 1;
  if (limits.maxDurationSeconds !== undefined) lo = found.shift() ?? n;
  if (limits.budgetGpus !== undefined) {
    const fromTop = found.shift() ?? null;
    hi = fromTop === null ? -1 : n - 1 - fromTop;
  }
  if (lo > 0) {
    const boundary = lo < n ? `surge ${formatIntOrPercent(ladder[lo])} is the smallest that finishes in time` : 'even the largest surge did not finish in time';
    pruneUnrun(ctx, 'surge', configs.slice(0, lo), `not run: less surge never finishes sooner; ${boundary}`);
  }
  if (hi < n - 1) {
    const boundary = hi >= 0 ? `surge ${formatIntOrPercent(ladder[hi])} is the largest within the budget` : 'even the smallest surge exceeded the budget';
    pruneUnrun(ctx, 'surge', configs.slice(hi + 1), `not run: more surge never holds fewer GPUs; ${boundary}`);
  }
  if (lo <= hi) {
    const picks = [...new Set([lo, (lo + hi) >> 1, hi])];
    await ctx.evaluator.evaluate(picks.map((i) => ({ config: configs[i], stage: 'surge', stopOn: ctx.evaluator.constraintKeys })));
    pruneUnrun(ctx, 'surge', configs.slice(lo, hi + 1), 'not run: between surges that were run (duration falls and GPUs rise with surge)');
  }
  const feasible = rankFeasible(configs.flatMap((c) => ctx.evaluator.find(c) ?? []));
  if (feasible.length > 0) {
    const strategy = feasible[0].config?.strategy;
    return strategy?.kind === 'rollingUpdate' || strategy?.kind === 'leaderWorkerSet' ? strategy.maxSurge : ladder[0];
  }
  return ladder[Math.min(Math.max(lo, 0), n - 1)];
}

/**
 * maxUnavailable: fewer serving replicas never lower latency or rejections, so each scan stops at its first
 * failure on those. Two scans: on top of the chosen surge (faster, no extra GPUs) and with no surge at all
 * (the rollout that adds no GPUs).
 */
export async function unavailableStage(ctx: SearchContext, drained: PlanConfig, surge: IntOrPercent): Promise<void> {
  const ladder = unavailableLadder(ctx.base.replicas);
  const capacityBound: ConstraintKey[] = [...LATENCY_CONSTRAINTS, 'rejected'];
  const surges = surgePods(surge, ctx.base.replicas) > 0 ? [surge, NONE] : [NONE];
  const scans = surges.map((s) => ({ surge: s, stopped: false }));
  for (let k = 0; k < ladder.length; k++) {
    const live = scans.filter((s) => !s.stopped);
    if (live.length === 0) break;
    const configs = live.map((s) => withStrategy(drained, rolling(ctx.base, s.surge, ladder[k])));
    const results = await ctx.evaluator.evaluate(configs.map((config) => ({ config, stage: 'unavailable', stopOn: capacityBound })));
    live.forEach((scan, i) => {
      if (passes(results[i], capacityBound)) return;
      scan.stopped = true;
      const failed = failedChecks(results[i]).map((c) => c.label).join(', ');
      const rest = ladder.slice(k + 1).map((u) => withStrategy(drained, rolling(ctx.base, scan.surge, u)));
      pruneUnrun(ctx, 'unavailable', rest, `not run: less capacity than maxUnavailable ${formatIntOrPercent(ladder[k])}, which already failed ${failed}`);
    });
  }
}

/**
 * Blue-green: green comes up at full size beside blue, so it is pruned by arithmetic when both fleets cannot
 * fit the budget or the cluster. The soak (scaleDownDelaySeconds) only delays blue's scale-down: more never
 * drops more, so the shortest soak without drops is found by bisection from Argo's default up.
 */
export async function blueGreenStage(ctx: SearchContext, drained: PlanConfig): Promise<void> {
  const { base, limits } = ctx;
  const blueGreen = (soak: number, preview: number | null): PlanConfig =>
    withStrategy(drained, { kind: 'blueGreen', scaleDownDelaySeconds: soak, previewReplicaCount: preview });
  const both = 2 * base.replicas * base.gpusPerPod;
  const label = `blueGreen (soak ${seconds(SOAK_LADDER)})`;
  const tooBig =
    limits.budgetGpus !== undefined && both > limits.budgetGpus
      ? `both fleets hold ${both} GPUs at the switch, above the budget of ${limits.budgetGpus}`
      : both > base.maxClusterGpus
        ? `both fleets need ${both} GPUs; the cluster can grow to ${base.maxClusterGpus}`
        : null;
  if (tooBig !== null) {
    ctx.pruned.push({ stage: 'blueGreen', label, reason: `not run: ${tooBig}` });
    return;
  }
  const configs = SOAK_LADDER.map((s) => blueGreen(s, null));
  const [found] = await firstPassing([{ configs, passes: (e) => passes(e, ['dropped']), start: 'low-first', stopOn: ['dropped'] }], ctx.evaluator, 'blueGreen');
  const soak = SOAK_LADDER[found ?? SOAK_LADDER.length - 1];
  pruneUnrun(ctx, 'blueGreen', configs, `not run: a longer soak than ${soak}s only keeps blue's GPUs longer`);
  const preview = Math.max(1, Math.ceil(base.replicas / 4));
  if (base.promotionPauses) {
    await ctx.evaluator.evaluate([{ config: blueGreen(soak, preview), stage: 'blueGreen', stopOn: ctx.evaluator.constraintKeys }]);
  } else {
    ctx.pruned.push({
      stage: 'blueGreen',
      label: `blueGreen previewReplicaCount ${preview}`,
      reason: 'not run: the preview size only matters while promotion pauses, and this rollout promotes as soon as green is ready',
    });
  }
}

/**
 * Recreate: every old pod goes before a new one starts, so it adds no GPU and no node, and serves nobody for a
 * whole start-up. Run once on the chosen drain, stopped at its first violating seed: it is the cheapest
 * rollout there is when the traffic can wait (a gateway that holds requests for a routable pod).
 */
export async function recreateStage(ctx: SearchContext, drained: PlanConfig): Promise<void> {
  await ctx.evaluator.evaluate([{ config: withStrategy(drained, { kind: 'recreate' }), stage: 'recreate', stopOn: ctx.evaluator.constraintKeys }]);
}

/**
 * Canary step lists on the chosen surge, generated from a few shapes of weights with a short pause after each
 * (ladders.ts). With --max-duration they run shortest pause first: a list that pauses longer never finishes
 * sooner, so one that is too slow rules out the rest. A shape whose short-paused list failed on latency alone
 * runs again with the longer pause (new pods get a minute before more traffic reaches them); a longer pause
 * cannot help drops, refusals or a late finish, so it is not run for those.
 */
export async function canaryStage(ctx: SearchContext, drained: PlanConfig, surge: IntOrPercent): Promise<void> {
  const maxSurge = surgePods(surge, ctx.base.replicas) > 0 ? surge : parseIntOrPercent(ARGO_ROLLOUT_DEFAULTS.maxSurge);
  const canary = (t: CanaryTemplate): PlanConfig =>
    withStrategy(drained, { kind: 'canary', template: t.name, steps: t.steps, maxSurge, maxUnavailable: NONE });
  const stopOn = ctx.evaluator.constraintKeys;
  const [short, long] = [CANARY_PAUSES_SECONDS[0], CANARY_PAUSES_SECONDS[CANARY_PAUSES_SECONDS.length - 1]];
  const shortLists = canaryTemplates(short);
  const run: { template: CanaryTemplate; evaluation: Evaluation }[] = [];
  if (ctx.limits.maxDurationSeconds === undefined) {
    const results = await ctx.evaluator.evaluate(shortLists.map((t) => ({ config: canary(t), stage: 'canary', stopOn })));
    results.forEach((evaluation, i) => run.push({ template: shortLists[i], evaluation }));
  } else {
    for (let i = 0; i < shortLists.length; i++) {
      const [evaluation] = await ctx.evaluator.evaluate([{ config: canary(shortLists[i]), stage: 'canary', stopOn }]);
      run.push({ template: shortLists[i], evaluation });
      if (!passes(evaluation, ['completes', 'duration'])) {
        const rest = [...shortLists.slice(i + 1), ...canaryTemplates(long)];
        pruneUnrun(ctx, 'canary', rest.map(canary), `not run: pauses at least as long as "${shortLists[i].name}", which already took too long`);
        return;
      }
    }
  }
  const latencyOnly = (e: Evaluation): boolean => !e.feasible && failedChecks(e).every((c) => LATENCY_CONSTRAINTS.includes(c.key));
  const longer = long > short ? run.filter((r) => latencyOnly(r.evaluation)).map((r) => canaryTemplate(r.template.shape, long)) : [];
  await ctx.evaluator.evaluate(longer.map((t) => ({ config: canary(t), stage: 'canary', stopOn })));
  const unrun = canaryTemplates(long).filter((t) => !longer.some((l) => l.name === t.name));
  pruneUnrun(ctx, 'canary', unrun.map(canary), `not run: a ${long}s pause only lengthens a rollout whose ${short}s version passed, or failed on more than latency`);
}

/**
 * Refinements of the cheapest configuration so far: a faster readiness probe (never slower), a probe that
 * warms the engine (calmer first requests), reserved nodes instead of waiting for the autoscaler, and for
 * cheaper configurations that failed on latency alone, minReadySeconds with a warming probe.
 */
export async function refineStage(ctx: SearchContext): Promise<void> {
  const incumbent = bestSoFar(ctx.evaluator.evaluations);
  if (incumbent === undefined || incumbent.config === null) return;
  const c = incumbent.config;
  const variants: PlanConfig[] = [];
  const period = c.readiness?.periodSeconds ?? FAST_PROBE_PERIOD_SECONDS;
  if (c.readiness !== null && period > FAST_PROBE_PERIOD_SECONDS) {
    variants.push({ ...c, readiness: { kind: c.readiness.kind, periodSeconds: FAST_PROBE_PERIOD_SECONDS } });
  }
  const warming = { kind: 'synthetic-inference' as const, periodSeconds: Math.min(period, FAST_PROBE_PERIOD_SECONDS) };
  if (c.readiness?.kind !== 'synthetic-inference') variants.push({ ...c, readiness: warming });
  const added = Math.max(0, ...incumbent.seeds.map((s) => s.values?.nodesAdded ?? 0));
  if (added > 0 && c.headroomNodes === 0) variants.push({ ...c, headroomNodes: added });
  const repairable = ctx.evaluator.evaluations
    .filter((e) => e.config !== null && !e.feasible && compareCost(e, incumbent) < 0)
    .filter((e) => failedChecks(e).every((check) => LATENCY_CONSTRAINTS.includes(check.key)))
    .sort(compareCost)
    .slice(0, 2);
  for (const e of repairable) variants.push({ ...(e.config as PlanConfig), minReadySeconds: REPAIR_MIN_READY_SECONDS, readiness: warming });
  variants.push(...gatewayRepairs(ctx, incumbent, repairable));
  if (repairable.length === 0) {
    ctx.pruned.push({
      stage: 'refine',
      label: `minReadySeconds ${REPAIR_MIN_READY_SECONDS}s`,
      reason: 'not run: it only lengthens a rollout, and no cheaper configuration failed on latency alone (which it could calm)',
    });
  }
  await ctx.evaluator.evaluate(variants.map((config) => ({ config, stage: 'refine', stopOn: ctx.evaluator.constraintKeys })));
}

/**
 * Gateway mitigations (docs/gateway.md) for cheaper configurations: slow start where latency alone failed (a
 * cold pod flooded as it joins), a wait for a routable pod where refused requests alone failed.
 */
function gatewayRepairs(ctx: SearchContext, incumbent: Evaluation, latencyOnly: readonly Evaluation[]): PlanConfig[] {
  const routing = ctx.base.loaded.scenario.spec.routing;
  const out: PlanConfig[] = [];
  if (routing.slowStart === undefined && SLOW_START_POLICIES.includes(routing.policy)) {
    for (const e of latencyOnly) out.push({ ...(e.config as PlanConfig), slowStartSeconds: REPAIR_SLOW_START_SECONDS });
  }
  if (routing.waitForEndpoint === undefined) {
    const refusedOnly = ctx.evaluator.evaluations
      .filter((e) => e.config !== null && !e.feasible && compareCost(e, incumbent) < 0)
      .filter((e) => failedChecks(e).every((check) => check.key === 'rejected'))
      .sort(compareCost)
      .slice(0, 2);
    for (const e of refusedOnly) out.push({ ...(e.config as PlanConfig), waitForEndpointSeconds: REPAIR_WAIT_FOR_ENDPOINT_SECONDS });
  }
  return out;
}

/**
 * The configurations one step cheaper than the best on each cost knob (less surge, more unavailability, a
 * shorter soak): run so the plan can say what failed, and by how much, just below it. The drain knobs need no
 * such run: their bisection already ran the values below the chosen ones.
 */
export async function neighbourStage(ctx: SearchContext): Promise<void> {
  const best = bestSoFar(ctx.evaluator.evaluations);
  if (best === undefined || best.config === null || !best.feasible) return;
  const c = best.config;
  const replicas = ctx.base.replicas;
  const variants: PlanConfig[] = [];
  const s = c.strategy;
  if (s.kind === 'rollingUpdate' || s.kind === 'leaderWorkerSet' || s.kind === 'canary') {
    const lower = [...surgeLadder(replicas)].reverse().find((v) => surgePods(v, replicas) < surgePods(s.maxSurge, replicas));
    if (lower !== undefined) variants.push(withStrategy(c, { ...s, maxSurge: lower }));
  }
  if (s.kind === 'rollingUpdate' || s.kind === 'leaderWorkerSet') {
    // Compared by the pods they resolve to: the best may spell its budget unlike the ladder (25% for 1 of 4).
    const unavailable = (v: IntOrPercent): number =>
      s.kind === 'leaderWorkerSet' ? unavailablePods(v, replicas) : budgetPods({ ...s, maxUnavailable: v }, replicas).unavailable;
    const more = unavailableLadder(replicas).find((v) => unavailable(v) > unavailable(s.maxUnavailable));
    if (more !== undefined) variants.push(withStrategy(c, { ...s, maxUnavailable: more }));
  }
  if (s.kind === 'blueGreen') {
    const soak = [...SOAK_LADDER].reverse().find((x) => x < s.scaleDownDelaySeconds);
    if (soak !== undefined) variants.push(withStrategy(c, { ...s, scaleDownDelaySeconds: soak }));
  }
  await ctx.evaluator.evaluate(variants.map((config) => ({ config, stage: 'neighbours' })));
}

/** The cheapest feasible configuration, or else the one failing the fewest constraints (cheapest among them). */
export function bestSoFar(evaluations: readonly Evaluation[]): Evaluation | undefined {
  const feasible = rankFeasible(evaluations);
  if (feasible.length > 0) return feasible[0];
  return [...evaluations].sort((a, b) => failedChecks(a).length - failedChecks(b).length || compareCost(a, b))[0];
}

/** Records the configurations of `configs` that were not run, with the reason. */
function pruneUnrun(ctx: SearchContext, stage: string, configs: readonly PlanConfig[], reason: string): void {
  for (const config of configs) {
    if (ctx.evaluator.find(config) === undefined) ctx.pruned.push({ stage, label: describeConfig(config), reason });
  }
}
