import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { CALIBRATED_PHASES, type CalibrationFile, type ServingCalibration } from '../config/calibration-file.js';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';
import { InputError } from '../errors.js';
import { runScenario } from '../run/run-scenario.js';
import { loadScenarioFile } from '../scenario/load.js';
import { resolveGpu, resolveModel } from '../serving/catalog/resolve.js';
import type { BenchRun } from './bench-run.js';
import { defaultParams, fitCount, replayRuns, type ServerUnderTest } from './fit-serving.js';
import { readCalibrationInputs, type CalibrationInputs } from './inputs.js';
import { LATENCY_METRICS, summariseRuns, type RequestRange } from './latency-summary.js';
import { mean, relativeError } from './stats.js';

/** One line of the error table. */
export interface BacktestRow {
  /** e.g. ttft.mean, tpot.p95, startup.weightLoad, rollout.duration. */
  readonly id: string;
  /** Which server or source the row is about. */
  readonly subject: string;
  readonly measured: number;
  readonly predicted: number;
  /** predicted / measured − 1. */
  readonly error: number;
  /** The same prediction with the uncalibrated defaults (serving rows only). */
  readonly defaultsError: number | null;
  /** held-out: data the fit never saw; in-sample: the calibration's own samples (no held-out data given). */
  readonly basis: 'held-out' | 'in-sample';
  readonly samples: number;
  readonly tolerance: number | null;
  readonly pass: boolean | null;
}

export interface BacktestReport {
  readonly calibration: string;
  readonly rows: readonly BacktestRow[];
  /** Ids of the rows whose |error| exceeds their tolerance. */
  readonly failures: readonly string[];
}

export interface BacktestOptions {
  readonly calibrationFile: string;
  readonly calibration: CalibrationFile;
  /** Held-out data (any calibrate input); default: the held-out part of the calibration's own runs. */
  readonly data?: readonly string[];
  /** Tolerances by row id prefix ('' = every row but p95s), e.g. { '': 0.1, ttft: 0.2, p95: 0.3 } (toleranceFor). */
  readonly tolerance?: Readonly<Record<string, number>>;
  /** A scenario of the rollout to compare with the measured rollout durations (run with the calibration). */
  readonly scenario?: string;
}

/**
 * Replays the calibration data's own workload (arrival times or send plan, lengths) through the simulator with
 * the fitted parameters, on the part the fit did not see, and tabulates the errors of TTFT / TPOT / E2E means
 * and p95s, of the start-up phases' means and of the rollout duration.
 */
export function backtest(options: BacktestOptions): BacktestReport {
  const { calibration } = options;
  const baseDir = dirname(resolve(options.calibrationFile));
  const data = options.data === undefined ? undefined : readCalibrationInputs(options.data);
  const rows: Omit<BacktestRow, 'tolerance' | 'pass'>[] = [];
  for (const entry of calibration.serving) rows.push(...servingRows(entry, baseDir, data));
  rows.push(...startupRows(calibration, data));
  if (options.scenario !== undefined) rows.push(...rolloutRows(options.scenario, resolve(options.calibrationFile), calibration, data));
  if (rows.length === 0) throw new InputError('nothing to backtest: the calibration holds no serving fit, no start-up phase and no rollout', options.calibrationFile);
  const judged = rows.map((row) => {
    const tolerance = toleranceFor(row.id, options.tolerance ?? {});
    return { ...row, tolerance, pass: tolerance === null ? null : Math.abs(row.error) <= tolerance };
  });
  return { calibration: options.calibrationFile, rows: judged, failures: judged.filter((r) => r.pass === false).map((r) => `${r.subject} ${r.id}`) };
}

function servingRows(entry: ServingCalibration, baseDir: string, data: CalibrationInputs | undefined): Omit<BacktestRow, 'tolerance' | 'pass'>[] {
  const server: ServerUnderTest = {
    model: { architecture: resolveModel(entry.model), tensorParallel: entry.tensorParallel, weightDtype: entry.weightDtype, kvDtype: entry.kvDtype },
    gpu: resolveGpu(entry.gpu),
    replica: { ...entry.engine, prefixCaching: true, coldStart: { firstStepSeconds: 0, steps: 0, initialFactor: 1 } },
  };
  let runs: BenchRun[];
  let ranges: RequestRange[];
  let basis: BacktestRow['basis'] = 'held-out';
  if (data !== undefined && data.runs.length > 0) {
    runs = data.runs;
    ranges = runs.map((r) => ({ from: 0, to: r.requests.length }));
  } else {
    runs = entry.runs.map((r) => originalRun(baseDir, r.source, r.run));
    ranges = runs.map((r) => ({ from: fitCount(r, entry.fit.fitShare), to: r.requests.length }));
    if (ranges.every((r) => r.from >= r.to)) {
      // The fit saw every request (fitShare 1): all that can be shown is how well it fits.
      basis = 'in-sample';
      ranges = runs.map((r) => ({ from: 0, to: r.requests.length }));
    }
  }
  const calibrated = summariseRuns(runs, replayRuns(runs, server, entry.roofline), ranges);
  const defaults = summariseRuns(runs, replayRuns(runs, server, defaultParams(server.gpu)), ranges);
  const subject = `${entry.model} TP${entry.tensorParallel} ${entry.gpu}`;
  const rows: Omit<BacktestRow, 'tolerance' | 'pass'>[] = [];
  for (const metric of LATENCY_METRICS) {
    for (const stat of ['mean', 'p95'] as const) {
      const measured = calibrated.measured[metric][stat];
      rows.push({
        id: `${metric}.${stat}`,
        subject,
        measured,
        predicted: calibrated.simulated[metric][stat],
        error: relativeError(calibrated.simulated[metric][stat], measured),
        defaultsError: relativeError(defaults.simulated[metric][stat], measured),
        basis,
        samples: calibrated.requests,
      });
    }
  }
  return rows;
}

/** A run the calibration was fitted on, read again; its file must not have changed since. */
function originalRun(baseDir: string, source: ServingCalibration['runs'][number]['source'], index: number): BenchRun {
  const file = resolve(baseDir, source.file);
  const text = readInputFile(file, { what: 'calibration input', maxBytes: INPUT_LIMITS.results, path: source.file });
  if (createHash('sha256').update(text).digest('hex') !== source.sha256) {
    throw new InputError(`${file} changed since the calibration was fitted (its sha256 differs); calibrate again, or give held-out data with --data`, source.file);
  }
  const runs = readCalibrationInputs([file]).runs;
  if (runs[index] === undefined) throw new InputError(`${file} holds ${runs.length} runs; the calibration names run ${index}`, source.file);
  return runs[index];
}

function startupRows(calibration: CalibrationFile, data: CalibrationInputs | undefined): Omit<BacktestRow, 'tolerance' | 'pass'>[] {
  const rows: Omit<BacktestRow, 'tolerance' | 'pass'>[] = [];
  for (const phase of CALIBRATED_PHASES) {
    const entry = calibration.startup.phases[phase];
    if (entry === undefined) continue;
    const heldOut = data === undefined ? [] : heldOutPhaseSamples(data, phase);
    const samples = heldOut.length > 0 ? heldOut : entry.samples;
    const measured = mean(samples);
    rows.push({ id: `startup.${phase}`, subject: 'start-up', measured, predicted: entry.mean, error: relativeError(entry.mean, measured), defaultsError: null, basis: heldOut.length > 0 ? 'held-out' : 'in-sample', samples: samples.length });
  }
  return rows;
}

function heldOutPhaseSamples(data: CalibrationInputs, phase: (typeof CALIBRATED_PHASES)[number]): number[] {
  if (phase === 'imagePull') return data.events.flatMap((e) => e.pods.flatMap((p) => (p.pullSeconds !== undefined ? [p.pullSeconds] : [])));
  if (phase === 'warmup') return [];
  return data.logs.flatMap((l) => l.phases[phase]);
}

function rolloutRows(scenario: string, calibrationFile: string, calibration: CalibrationFile, data: CalibrationInputs | undefined): Omit<BacktestRow, 'tolerance' | 'pass'>[] {
  const heldOut = data?.events.map((e) => e.durationSeconds) ?? [];
  const durations = heldOut.length > 0 ? heldOut : calibration.startup.rollouts.map((r) => r.durationSeconds);
  if (durations.length === 0) throw new InputError('no rollout duration to compare with: give kubectl get events -o json of a rollout (to calibrate or with --data)', '--scenario');
  const result = runScenario(loadScenarioFile(scenario, [`spec.calibration=${JSON.stringify(calibrationFile)}`]));
  const predicted = result.summary.rollout.durationSeconds;
  if (predicted === null) throw new InputError('the scenario\'s rollout did not finish within spec.duration; lengthen it to compare rollout durations', scenario);
  const measured = mean(durations);
  return [{ id: 'rollout.duration', subject: scenario, measured, predicted, error: relativeError(predicted, measured), defaultsError: null, basis: heldOut.length > 0 ? 'held-out' : 'in-sample', samples: durations.length }];
}

/**
 * The tolerance of a row: the longest key that is the row's id or a prefix of it ('' = every row). p95 rows are
 * checked only when named (`p95`, `ttft.p95`): a tail is noisier than a mean, and "within 10 %" means the mean.
 */
function toleranceFor(id: string, tolerance: Readonly<Record<string, number>>): number | null {
  const tail = id.endsWith('.p95');
  let best: string | null = null;
  for (const key of Object.keys(tolerance)) {
    const matches = tail ? key === id || key === 'p95' : key === '' || id === key || id.startsWith(`${key}.`);
    if (matches && (best === null || key.length > best.length)) best = key;
  }
  return best === null ? null : tolerance[best];
}
