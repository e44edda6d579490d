import type { PodEvent } from '../cluster/event-log.js';
import type { NodePoolSpec } from '../cluster/nodes.js';
import { intCount } from '../config/int-or-percent.js';
import type { BlockedBy, RolloutOutcome } from '../metrics/summary-types.js';
import { routesByWeight, strategyName } from '../rollout/create-controller.js';
import type { RolloutSpec, StrategySpec } from '../rollout/strategy-schema.js';
import type { LoadedScenario } from '../scenario/load.js';
import { buildRun } from './build-run.js';
import { resolveRun, type ResolvedRun } from './resolve.js';
import { blockerEvidence, CAPACITY_BLOCKERS, classifyStall, openPhase, type StallVerdict } from './verdict.js';

/**
 * Will the rollout finish? The run's own controllers, ReplicaSets, scheduler, quota, Kueue and autoscaler on
 * one event loop, with pods' start-up times, but no traffic: analyses are taken to pass (they need traffic; what
 * preflight answers is whether the cluster lets the rollout through). The rollout runs until it finishes or
 * until long after anything it scripted (pauses, promotes) could have happened; a rollout still unfinished
 * then is stalled, and what holds it is named. For a stall more GPUs could lift, the fewest extra GPUs that let
 * it finish are found by bisection, and each candidate fix is kept only if a re-run with it finishes.
 */

/** Time given beyond everything scripted: a node's provision timeout and back-off, slow start-ups, many times over. */
export const SETTLE_SECONDS = 4 * 3600;
/** How often the rollout-only run looks whether the rollout has finished (to stop early). */
const WATCH_SECONDS = 30;

export interface RolloutOnlyResult {
  readonly outcome: RolloutOutcome;
  readonly finishedAt: number | null;
  readonly blockedBy: BlockedBy | 'none';
  readonly reason: string | undefined;
  /** Where the run stopped: the rollout's end, or the horizon. */
  readonly endedAt: number;
}

/** A change that lets the stalled rollout finish, verified by a rollout-only re-run. */
export interface VerifiedFix {
  readonly kind: 'budgets' | 'extra-gpus' | 'recreate';
  readonly text: string;
  /** When the re-run with the fix finished the rollout. */
  readonly finishedAt: number;
}

export interface PreflightReport {
  readonly scenario: string;
  readonly strategy: string;
  /** completes: the rollout reaches an end (completed, or rolled back / aborted as scripted); stalled: it cannot. */
  readonly verdict: 'completes' | 'stalled' | 'no-rollout';
  readonly outcome: RolloutOutcome;
  readonly finishedAt: number | null;
  readonly blockedBy: BlockedBy | 'none';
  readonly reason: string | null;
  /** Fewest extra GPUs in the blocking pool, quota or ClusterQueue that let it finish; null when not stalled on capacity or none helps. */
  readonly minExtraGpus: number | null;
  /** Verified fixes, the cheapest kind first: budgets (free), extra GPUs (cost), Recreate (downtime). */
  readonly fixes: readonly VerifiedFix[];
  /** Rollout-only simulations it took. */
  readonly runs: number;
}

/** Preflight of a loaded scenario; `diagnose: false` gives the verdict alone (no search for fixes). */
export function preflight(loaded: LoadedScenario, options: { seed?: number; diagnose?: boolean } = {}): PreflightReport {
  const run = resolveRun(loaded, options.seed);
  const counter = { runs: 0 };
  const base = rolloutOnly(run, counter);
  const stalled = base.outcome === 'stalled';
  const diagnosis = stalled && options.diagnose !== false ? diagnose(run, base.blockedBy, counter) : { minExtraGpus: null, fixes: [] };
  return {
    scenario: run.name,
    strategy: run.strategy,
    verdict: run.rollout === null ? 'no-rollout' : stalled ? 'stalled' : 'completes',
    outcome: base.outcome,
    finishedAt: base.finishedAt,
    blockedBy: base.blockedBy,
    reason: base.reason ?? null,
    ...diagnosis,
    runs: counter.runs,
  };
}

/**
 * The verdict a full run that ended stalled reports: what held it at its end (`blockedBy`, from the run
 * itself), and for a capacity stall the fewest extra GPUs and the first verified fix. A rollout that a
 * rollout-only run finishes given more time was only slow: minExtraGpus 0, no fix.
 */
export function stallVerdict(run: ResolvedRun, blockedBy: BlockedBy | 'none'): StallVerdict {
  if (!CAPACITY_BLOCKERS.includes(blockedBy as BlockedBy)) return { blockedBy, fix: null, minExtraGpus: null };
  const counter = { runs: 0 };
  if (rolloutOnly(run, counter).outcome !== 'stalled') return { blockedBy, fix: null, minExtraGpus: 0 };
  const diagnosis = diagnose(run, blockedBy, counter);
  return { blockedBy, fix: diagnosis.fixes[0]?.text ?? null, minExtraGpus: diagnosis.minExtraGpus };
}

/** Runs the rollout without traffic until it finishes or the horizon passes. */
export function rolloutOnly(run: ResolvedRun, counter: { runs: number } = { runs: 0 }): RolloutOnlyResult {
  counter.runs++;
  const rollout = run.rollout;
  if (rollout === null) return { outcome: 'none', finishedAt: null, blockedBy: 'none', reason: undefined, endedAt: 0 };
  const horizon = preflightHorizon(run, rollout.spec);
  // Without traffic an HPA would only scale down: the rollout is checked at the Deployment's own replicas.
  const built = buildRun({ ...run, autoscaling: null, duration: horizon, rollout: { ...rollout, spec: analysesDecided(run, rollout.spec) } }, {});
  const { sim, cluster } = built;
  const driver = built.driver!;
  const watch = sim.handler(() => {
    if (driver.state?.finishedAt !== null && driver.state?.finishedAt !== undefined) sim.stop();
    else sim.after(WATCH_SECONDS, watch);
  });
  sim.at(rollout.schedule.at, watch);
  sim.run(horizon);
  const end = sim.now;
  const holding = classifyStall(cluster.blockage(), openPhase(driver.phases), driver.state?.outcome === 'stalled');
  driver.finish(end);
  const state = driver.state!;
  return {
    outcome: state.outcome,
    finishedAt: state.finishedAt,
    blockedBy: state.outcome === 'stalled' ? holding : 'none',
    reason: state.outcome === 'stalled' ? stalledReason(holding, built.events, end) : state.reason,
    endedAt: end,
  };
}

function stalledReason(holding: BlockedBy | 'none', events: readonly PodEvent[], end: number): string {
  const evidence = blockerEvidence(holding, events);
  return `unfinished at t=${Math.round(end)}s${evidence ? `; ${evidence}` : ''}`;
}

/** Everything the rollout scripts, then SETTLE_SECONDS. */
export function preflightHorizon(run: ResolvedRun, spec: RolloutSpec): number {
  const scripted = Math.max(run.duration, spec.at, ...spec.promoteAt, spec.abortAt ?? 0);
  return scripted + scriptedWaits(spec.strategy) + SETTLE_SECONDS;
}

function scriptedWaits(s: StrategySpec): number {
  if ('canary' in s) {
    const pauses = s.canary.steps.reduce((t, step) => t + ('pause' in step ? (step.pause.duration ?? 0) : 0), 0);
    return pauses + s.canary.scaleDownDelaySeconds;
  }
  if ('blueGreen' in s) return s.blueGreen.autoPromotionSeconds + s.blueGreen.scaleDownDelaySeconds;
  if ('shadowBlueGreen' in s) return s.shadowBlueGreen.shadowDuration + s.shadowBlueGreen.soakSeconds;
  return 0;
}

/**
 * Analyses need traffic. Preflight takes them to pass, unless the scenario declares the new version faulty
 * (slower steps or server errors): then every analysis fails at its first measurement, and what is checked is
 * that the abort finishes.
 */
function analysesDecided(run: ResolvedRun, spec: RolloutSpec): RolloutSpec {
  const faulty = run.behaviour.new.errorRate > 0 || run.behaviour.new.stepTimeFactor > 1;
  return faulty ? withFailingAnalyses(spec) : withoutAnalyses(spec);
}

/**
 * One measurement that fails (failureLimit 0): the analysis ends Failed at once. It reads no telemetry, so its
 * window is 0: the run's telemetry is kept only as far back as the scenario's own analyses reach.
 */
const FAILING_METRIC = { name: 'preflight-declared-faulty', query: '1', window: 0, successCondition: 'result < 0' };

function withFailingAnalyses(spec: RolloutSpec): RolloutSpec {
  const templates = Object.fromEntries(Object.keys(spec.analysisTemplates).map((name) => [name, { metrics: [FAILING_METRIC] }]));
  return { ...spec, analysisTemplates: templates };
}

function withoutAnalyses(spec: RolloutSpec): RolloutSpec {
  const s = spec.strategy;
  if ('canary' in s) {
    const steps = s.canary.steps.filter((step) => !('analysis' in step));
    return { ...spec, strategy: { canary: { ...s.canary, steps, analysis: undefined } } };
  }
  if ('blueGreen' in s) return { ...spec, strategy: { blueGreen: { ...s.blueGreen, prePromotionAnalysis: undefined, postPromotionAnalysis: undefined } } };
  if ('shadowBlueGreen' in s) {
    return { ...spec, strategy: { shadowBlueGreen: { ...s.shadowBlueGreen, analysis: undefined, soakAnalysis: undefined } } };
  }
  return spec;
}

// ------------------------------------------------------------------------------------------------ diagnosis

interface Diagnosis {
  readonly minExtraGpus: number | null;
  readonly fixes: readonly VerifiedFix[];
}

/** More of what blocks, in whole units (nodes of the pool, or pods' worth of quota). */
interface CapacityLever {
  readonly unitGpus: number;
  readonly maxUnits: number;
  apply(run: ResolvedRun, units: number): ResolvedRun;
  describe(units: number): string;
}

function diagnose(run: ResolvedRun, blockedBy: BlockedBy | 'none', counter: { runs: number }): Diagnosis {
  const finishes = (changed: ResolvedRun): number | null => {
    const r = rolloutOnly(changed, counter);
    return r.outcome === 'stalled' || r.outcome === 'none' ? null : r.finishedAt;
  };
  const fixes: VerifiedFix[] = [];
  if (!CAPACITY_BLOCKERS.includes(blockedBy as BlockedBy)) return { minExtraGpus: null, fixes };
  const spec = run.rollout!.spec;
  const replicaGpus = replicaGpusOf(run);
  const pool = blockingPool(run);
  const replicasPerNode = pool === null ? 1 : Math.max(1, Math.floor(pool.gpusPerNode / replicaGpus));
  const unit = run.templates.new.group === null ? 'pod' : 'group';

  for (const unavailable of [...new Set([1, replicasPerNode, pool === null ? 1 : groupsFreeingANewGroup(run, pool.gpusPerNode)])].sort((a, b) => a - b)) {
    const changed = withBudgets(spec, unavailable);
    if (changed === null) break;
    const at = finishes(withStrategy(run, changed));
    if (at !== null) {
      fixes.push({ kind: 'budgets', text: `maxSurge: 0, maxUnavailable: ${unavailable} (frees ${gpusText(unavailable * replicaGpus)} before a new ${unit} needs them)`, finishedAt: at });
      break;
    }
  }

  let minExtraGpus: number | null = null;
  const lever = capacityLever(run, blockedBy as BlockedBy, pool);
  if (lever !== null) {
    const units = smallestPassing(lever.maxUnits, (n) => finishes(lever.apply(run, n)) !== null);
    if (units !== null) {
      minExtraGpus = units * lever.unitGpus;
      const at = finishes(lever.apply(run, units)) as number;
      fixes.push({ kind: 'extra-gpus', text: lever.describe(units), finishedAt: at });
    }
  }

  // LeaderWorkerSet has no Recreate: its all-at-once is maxUnavailable = replicas, which the budgets above cover.
  if (!('recreate' in spec.strategy) && !('leaderWorkerSet' in spec.strategy)) {
    const at = finishes(withStrategy(run, { ...spec, strategy: { recreate: {} } }));
    if (at !== null) fixes.push({ kind: 'recreate', text: 'strategy: Recreate (every old pod stops first: no service while the new pods start)', finishedAt: at });
  }
  return { minExtraGpus, fixes };
}

const gpusText = (n: number): string => `${n} GPU${n === 1 ? '' : 's'}`;

/** Smallest n in 1..max with passes(n), assuming passes is monotone; null when even max fails. */
export function smallestPassing(max: number, passes: (n: number) => boolean): number | null {
  if (max < 1 || !passes(max)) return null;
  let lo = 1;
  let hi = max;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (passes(mid)) hi = mid;
    else lo = mid + 1;
  }
  return hi;
}

/** GPUs of one replica of the new version: its pod, or its LeaderWorkerSet group's pods. */
function replicaGpusOf(run: ResolvedRun): number {
  const t = run.templates.new;
  return t.tensorParallel * (t.group?.size ?? 1);
}

/**
 * How many old replicas must go at once to free the nodes one new replica needs, when the versions' shapes differ
 * (1 × 8 GPUs → 2 × 4 on distinct nodes: each old replica frees one node, a new one needs two → 2).
 */
function groupsFreeingANewGroup(run: ResolvedRun, gpusPerNode: number): number {
  const nodesOf = (t: ResolvedRun['templates']['old']): number => {
    const size = t.group?.size ?? 1;
    return t.group?.onePodPerNode ? size : Math.ceil((size * t.tensorParallel) / gpusPerNode);
  };
  return Math.max(1, Math.ceil(nodesOf(run.templates.new) / nodesOf(run.templates.old)));
}

/** The pool the new pods run in: the first with their GPU and room for one. */
function blockingPool(run: ResolvedRun): NodePoolSpec | null {
  const t = run.templates.new;
  return run.cluster.nodePools.find((p) => p.gpu === t.gpu && p.gpusPerNode >= t.tensorParallel) ?? null;
}

function capacityLever(run: ResolvedRun, blockedBy: BlockedBy, pool: NodePoolSpec | null): CapacityLever | null {
  const tp = replicaGpusOf(run);
  const podGpus = run.templates.new.tensorParallel;
  const podsPerReplica = tp / podGpus;
  const replicas = run.fleet.replicas;
  const cluster = run.cluster;
  if (blockedBy === 'quota') {
    const quota = cluster.resourceQuota;
    if (!quota) return null;
    return {
      unitGpus: tp,
      maxUnits: replicas,
      apply: (r, n) => ({ ...r, cluster: { ...cluster, resourceQuota: { ...quota, hardGpus: quota.hardGpus + n * tp } } }),
      describe: (n) => `raise the ResourceQuota's requests.nvidia.com/gpu from ${quota.hardGpus} to ${quota.hardGpus + n * tp} (+${n * tp})`,
    };
  }
  if (blockedBy === 'kueue') {
    const kueue = cluster.kueue;
    if (!kueue) return null;
    return {
      unitGpus: tp,
      maxUnits: replicas,
      apply: (r, n) => ({ ...r, cluster: { ...cluster, kueue: { ...kueue, nominalQuota: kueue.nominalQuota + n * tp } } }),
      describe: (n) => `raise the ClusterQueue's nvidia.com/gpu nominalQuota from ${kueue.nominalQuota} to ${kueue.nominalQuota + n * tp} (+${n * tp})`,
    };
  }
  if (pool === null) return null;
  const podsPerNode = Math.max(1, Math.floor(pool.gpusPerNode / podGpus));
  const grown = (n: number): NodePoolSpec => ({ ...pool, nodes: pool.nodes + n, maxNodes: pool.maxNodes + n });
  const verb = blockedBy === 'stockout' ? 'reserve' : 'add';
  return {
    unitGpus: pool.gpusPerNode,
    maxUnits: Math.ceil((replicas * podsPerReplica) / podsPerNode),
    apply: (r, n) => ({ ...r, cluster: { ...cluster, nodePools: cluster.nodePools.map((p) => (p === pool ? grown(n) : p)) } }),
    describe: (n) =>
      `${verb} ${gpusText(n * pool.gpusPerNode)} in pool ${pool.name} (${n} node${n === 1 ? '' : 's'}: nodes ${pool.nodes} → ${pool.nodes + n}, maxNodes ${pool.maxNodes} → ${pool.maxNodes + n})`,
  };
}

/** The strategy with no surge and `unavailable` pods down at a time; null for strategies without those budgets. */
function withBudgets(spec: RolloutSpec, unavailable: number): RolloutSpec | null {
  const s = spec.strategy;
  const budgets = { maxSurge: intCount(0), maxUnavailable: intCount(unavailable) };
  if ('rollingUpdate' in s) return { ...spec, strategy: { rollingUpdate: budgets } };
  if ('canary' in s) return { ...spec, strategy: { canary: { ...s.canary, ...budgets } } };
  if ('leaderWorkerSet' in s) return { ...spec, strategy: { leaderWorkerSet: { ...s.leaderWorkerSet, ...budgets } } };
  return null;
}

function withStrategy(run: ResolvedRun, spec: RolloutSpec): ResolvedRun {
  return {
    ...run,
    rollout: { ...run.rollout!, spec },
    routing: routesByWeight(spec) ? 'weights' : 'pods',
    strategy: strategyName(spec),
  };
}
