import type { ServingModel } from '../serving/catalog/schema.js';
import type { GpuSpec } from '../serving/catalog/gpus.js';
import type { ReplicaConfig } from '../serving/replica.js';
import { DEFAULT_OVERHEAD_PARAMS, RooflineStepTime } from '../serving/step-time/roofline.js';
import { tpotOf, type BenchRun } from './bench-run.js';
import { nelderMead } from './nelder-mead.js';
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
 * Weight of the pull towards the defaults, per squared log ratio: too small to move an identified parameter,
 * enough to keep one the data cannot tell apart (e.g. TTFT-only data says little about HBM) at its default.
 */
const PRIOR_WEIGHT = 1e-4;
/** Fit-part requests are compared in about this many groups of consecutive requests, each of at least GROUP_MIN. */
const GROUPS = 60;
const GROUP_MIN = 3;

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
 * their logarithms, minimising the mean squared log error of each fit-part request's TTFT and TPOT when the
 * whole of each run's workload is replayed through the simulated replica (so the held-out requests load the
 * server as they did, but their latencies are never looked at).
 */
export function fitServing(runs: readonly BenchRun[], server: ServerUnderTest, fitShare: number, maxEvaluations = 200): ServingFit {
  const start = defaultParams(server.gpu);
  const toParams = (x: readonly number[]): ServingParams => ({
    hbmEfficiency: Math.min(1, Math.exp(x[0])),
    matmulEfficiency: Math.min(1, Math.exp(x[1])),
    stepOverheadSec: Math.min(MAX_OVERHEAD, Math.max(MIN_OVERHEAD, Math.exp(x[2]))),
  });
  const x0 = [Math.log(start.hbmEfficiency), Math.log(start.matmulEfficiency), Math.log(start.stepOverheadSec)];
  let fitRequests = 0;
  const objective = (x: readonly number[]): number => {
    const params = toParams(x);
    const { sum, terms } = squaredLogErrors(runs, replayRuns(runs, server, params), fitShare);
    fitRequests = terms;
    let prior = 0;
    for (let i = 0; i < x.length; i++) prior += (x[i] - x0[i]) ** 2;
    return sum / Math.max(1, terms) + PRIOR_WEIGHT * prior;
  };
  // Restarted from its best point with a fresh simplex: a collapsed simplex is the usual way it stalls.
  let best = nelderMead(objective, x0, 0.25, maxEvaluations / 2, 1e-9);
  let evaluations = best.evaluations;
  const again = nelderMead(objective, best.x, 0.1, maxEvaluations / 2, 1e-9);
  evaluations += again.evaluations;
  if (again.value < best.value) best = again;
  const params = toParams(best.x);
  const { sum, terms } = squaredLogErrors(runs, replayRuns(runs, server, params), fitShare);
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
      const g = { ttft: 0, simTtft: 0, tpot: 0, simTpot: 0, decoding: 0, unfinished: 0, n: 0 };
      for (let i = lo; i < Math.min(m, lo + size); i++) {
        const r = run.requests[i];
        if (!Number.isFinite(sim.e2e[i])) {
          g.unfinished++;
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
      sum += g.unfinished * UNFINISHED_PENALTY;
      terms += g.unfinished;
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
