import { StartupStats } from '../../sim/cluster/startup-stats.js';
import type { RunPool } from '../../sim/batch/run-many.js';
import type { RunOutcome, RunSpec } from '../../sim/batch/run-spec.js';
import type { LatencyStats, Summary } from '../../sim/metrics/summary-types.js';
import { resolveFenceposts } from '../../sim/rollout/fenceposts.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

/**
 * A model of the simulator for planner tests: the scenario (with the run's overrides) is loaded for real, then
 * the figures follow simple monotone rules, so a test knows each answer exactly:
 *  - rejected: 20 when preStop < 2 s (the endpoint removal takes 2 s), else 0; blue-green deletes idle pods: 0;
 *    recreate: 100 (nobody serves for a wave);
 *  - dropped: streams need 60 s (seed 1) or 50 s (other seeds) of preStop + drain, within the grace period;
 *  - duration: waves of (60 s start-up + probe period + minReadySeconds); blue-green: one wave + soak;
 *    a rollout longer than 500 s stalls;
 *  - latency: TTFT 400 ms and TPOT 50 ms scaled by replicas / serving replicas; spike 2 + 3 per unavailable pod
 *    (−0.5 with a warming probe), blue-green 1.2;
 *  - peak GPUs: (replicas + surge) × TP, blue-green both fleets;
 *  - on a busy seed (options.busySeeds) TPOT during the rollout is 10% higher.
 */
export function modelPool(options: { readonly busySeeds?: readonly number[] } = {}): RunPool & { batches: number[] } {
  let runs = 0;
  const batches: number[] = [];
  return {
    threads: 1,
    batches,
    get runs() {
      return runs;
    },
    async run(specs: readonly RunSpec[]): Promise<RunOutcome[]> {
      runs += specs.length;
      batches.push(specs.length);
      return specs.map((spec) => ({ spec, summary: modelSummary(spec, options.busySeeds?.includes(spec.seed) ?? false) }));
    },
    async runSelectively(specs, skip, settled) {
      const outcomes: (RunOutcome | null)[] = [];
      batches.push(0);
      specs.forEach((spec, i) => {
        if (skip(i)) return outcomes.push(null);
        runs++;
        batches[batches.length - 1]++;
        const outcome = { spec, summary: modelSummary(spec, options.busySeeds?.includes(spec.seed) ?? false) };
        outcomes.push(outcome);
        settled(outcome, i);
      });
      return outcomes;
    },
    async close() {},
  };
}

const STALL_AFTER = 500;

function modelSummary(spec: RunSpec, busy: boolean): Summary {
  const s = loadScenarioFile(spec.file as string, spec.overrides).scenario.spec;
  const n = s.deployment.replicas;
  const tp = s.model.tensorParallel;
  const strategy = s.rollout!.strategy;
  const d = s.deployment;
  const period = d.readinessProbe?.periodSeconds ?? 0;
  const warm = d.readinessProbe?.kind === 'synthetic-inference';
  const wave = 60 + period + d.minReadySeconds;
  const pool = s.cluster.nodePools[0];
  let duration: number;
  let surge = 0;
  let unavailable = 0;
  let peak: number;
  let spike: number;
  let deletesServing = true;
  if ('rollingUpdate' in strategy || 'canary' in strategy) {
    const ru = 'rollingUpdate' in strategy ? strategy.rollingUpdate : strategy.canary;
    ({ surge, unavailable } = resolveFenceposts(ru.maxSurge, ru.maxUnavailable, n));
    const pauses = 'canary' in strategy ? strategy.canary.steps.reduce((t, st) => t + ('pause' in st ? (st.pause.duration ?? 0) : 0), 0) : 0;
    duration = Math.ceil(n / (surge + unavailable)) * wave + pauses;
    peak = (n + surge) * tp;
    spike = 2 + 3 * unavailable - (warm ? 0.5 : 0);
  } else if ('blueGreen' in strategy) {
    duration = wave + strategy.blueGreen.scaleDownDelaySeconds;
    peak = 2 * n * tp;
    spike = 1.2;
    deletesServing = false;
  } else if ('recreate' in strategy) {
    // Nobody serves for a wave: 100 refused, latency as if half the fleet were down.
    duration = wave;
    peak = n * tp;
    unavailable = Math.floor(n / 2);
    spike = 2 + 3 * unavailable;
  } else {
    throw new Error('the model covers rolling, canary, blue-green and recreate');
  }
  const window = Math.min(d.preStop.sleep + (s.server.model === 'llm' ? s.server.shutdownTimeout : 0), d.terminationGracePeriodSeconds);
  const need = spec.seed === 1 ? 60 : 50;
  const dropped = deletesServing && window < need ? Math.ceil((need - window) / 10) : 0;
  const rejected = 'recreate' in strategy ? 100 : deletesServing && d.preStop.sleep < 2 ? 20 : 0;
  const completed = duration <= STALL_AFTER;
  const serving = n - unavailable;
  const latency = (ttft: number, tpot: number): LatencyStats => ({
    ttftMeanMs: ttft / 2,
    ttftP50Ms: ttft / 2,
    ttftP95Ms: ttft,
    ttftP99Ms: ttft * 1.5,
    tpotMeanMs: tpot,
    tpotP50Ms: tpot,
    tpotP95Ms: tpot,
    e2eMeanMs: 5000,
    e2eP95Ms: 10000,
    samples: 1000,
  });
  const baseGpus = s.cluster.nodePools.reduce((sum, p) => sum + p.nodes * p.gpusPerNode, 0);
  const steady = n * tp;
  const hours = s.duration / 3600;
  return {
    scenario: 'model',
    strategy: Object.keys(strategy)[0],
    seed: spec.seed,
    simulatedSeconds: s.duration,
    requests: {
      arrived: 10000,
      completed: 10000 - dropped - rejected,
      dropped,
      expectedDropped: dropped,
      rejected,
      timedOut: 0,
      inFlightAtEnd: 0,
      droppedByCause: dropped ? { 'drain-timeout': dropped } : {},
      rejectedByCause: rejected ? { 'not-admitting': rejected } : {},
      timedOutByCause: {},
      droppedStreamedTokens: 0,
      retries: 0,
    },
    latency: {
      overall: latency(400, 50),
      baseline: latency(400, 50),
      rollout: latency((400 * n) / serving, ((busy ? 55 : 50) * n) / serving),
      peakWindow: { ttftP95Ms: 400 * spike, at: 100 },
      spikeRatio: spike + spec.seed * 0.01,
    },
    rollout: {
      startedAt: 60,
      finishedAt: completed ? 60 + duration : null,
      durationSeconds: completed ? duration : null,
      outcome: completed ? 'completed' : 'stalled',
      minReadyReplicas: serving,
    },
    capacity: {
      clusterGpus: baseGpus,
      steadyGpus: steady,
      peakGpus: peak,
      surgeGpus: peak - steady,
      pendingPodSeconds: 0,
      gpuHours: steady * hours,
      nodeGpuHours: baseGpus * hours + ((peak - steady) * duration) / 3600,
      nodesAdded: Math.max(0, Math.ceil((peak - baseGpus) / pool.gpusPerNode)),
    },
    startup: new StartupStats().summary(),
    prefixCache: { hitRate: null, baselineHitRate: null, rolloutHitRate: null, rolloutMinWindowHitRate: null, dip: null },
    goodput: { sloAttainment: 1 },
    risk: { pAnyDrop: dropped > 0 ? 1 : 0, dropEstimator: 'sample' },
    engine: { events: 1, wallSeconds: 0 },
  };
}
