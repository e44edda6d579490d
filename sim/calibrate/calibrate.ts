import { relative, resolve } from 'node:path';
import { CALIBRATED_PHASES, type CalibratedPhase, type CalibrationFileInput, type CalibrationSource, type ServingCalibration } from '../config/calibration-file.js';
import { InputError } from '../errors.js';
import type { KvDtype, WeightDtype } from '../serving/catalog/dtypes.js';
import type { GpuSpec } from '../serving/catalog/gpus.js';
import { MODEL_CATALOG } from '../serving/catalog/models.js';
import { resolveGpu, resolveModel } from '../serving/catalog/resolve.js';
import { kvCacheCapacity } from '../serving/memory.js';
import type { BenchRun } from './bench-run.js';
import { fitCount, fitServing, replayRuns, type ServerUnderTest } from './fit-serving.js';
import { readCalibrationInputs, type CalibrationInputs } from './inputs.js';
import { summariseRuns } from './latency-summary.js';
import { fitPhase } from './phase-fit.js';
import { observedMeans } from './prometheus.js';
import { relativeError } from './stats.js';

/** What `rollout-sim calibrate` is told beyond its input files. */
export interface CalibrateOptions {
  readonly files: readonly string[];
  /** Catalog GPU the benchmarks ran on; required with benchmark runs (their files do not say). */
  readonly gpu?: string;
  /** Catalog model; default: from the benchmark's model_id. */
  readonly model?: string;
  readonly tensorParallel?: number;
  readonly weightDtype?: WeightDtype;
  readonly kvDtype?: KvDtype;
  /** The benchmarked server's engine settings (vLLM's flags). */
  readonly maxNumSeqs?: number;
  readonly maxNumBatchedTokens?: number;
  /** KV capacity in blocks; default: from the start-up logs, else the memory estimate. */
  readonly kvBlocks?: number;
  readonly blockSize?: number;
  readonly gpuMemoryUtilization?: number;
  /** Share of each run (first in send order) the fit sees; the rest is held out for the backtest. */
  readonly fitShare?: number;
  /** Paths in the file are written relative to this folder (the calibration file's). */
  readonly outDir?: string;
  readonly maxEvaluations?: number;
}

export const DEFAULT_FIT_SHARE = 0.5;
const DEFAULT_ENGINE = { blockSize: 16, gpuMemoryUtilization: 0.9 };

/**
 * vLLM's batch defaults for its OpenAI server since v0.10 (EngineArgs.get_batch_defaults): 1024 sequences and
 * 8192 batched tokens on GPUs of 70 GiB or more other than A100, else 256 and 2048.
 */
export function vllmBatchDefaults(gpu: GpuSpec): { maxNumSeqs: number; maxNumBatchedTokens: number } {
  const large = gpu.memoryBytes >= 70 * 1024 ** 3 && !gpu.name.toLowerCase().includes('a100');
  return large ? { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 } : { maxNumSeqs: 256, maxNumBatchedTokens: 2048 };
}

/** Reads the inputs, fits, and returns the calibration document (as written to YAML). */
export function calibrate(options: CalibrateOptions): CalibrationFileInput {
  if (options.files.length === 0) throw new InputError('name at least one input file', 'files');
  const fitShare = options.fitShare ?? DEFAULT_FIT_SHARE;
  if (!(fitShare > 0 && fitShare <= 1)) throw new InputError({ expected: 'a share in (0, 1]', got: String(fitShare) }, '--fit-share');
  const inputs = readCalibrationInputs(options.files);
  const outDir = options.outDir ?? process.cwd();
  const rel = (file: string) => relative(outDir, resolve(file)) || file;
  const sourceOf = (file: string): CalibrationSource => ({ ...inputs.sources.get(file)!, file: rel(file) });

  const serving = inputs.runs.length === 0 ? [] : [fitServingEntry(inputs, options, fitShare, sourceOf)];
  const phases: NonNullable<NonNullable<CalibrationFileInput['startup']>['phases']> = {};
  for (const phase of CALIBRATED_PHASES) {
    const samples = phaseSamples(inputs, phase);
    if (samples.samples.length === 0) continue;
    const fit = fitPhase(samples.samples);
    phases[phase] = { distribution: fit.distribution, samples: samples.samples, mean: fit.mean, ksDistance: fit.ksDistance, sources: [...new Set(samples.files)].map(rel) };
  }
  const startupSources = [...inputs.logs.map((l) => l.file), ...inputs.events.map((e) => e.file)];
  const observed = inputs.metrics.length === 0 ? [] : [{ source: inputs.metrics.map((m) => rel(m.file)).join(', '), ...observedMeans(inputs.metrics) }];
  return {
    kind: 'Calibration',
    version: 1,
    serving,
    startup: {
      phases,
      rollouts: inputs.events.map((e) => ({ source: rel(e.file), durationSeconds: e.durationSeconds, pods: e.pods.length })),
      sources: [...new Set(startupSources)].map(sourceOf),
    },
    observed,
  };
}

function fitServingEntry(inputs: CalibrationInputs, options: CalibrateOptions, fitShare: number, sourceOf: (file: string) => CalibrationSource): ServingCalibration {
  const runs = inputs.runs;
  const server = serverUnderTest(runs, inputs, options);
  const fit = fitServing(runs, server, fitShare, options.maxEvaluations);
  const fitPart = summariseRuns(runs, replayRuns(runs, server, fit.params), runs.map((r) => ({ from: 0, to: fitCount(r, fitShare) })));
  const err = (m: 'ttft' | 'tpot' | 'e2e') => round(relativeError(fitPart.simulated[m].mean, fitPart.measured[m].mean));
  const runIndex = new Map<string, number>();
  return {
    gpu: server.gpu.name,
    model: server.model.architecture.name,
    tensorParallel: server.model.tensorParallel,
    weightDtype: server.model.weightDtype,
    kvDtype: server.model.kvDtype,
    engine: { maxNumSeqs: server.replica.maxNumSeqs, maxNumBatchedTokens: server.replica.maxNumBatchedTokens, kvBlocks: server.replica.kvBlocks, blockSize: server.replica.blockSize },
    roofline: { hbmEfficiency: round(fit.params.hbmEfficiency), matmulEfficiency: round(fit.params.matmulEfficiency), stepOverheadSec: round(fit.params.stepOverheadSec) },
    fit: {
      fitShare,
      fitRequests: fitPart.requests,
      heldOutRequests: runs.reduce((n, r) => n + r.requests.length, 0) - fitPart.requests,
      rmsLogError: round(fit.rmsLogError),
      errors: { ttftMean: err('ttft'), tpotMean: err('tpot'), e2eMean: err('e2e') },
      evaluations: fit.evaluations,
    },
    runs: runs.map((run) => {
      const index = runIndex.get(run.file) ?? 0;
      runIndex.set(run.file, index + 1);
      return {
        source: sourceOf(run.file),
        run: index,
        requests: run.requests.length,
        send: { requestRate: run.plan.requestRate === Infinity ? 'inf' : run.plan.requestRate, burstiness: run.plan.burstiness, maxConcurrency: run.plan.maxConcurrency === Infinity ? null : run.plan.maxConcurrency },
        timed: run.requests.every((r) => Number.isFinite(r.sentAt)),
        failed: run.failed,
      };
    }),
  };
}

/** The benchmarked replica: the model from the flags or the runs' model_id, the GPU from the flags. */
export function serverUnderTest(runs: readonly BenchRun[], inputs: Pick<CalibrationInputs, 'logs'>, options: CalibrateOptions): ServerUnderTest {
  if (options.gpu === undefined) throw new InputError('missing; the benchmark files do not say which GPU served them: give a catalog GPU, e.g. --gpu h100-80gb', '--gpu');
  const gpu = resolveGpu(options.gpu, '--gpu');
  const architecture = options.model !== undefined ? resolveModel(options.model, '--model') : modelFromRuns(runs);
  const tensorParallel = options.tensorParallel ?? 1;
  const model = { architecture, tensorParallel, weightDtype: options.weightDtype ?? 'bf16', kvDtype: options.kvDtype ?? 'bf16' } as const;
  const batch = vllmBatchDefaults(gpu);
  const engine = {
    maxNumSeqs: options.maxNumSeqs ?? batch.maxNumSeqs,
    maxNumBatchedTokens: options.maxNumBatchedTokens ?? batch.maxNumBatchedTokens,
    blockSize: options.blockSize ?? DEFAULT_ENGINE.blockSize,
    gpuMemoryUtilization: options.gpuMemoryUtilization ?? DEFAULT_ENGINE.gpuMemoryUtilization,
  };
  const kvBlocks =
    options.kvBlocks ??
    loggedKvBlocks(inputs.logs, engine.blockSize) ??
    kvCacheCapacity({ model: architecture, gpu, tensorParallel, weightDtype: model.weightDtype, kvDtype: model.kvDtype, gpuMemoryUtilization: engine.gpuMemoryUtilization, blockSize: engine.blockSize, maxNumBatchedTokens: engine.maxNumBatchedTokens, maxNumSeqs: engine.maxNumSeqs }).kvCacheBlocks;
  return {
    model,
    gpu,
    replica: {
      maxNumSeqs: engine.maxNumSeqs,
      maxNumBatchedTokens: engine.maxNumBatchedTokens,
      kvBlocks,
      blockSize: engine.blockSize,
      prefixCaching: true,
      coldStart: { firstStepSeconds: 0, steps: 0, initialFactor: 1 },
    },
  };
}

/** vLLM's "# GPU blocks" (V0) or "GPU KV cache size: N tokens" (V1) of the logs; the smallest when they differ. */
function loggedKvBlocks(logs: readonly { kvBlocks: number[]; kvTokens: number[] }[], blockSize: number): number | undefined {
  const blocks = logs.flatMap((l) => [...l.kvBlocks, ...l.kvTokens.map((t) => Math.floor(t / blockSize))]);
  return blocks.length === 0 ? undefined : Math.min(...blocks);
}

/**
 * A catalog model from a Hugging Face id such as meta-llama/Llama-3.1-8B-Instruct: the repository name without
 * its organisation, lower-cased, without a Meta- prefix and -Instruct / -Chat / -hf suffixes.
 */
export function catalogModelOf(modelId: string): string | undefined {
  let name = modelId.split('/').pop()!.toLowerCase();
  name = name.replace(/^meta-/, '').replace(/-(instruct|chat|hf|base)(-.*)?$/, '');
  if (MODEL_CATALOG.has(name)) return name;
  const candidates = [...MODEL_CATALOG.keys()].filter((k) => name.startsWith(`${k}-`)).sort((a, b) => b.length - a.length);
  return candidates[0];
}

function modelFromRuns(runs: readonly BenchRun[]): ReturnType<typeof resolveModel> {
  const ids = [...new Set(runs.map((r) => r.modelId).filter((id): id is string => id !== undefined))];
  if (ids.length === 0) throw new InputError('missing; the benchmark files do not name their model: give a catalog model, e.g. --model llama-3.1-8b', '--model');
  if (ids.length > 1) throw new InputError(`the benchmark files name several models (${ids.join(', ')}); calibrate one model at a time, or give --model`, '--model');
  const name = catalogModelOf(ids[0]);
  if (name === undefined) throw new InputError(`the benchmark's model_id "${ids[0]}" is not a catalog model; give the closest one, e.g. --model llama-3.1-8b`, '--model');
  return resolveModel(name);
}

function phaseSamples(inputs: CalibrationInputs, phase: CalibratedPhase): { samples: number[]; files: string[] } {
  const samples: number[] = [];
  const files: string[] = [];
  if (phase === 'imagePull') {
    for (const e of inputs.events) {
      for (const pod of e.pods) {
        const seconds = pod.pullSeconds ?? (pod.pulling !== undefined && pod.pulled !== undefined ? pod.pulled - pod.pulling : undefined);
        if (seconds === undefined) continue;
        samples.push(seconds);
        files.push(e.file);
      }
    }
    return { samples, files };
  }
  if (phase === 'warmup') return { samples, files };
  for (const log of inputs.logs) {
    for (const s of log.phases[phase]) {
      samples.push(s);
      files.push(log.file);
    }
  }
  return { samples, files };
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
