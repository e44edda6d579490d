import { parseDocument } from 'yaml';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { zDistribution, type DistributionSpec } from './distribution-spec.js';
import { INPUT_LIMITS, readInputFile } from './input-file.js';
import { formatIssues } from './issues.js';
import { zDuration } from './zod-units.js';

/**
 * A calibration file (`rollout-sim calibrate` writes it; a scenario names it with `spec.calibration`, the CLI
 * with `--calibration`): the step-time model's fitted GPU efficiencies and engine overhead per GPU × model × TP,
 * and start-up phase distributions, each with its fit error and the data it came from. It lives in config/
 * because serving, the cluster and the run each read their part of it.
 */

const fraction = z.number().gt(0).max(1);
const nonNegative = z.number().min(0);

/** One input file the fit read. */
const zSourceFile = z.strictObject({
  file: z.string().min(1),
  format: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** What the fit took from it (requests, log lines, pods). */
  records: z.int().min(0),
});
export type CalibrationSource = z.output<typeof zSourceFile>;

/** How a load generator sent requests when it recorded no send times (vllm bench serve's options). */
const zSendPlan = z.strictObject({
  requestRate: z.union([z.literal('inf'), z.number().positive()]),
  burstiness: z.number().positive(),
  maxConcurrency: z.int().min(1).nullable(),
});

const zMetricErrors = z.strictObject({
  ttftMean: z.number(),
  tpotMean: z.number(),
  e2eMean: z.number(),
});

/** The fitted step-time parameters of one GPU × model × TP × dtypes. */
const zServingEntry = z.strictObject({
  gpu: z.string().min(1),
  model: z.string().min(1),
  tensorParallel: z.int().min(1),
  weightDtype: z.enum(['bf16', 'fp8', 'int4']),
  kvDtype: z.enum(['bf16', 'fp8']),
  /** The engine settings the benchmark's server ran with, as the replay used them. */
  engine: z.strictObject({ maxNumSeqs: z.int().min(1), maxNumBatchedTokens: z.int().min(1), kvBlocks: z.int().min(1), blockSize: z.int().min(1) }),
  roofline: z.strictObject({ hbmEfficiency: fraction, matmulEfficiency: fraction, stepOverheadSec: nonNegative }),
  fit: z.strictObject({
    /** Share of each run's requests (first in send order) the fit looked at; the rest is for `backtest`. */
    fitShare: z.number().gt(0).max(1),
    fitRequests: z.int().min(0),
    heldOutRequests: z.int().min(0),
    /** RMS of the log errors the fit minimised (0.05 ≈ 5 %). */
    rmsLogError: nonNegative,
    /** Simulated / measured − 1 of the means on the fit part. */
    errors: zMetricErrors,
    evaluations: z.int().min(0),
  }),
    /** Each benchmark run: its file, its place among the file's runs (a GuideLLM sweep holds several), how it sent. */
  runs: z.array(z.strictObject({ source: zSourceFile, run: z.int().min(0), requests: z.int().min(1), send: zSendPlan, timed: z.boolean(), failed: z.int().min(0) })).min(1),
});
export type ServingCalibration = z.output<typeof zServingEntry>;

export const CALIBRATED_PHASES = ['imagePull', 'processStart', 'weightLoad', 'compile', 'graphCapture', 'kvProfile', 'warmup'] as const;
export type CalibratedPhase = (typeof CALIBRATED_PHASES)[number];

/** One start-up phase: the distribution the simulator draws from, the samples, and how well it fits them. */
const zPhaseEntry = z.strictObject({
  distribution: zDistribution(zDuration),
  samples: z.array(nonNegative).min(1),
  mean: nonNegative,
  /** Kolmogorov–Smirnov distance between the distribution and the samples (0 = exact). */
  ksDistance: z.number().min(0).max(1),
  sources: z.array(z.string().min(1)).min(1),
});
export type PhaseCalibration = z.output<typeof zPhaseEntry>;

/** Observed server-side means (Prometheus histograms), for the backtest to compare against; not fitted. */
const zObserved = z.strictObject({
  source: z.string().min(1),
  requests: z.number().min(0),
  means: z.record(z.string(), z.number()),
});

export const zCalibrationFile = z.strictObject({
  kind: z.literal('Calibration', { error: 'expected kind: Calibration (a file written by rollout-sim calibrate)' }),
  version: z.literal(1),
  serving: z.array(zServingEntry).default([]),
  startup: z
    .strictObject({
      phases: z.partialRecord(z.enum(CALIBRATED_PHASES), zPhaseEntry).default({}),
      /** Kubernetes events of past rollouts: first pod scheduled → last old pod killed. */
      rollouts: z.array(z.strictObject({ source: z.string().min(1), durationSeconds: nonNegative, pods: z.int().min(0) })).default([]),
      sources: z.array(zSourceFile).default([]),
    })
    .prefault({}),
  observed: z.array(zObserved).default([]),
});
export type CalibrationFile = z.output<typeof zCalibrationFile>;
export type CalibrationFileInput = z.input<typeof zCalibrationFile>;

/** Reads and checks a calibration file; errors name the file and the field. */
export function loadCalibrationFile(file: string, path = file): CalibrationFile {
  return zCalibrationFile.parse(loadCalibrationInput(file, path));
}

/** The file as written (distributions in the scenario's form), checked: what `calibrate --merge` adds to. */
export function loadCalibrationInput(file: string, path = file): CalibrationFileInput {
  const text = readInputFile(file, { what: 'calibration file', maxBytes: INPUT_LIMITS.data, path });
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new InputError(`is not valid YAML: ${e.message.split('\n')[0]}`, `${file} line ${e.linePos?.[0].line ?? 1}`);
  }
  const raw: unknown = doc.toJS();
  const parsed = zCalibrationFile.safeParse(raw);
  if (!parsed.success) throw new InputError(formatIssues(parsed.error.issues, raw).join('; '), `${path} (${file})`);
  return raw as CalibrationFileInput;
}

/** What a scenario's replica serves, to find its calibration entry. */
export interface ServingKey {
  readonly gpu: string;
  readonly model: string;
  readonly tensorParallel: number;
  readonly weightDtype: string;
  readonly kvDtype: string;
}

export function describeKey(k: ServingKey): string {
  return `${k.model} TP${k.tensorParallel} on ${k.gpu} (${k.weightDtype} weights, ${k.kvDtype} KV)`;
}

/**
 * The entry for this replica. A calibration that has serving entries but none for it is an error, not a silent
 * fall-back to the defaults; one with no serving entries (start-up only) gives undefined.
 */
export function servingCalibrationFor(calibration: CalibrationFile, key: ServingKey, path: string): ServingCalibration | undefined {
  if (calibration.serving.length === 0) return undefined;
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const entry = calibration.serving.find(
    (e) => same(e.gpu, key.gpu) && same(e.model, key.model) && e.tensorParallel === key.tensorParallel && e.weightDtype === key.weightDtype && e.kvDtype === key.kvDtype,
  );
  if (entry === undefined) {
    const have = calibration.serving.map((e) => describeKey(e)).join('; ');
    throw new InputError(`has no step-time calibration for ${describeKey(key)}; it holds ${have}. Calibrate on this server's data, or drop the calibration`, path);
  }
  return entry;
}

/** The calibrated start-up phases as distribution specs, for the phases the scenario leaves `auto`. */
export function calibratedPhases(calibration: CalibrationFile): Partial<Record<CalibratedPhase, DistributionSpec>> {
  const out: Partial<Record<CalibratedPhase, DistributionSpec>> = {};
  for (const phase of CALIBRATED_PHASES) {
    const entry = calibration.startup.phases[phase];
    if (entry !== undefined) out[phase] = entry.distribution;
  }
  return out;
}
