import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, test } from 'vitest';
import { backtest, type BacktestRow } from '../../sim/calibrate/backtest.js';
import { calibrate } from '../../sim/calibrate/calibrate.js';
import { loadCalibrationFile, type CalibrationFile } from '../../sim/config/calibration-file.js';
import { InputError } from '../../sim/errors.js';
import { resolveRun } from '../../sim/run/resolve.js';
import { loadScenarioText } from '../../sim/scenario/load.js';
import { RooflineStepTime } from '../../sim/serving/step-time/roofline.js';
import { decodeBatch, prefillBatch } from '../../sim/serving/step-time/types.js';
import { resolveGpu, resolveModel } from '../../sim/serving/catalog/resolve.js';
import { renderBacktestMarkdown } from '../../reports/backtest.js';
import { parseTolerances } from '../../sim/cli/commands/backtest.js';
import { tempDir } from './formats.js';

const FIXTURES = resolve(fileURLToPath(new URL('../fixtures/calibration', import.meta.url)));
const INPUTS = ['vllm-bench-llama-3.1-8b-c1.json', 'vllm-bench-llama-3.1-8b-c48.json', 'vllm-v1-startup.log', 'vllm-v0-startup.log', 'kubectl-events-rollout.json', 'vllm-metrics-t0.prom', 'vllm-metrics-t1.prom'];
/** The parameters the bench fixtures were made with (test/fixtures/calibration/README.md). */
const TRUTH = { hbmEfficiency: 0.72, matmulEfficiency: 0.52, stepOverheadSec: 1.8e-3 };

let dir: string;
let calibrationFile: string;
let calibration: CalibrationFile;

beforeAll(() => {
  dir = tempDir();
  for (const name of INPUTS) copyFileSync(join(FIXTURES, name), join(dir, name));
  const doc = calibrate({ files: INPUTS.map((n) => join(dir, n)), gpu: 'h100-80gb', kvBlocks: 27_000, outDir: dir });
  calibrationFile = join(dir, 'fleet.calibration.yaml');
  writeFileSync(calibrationFile, stringify(doc));
  calibration = loadCalibrationFile(calibrationFile);
});

const row = (rows: readonly BacktestRow[], id: string) => rows.find((r) => r.id === id)!;

describe('calibrate on the fixtures', () => {
  test('writes a file that loads back, with paths relative to it, hashes, vLLM batch defaults for H100, and phases', () => {
    const s = calibration.serving[0];
    expect(s).toMatchObject({ gpu: 'h100-80gb', model: 'llama-3.1-8b', tensorParallel: 1, engine: { maxNumSeqs: 1024, maxNumBatchedTokens: 8192, kvBlocks: 27_000 } });
    expect(s.runs.map((r) => r.source.file)).toEqual(['vllm-bench-llama-3.1-8b-c1.json', 'vllm-bench-llama-3.1-8b-c48.json']);
    expect(s.runs[1].failed).toBe(2);
    for (const k of ['hbmEfficiency', 'matmulEfficiency', 'stepOverheadSec'] as const) expect(Math.abs(s.roofline[k] / TRUTH[k] - 1)).toBeLessThan(0.05);
    const phases = calibration.startup.phases;
    expect(phases.weightLoad?.samples).toEqual([6.84, 9]);
    expect(phases.imagePull?.samples).toEqual([69.714, 54.2]);
    expect(phases.compile?.distribution).toEqual({ kind: 'constant', value: 12.22 });
    expect(phases.graphCapture?.distribution).toMatchObject({ kind: 'lognormalMeanCv', mean: 13.5 });
    expect(calibration.startup.rollouts[0].pods).toBe(4);
    expect(calibration.observed[0].means.ttftSeconds).toBeCloseTo(0.08, 9);
  });
});

describe('backtest', () => {
  test('on the held-out halves: calibrated latencies within 5 %, the defaults well off, start-up rows in-sample', () => {
    const report = backtest({ calibrationFile, calibration, tolerance: { '': 0.05 } });
    for (const id of ['ttft.mean', 'tpot.mean', 'e2e.mean']) {
      const r = row(report.rows, id);
      expect(r.basis).toBe('held-out');
      expect(r.samples).toBe(12 + 48);
      expect(Math.abs(r.error)).toBeLessThan(0.05);
    }
    expect(Math.abs(row(report.rows, 'tpot.mean').defaultsError!)).toBeGreaterThan(0.1);
    expect(row(report.rows, 'startup.weightLoad')).toMatchObject({ basis: 'in-sample', samples: 2 });
    expect(report.failures).toEqual([]);
    const markdown = renderBacktestMarkdown(report);
    expect(markdown).toContain('| llama-3.1-8b TP1 h100-80gb | tpot.mean | held-out | 60 |');
  });

  test('an error beyond --tolerance is a failure (exit 1); p95 rows only when named', () => {
    const tight = backtest({ calibrationFile, calibration, tolerance: { '': 1e-9 } });
    expect(tight.failures).toContain('llama-3.1-8b TP1 h100-80gb ttft.mean');
    expect(tight.failures.some((f) => f.endsWith('.p95'))).toBe(false);
    const tails = backtest({ calibrationFile, calibration, tolerance: { p95: 1e-9 } });
    expect(tails.failures).toContain('llama-3.1-8b TP1 h100-80gb ttft.p95');
    expect(tails.failures.some((f) => f.endsWith('.mean'))).toBe(false);
  });

  test('--data: every request of the given runs is held out; a new log is the phases\' held-out data', () => {
    const report = backtest({ calibrationFile, calibration, data: [join(FIXTURES, 'vllm-bench-llama-3.1-8b-c1.json'), join(FIXTURES, 'vllm-v1-startup.log')] });
    expect(row(report.rows, 'tpot.mean')).toMatchObject({ basis: 'held-out', samples: 24 });
    expect(row(report.rows, 'startup.weightLoad')).toMatchObject({ basis: 'held-out', samples: 1, measured: 6.84 });
  });

  test('a source file that changed since the fit is refused', () => {
    const copy = tempDir();
    for (const name of INPUTS) copyFileSync(join(dir, name), join(copy, name));
    const file = join(copy, 'fleet.calibration.yaml');
    copyFileSync(calibrationFile, file);
    writeFileSync(join(copy, INPUTS[0]), readFileSync(join(copy, INPUTS[0]), 'utf8').replace('"date":"20260115-102133"', '"date":"20260116-000000"'));
    expect(() => backtest({ calibrationFile: file, calibration })).toThrow(/changed since the calibration was fitted/);
  });
});

describe('a scenario with spec.calibration', () => {
  const scenario = (model: string, extra = '') => `
apiVersion: rollout-sim/v1alpha1
kind: Scenario
metadata: { name: calibrated }
spec:
  duration: 10m
  calibration: fleet.calibration.yaml
  cluster: { nodePools: [{ name: h100, gpu: h100-80gb, gpusPerNode: 8, nodes: 1 }] }
  model: ${model}
  deployment: { replicas: 2 }
  startup: { compile: 30s${extra} }
  rollout: { at: 1m, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }
  traffic:
    arrival: { poisson: { rate: 2/s } }
    promptTokens: 500
    outputTokens: 100
`;

  test('runs the roofline with the fitted parameters and draws the phases it leaves auto from the calibration', () => {
    const run = resolveRun(loadScenarioText(scenario('llama-3.1-8b'), { source: 'test', baseDir: dir }));
    if (run.serving.old.kind !== 'llm') throw new Error('expected the LLM server');
    const fitted = new RooflineStepTime(resolveModel('llama-3.1-8b'), resolveGpu('h100-80gb'), 1, { weightDtype: 'bf16', kvDtype: 'bf16' }, calibration.serving[0].roofline);
    for (const batch of [decodeBatch(32, 2000), prefillBatch(3000)]) expect(run.serving.old.stepTime.stepSeconds(batch)).toBe(fitted.stepSeconds(batch));
    const startup = run.templates.new.startup;
    expect(startup.graphCapture.mean).toBeCloseTo(13.5, 6);
    expect(startup.compile).not.toBe('auto');
    // The scenario's own compile: 30s wins over the calibrated 12.22 s.
    expect((startup.compile as { mean: number }).mean).toBe(30);
  });

  test('backtest --scenario: the rollout run with the calibration against the measured rollout duration', () => {
    const file = join(dir, 'rollout.yaml');
    writeFileSync(file, scenario('llama-3.1-8b'));
    const report = backtest({ calibrationFile, calibration, scenario: file, tolerance: { rollout: 10 } });
    const r = row(report.rows, 'rollout.duration');
    expect(r).toMatchObject({ basis: 'in-sample', samples: 1, pass: true });
    expect(r.measured).toBeCloseTo(284.888, 3);
    // Two pods one after the other (maxSurge 1), each pulling the image, loading and compiling: minutes.
    expect(r.predicted).toBeGreaterThan(120);
    expect(r.predicted).toBeLessThan(600);
  });

  test('a calibration of another model is an error at spec.calibration, not a silent default', () => {
    const loaded = loadScenarioText(scenario('llama-3.1-70b'), { source: 'test', baseDir: dir });
    expect(() => resolveRun(loaded)).toThrow(InputError);
    expect(() => resolveRun(loaded)).toThrow(/spec\.calibration: has no step-time calibration for llama-3\.1-70b TP1 on h100-80gb/);
  });
});

test('--tolerance: a share for every mean, or per metric; percentages or fractions; a bad one names the flag', () => {
  expect(parseTolerances(['10%', 'ttft=20%,tpot.p95=0.3'])).toEqual({ '': 0.1, ttft: 0.2, 'tpot.p95': 0.3 });
  expect(() => parseTolerances(['ten'])).toThrow(/--tolerance: expected a relative error such as 10%/);
});

test('calibrate --merge: an entry fitted again replaces its own key only; phases refitted replace, others stay', async () => {
  const { mergeCalibrations } = await import('../../sim/calibrate/merge.js');
  const { loadCalibrationInput, zCalibrationFile } = await import('../../sim/config/calibration-file.js');
  const existing = loadCalibrationInput(calibrationFile);
  const entry = existing.serving![0];
  const other = { ...entry, gpu: 'h200', roofline: { ...entry.roofline, hbmEfficiency: 0.5 } };
  const again = { ...entry, roofline: { ...entry.roofline, hbmEfficiency: 0.9 } };
  const compile = { ...existing.startup!.phases!.compile!, samples: [99], mean: 99, distribution: 99 };
  const written = mergeCalibrations({ ...existing, serving: [entry, other] }, { kind: 'Calibration', version: 1, serving: [again], startup: { phases: { compile } } });
  // What is written loads back.
  const merged = zCalibrationFile.parse(written);
  expect(merged.serving.map((e) => [e.gpu, e.roofline.hbmEfficiency])).toEqual([['h200', 0.5], ['h100-80gb', 0.9]]);
  expect(merged.startup.phases.compile?.mean).toBe(99);
  expect(merged.startup.phases.weightLoad?.samples).toEqual([6.84, 9]);
  expect(merged.startup.rollouts).toHaveLength(1);
});
