import type { ServingModel } from '../serving/catalog/schema.js';
import type { GpuSpec } from '../serving/catalog/gpus.js';
import type { ReplicaConfig } from '../serving/replica.js';
import { DEFAULT_OVERHEAD_PARAMS, RooflineStepTime } from '../serving/step-time/roofline.js';
import { tpotOf, type BenchRun } from './bench-run.js';
import { nelderMead, type Minimum } from './nelder-mead.js';
import { replay, type ReplayResult } from './replay.js';

/** The roofline's knobs a calibration fits: the GPU's achieved fractions of peak and the engine's step cost. */
export interface ServingParams {
  readonly hbmEfficiency: number;
  readonly matmulEfficiency: number;
  readonly stepOverheadSec: number;
}

/** What one replica serves and how: the key of a calibration entry and the replay's engine settings. */
export interface ServerUnderTest {
  readonly model: ServingModel;
  readonly gpu: GpuSpec;
  readonly replica: ReplicaConfig;
}

/** The fit part of a run: its first `fitShare` of requests in send order. The rest is held out. */
export function fitCount(run: BenchRun, fitShare: number): number {
  return Math.floor(run.requests.length * fitShare);
}

export interface ServingFit {
  readonly params: ServingParams;
  /** Root mean square of the log errors of the fit part's group means of TTFT and TPOT (0.1 ≈ 10 %). */
  readonly rmsLogError: number;
  readonly fitRequests: number;
  readonly evaluations: number;
}

const MIN_OVERHEAD = 1e-5;
const MAX_OVERHEAD = 0.1;
/** A request the simulated server never finished costs as much as a tenfold error. */
const UNFINISHED_PENALTY = Math.log(10) ** 2;
/**
 * Weight of the pull towards the defaults, per squared log ratio: a tie-breaker only. It picks the point nearest
 * the defaults where the data cannot tell parameters apart, and must stay far below the squared log errors of a
 * good fit (1e-4 for 1 %): a stronger prior measurably biased the recovery of known parameters.
 */
const PRIOR_WEIGHT = 1e-6;
/** Fit-part requests are compared in about this many groups of consecutive requests, each of at least GROUP_MIN. */
const GROUPS = 40;
const GROUP_MIN = 3;
/** Step overheads the search starts from: 0.3 ms (a lean engine) to 3 ms (a heavy one). */
const OVERHEAD_STARTS = [0.3e-3, 0.7e-3, 1.5e-3, 3.2e-3];

export function defaultParams(gpu: GpuSpec): ServingParams {
  return { hbmEfficiency: gpu.efficiency.hbm, matmulEfficiency: gpu.efficiency.matmul, stepOverheadSec: DEFAULT_OVERHEAD_PARAMS.stepOverheadSec };
}

export function stepTimeFor(server: ServerUnderTest, params: ServingParams): RooflineStepTime {
  const { model, gpu } = server;
  return new RooflineStepTime(model.architecture, gpu, model.tensorParallel, { weightDtype: model.weightDtype, kvDtype: model.kvDtype }, params);
}

/** Replays every run with these parameters. */
export function replayRuns(runs: readonly BenchRun[], server: ServerUnderTest, params: ServingParams, seed = 1): ReplayResult[] {
  const stepTime = stepTimeFor(server, params);
  return runs.map((run) => replay(run.requests, run.plan, stepTime, server.replica, seed));
}

/**
 * Fits the roofline's HBM and matmul efficiencies and the per-step engine overhead to the runs: Nelder–Mead on
 * their logarithms, minimising the mean squared log error of the fit part's group means of TTFT and TPOT
 * (squaredLogErrors) when the whole of each run's workload is replayed through the simulated replica (so the
 * held-out requests load the server as they did, but their latencies are never looked at).
 */
export function fitServing(runs: readonly BenchRun[], server: ServerUnderTest, fitShare: number, maxEvaluations = 360): ServingFit {
  const start = defaultParams(server.gpu);
  const toParams = (x: readonly number[]): ServingParams => ({
    hbmEfficiency: Math.min(1, Math.exp(x[0])),
    matmulEfficiency: Math.min(1, Math.exp(x[1])),
    stepOverheadSec: Math.min(MAX_OVERHEAD, Math.max(MIN_OVERHEAD, Math.exp(x[2]))),
  });
  const x0 = [Math.log(start.hbmEfficiency), Math.log(start.matmulEfficiency), Math.log(start.stepOverheadSec)];
  const objective = (x: readonly number[]): number => {
    const params = toParams(x);
    const { sum, terms } = squaredLogErrors(runs, replayRuns(runs, server, params), fitShare);
    let prior = 0;
    for (let i = 0; i < x.length; i++) prior += (x[i] - x0[i]) ** 2;
    return sum / Math.max(1, terms) + PRIOR_WEIGHT * prior;
  };
  // HBM efficiency and step overhead trade off along a long, shallow valley whose floor is rough (a group's
  // latencies move in small jumps as requests change steps), where a single Nelder–Mead run stalls. So: short
  // runs from several step overheads, then the best of them restarted with a fresh simplex.
  let best: Minimum = { x: x0, value: Infinity, evaluations: 0 };
  let evaluations = 0;
  const share = Math.max(10, Math.floor(maxEvaluations / (OVERHEAD_STARTS.length + 2)));
  for (const overhead of OVERHEAD_STARTS) {
    const run = nelderMead(objective, [x0[0], x0[1], Math.log(overhead)], 0.25, share, 1e-9);
    evaluations += run.evaluations;
    if (run.value < best.value) best = run;
  }
  const polished = nelderMead(objective, best.x, 0.1, Math.max(10, maxEvaluations - evaluations), 1e-10);
  evaluations += polished.evaluations;
  if (polished.value < best.value) best = polished;
  const params = toParams(best.x);
  const { sum, terms } = squaredLogErrors(runs, replayRuns(runs, server, params), fitShare);
  const fitRequests = runs.reduce((n, run) => n + fitCount(run, fitShare), 0);
  return { params, rmsLogError: Math.sqrt(sum / Math.max(1, terms)), fitRequests, evaluations: evaluations + 1 };
}

/**
 * Per group of consecutive fit-part requests (in send order): squared log ratios of simulated to measured mean
 * TTFT and mean TPOT. Averages over a group rather than single requests: which step a single request lands in
 * jumps with the smallest change of parameters, so per-request errors make a rugged surface; a group's mean
 * moves smoothly.
 */
function squaredLogErrors(runs: readonly BenchRun[], results: readonly ReplayResult[], fitShare: number): { sum: number; terms: number } {
  let sum = 0;
  let terms = 0;
  runs.forEach((run, k) => {
    const sim = results[k];
    const m = fitCount(run, fitShare);
    const size = Math.max(GROUP_MIN, Math.ceil(m / GROUPS));
    for (let lo = 0; lo < m; lo += size) {
      const g = { ttft: 0, simTtft: 0, tpot: 0, simTpot: 0, decoding: 0, n: 0 };
      for (let i = lo; i < Math.min(m, lo + size); i++) {
        const r = run.requests[i];
        if (!Number.isFinite(sim.e2e[i])) {
          sum += UNFINISHED_PENALTY;
          terms++;
          continue;
        }
        g.n++;
        g.ttft += r.ttft;
        g.simTtft += sim.ttft[i];
        const tpot = tpotOf(r);
        if (Number.isFinite(tpot) && tpot > 0) {
          g.decoding++;
          g.tpot += tpot;
          g.simTpot += tpotOf({ ttft: sim.ttft[i], e2e: sim.e2e[i], outputTokens: r.outputTokens });
        }
      }
      if (g.n > 0) {
        sum += Math.log(g.simTtft / g.ttft) ** 2;
        terms++;
      }
      if (g.decoding > 0) {
        sum += Math.log(g.simTpot / g.tpot) ** 2;
        terms++;
      }
    }
  });
  return { sum, terms };
}
