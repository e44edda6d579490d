import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { readCalibrationInputs } from '../../sim/calibrate/inputs.js';
import { observedMeans } from '../../sim/calibrate/prometheus.js';
import { InputError } from '../../sim/errors.js';

const FIXTURES = resolve(fileURLToPath(new URL('../fixtures/calibration', import.meta.url)));
const fixture = (name: string) => resolve(FIXTURES, name);

function inputError(files: string[]): InputError {
  try {
    readCalibrationInputs(files);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('vllm bench serve result files (real keys of vllm/benchmarks/serve.py)', () => {
  test('a --save-detailed file with start_times and latencies: every request, send times from the first', () => {
    const [run] = readCalibrationInputs([fixture('vllm-bench-llama-3.1-8b-c1.json')]).runs;
    expect(run.format).toBe('vllm-bench');
    expect(run.modelId).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(run.requests).toHaveLength(24);
    expect(run.requests[0].sentAt).toBe(0);
    expect(run.plan).toEqual({ requestRate: Infinity, burstiness: 1, maxConcurrency: 1 });
    // One at a time: each request is sent when the previous one ends.
    const [a, b] = run.requests;
    expect(b.sentAt).toBeCloseTo(a.sentAt + a.e2e, 5);
  });

  test('an older file without start_times or latencies: E2E from ttft + itls, failed requests left out and counted', () => {
    const [run] = readCalibrationInputs([fixture('vllm-bench-llama-3.1-8b-c48.json')]).runs;
    expect(run.requests).toHaveLength(96);
    expect(run.failed).toBe(2);
    expect(run.requests.every((r) => Number.isNaN(r.sentAt))).toBe(true);
    expect(run.plan.maxConcurrency).toBe(48);
    const r = run.requests[0];
    expect(r.e2e).toBeGreaterThan(r.ttft);
    // Request 40 of the file is a failure: the run's 41st request is the file's 42nd.
    expect(run.requests[40].index).toBe(41);
  });

  test('GuideLLM report: requests from benchmarks[].requests.successful, ms converted to seconds', () => {
    const [run] = readCalibrationInputs([fixture('guidellm-llama-3.1-8b.json')]).runs;
    expect(run.format).toBe('guidellm');
    expect(run.requests).toHaveLength(8);
    expect(run.requests[0].ttft).toBeGreaterThan(0.01);
    expect(run.requests[0].ttft).toBeLessThan(1);
  });
});

describe('vLLM start-up logs', () => {
  test('V1 lines: process start from the stamps, weights, compile, capture, KV profile = init − compile − capture', () => {
    const [log] = readCalibrationInputs([fixture('vllm-v1-startup.log')]).logs;
    expect(log.phases.processStart).toEqual([23]);
    expect(log.phases.weightLoad).toEqual([6.84]);
    expect(log.phases.compile).toEqual([12.22]);
    expect(log.phases.graphCapture).toEqual([12]);
    expect(log.phases.kvProfile[0]).toBeCloseTo(27.39 - 12.22 - 12, 9);
    expect(log.weightGiB).toEqual([14.9889]);
    expect(log.kvTokens).toEqual([435_888]);
  });

  test('V0 lines: the load from the stamps, memory profiling, # GPU blocks, graph capture', () => {
    const [log] = readCalibrationInputs([fixture('vllm-v0-startup.log')]).logs;
    expect(log.phases.processStart).toEqual([13]);
    expect(log.phases.weightLoad).toEqual([9]);
    expect(log.phases.kvProfile).toEqual([1.52]);
    expect(log.phases.graphCapture).toEqual([15]);
    expect(log.kvBlocks).toEqual([27_910]);
  });
});

test('kubectl get events -o json: per-pod pulls (kubelet\'s own time), first Scheduled to last Killing', () => {
  const [events] = readCalibrationInputs([fixture('kubectl-events-rollout.json')]).events;
  const pulls = events.pods.map((p) => p.pullSeconds).filter((s) => s !== undefined);
  expect(pulls).toEqual([69.714, 54.2]);
  // 10:20:00.112 (first Scheduled, eventTime; Date.parse keeps milliseconds) to 10:24:45 (last Killing).
  expect(events.durationSeconds).toBeCloseTo(284.888, 3);
  expect(events.pods).toHaveLength(4);
});

test('Prometheus text of /metrics: Δsum / Δcount between the first and last snapshot; gauges averaged', () => {
  const { metrics } = readCalibrationInputs([fixture('vllm-metrics-t0.prom'), fixture('vllm-metrics-t1.prom')]);
  const { requests, means } = observedMeans(metrics);
  expect(requests).toBe(500);
  expect(means.ttftSeconds).toBeCloseTo(0.08, 9);
  expect(means.tpotSeconds).toBeCloseTo(0.012, 9);
  expect(means.e2eSeconds).toBeCloseTo(1.52, 9);
  expect(means.queueSeconds).toBeCloseTo(0.002, 9);
  expect(means.prefillSeconds).toBeCloseTo(0.07, 9);
  expect(means.decodeSeconds).toBeCloseTo(1.45, 9);
  expect(means.running).toBe(16);
  expect(means.kvUsage).toBeCloseTo(0.112, 9);
});

describe('a malformed file is an InputError naming the file, the line and the field', () => {
  test.each([
    ['bench-bad-ttft.json', 'line 9, field ttfts[1]', 'a number'],
    ['bench-truncated.json', 'line 6', 'not valid JSON'],
    ['bench-aggregates-only.json', 'field input_lens', '--save-detailed'],
    ['bench-short-list.json', 'line 8, field output_lens', '3 entries'],
    ['events-bad-time.json', 'line 10, field items[0].firstTimestamp', 'RFC 3339'],
    ['metrics-bad-value.prom', 'line 4, field vllm:time_to_first_token_seconds_sum', 'a number'],
    ['unknown-format.txt', 'line 1', 'vllm bench serve'],
  ])('%s', (name, where, what) => {
    const error = inputError([fixture(`malformed/${name}`)]);
    expect(error.message).toContain(name);
    expect(error.message).toContain(where);
    expect(error.message).toContain(what);
  });
});

test('Python\'s bare NaN and Infinity (json.dump of nan / inf) are read, outside strings only', async () => {
  const { tempDir, writeTemp } = await import('./formats.js');
  const text = '{"request_rate": 2.0, "burstiness": Infinity, "max_concurrency": null, "std_tpot_ms": NaN, "model_id": "NaN-Infinity",\n' +
    '"input_lens": [100, 200], "output_lens": [10, 20], "ttfts": [0.05, 0.06], "itls": [[0.01], [0.02]], "errors": ["", ""]}';
  const [run] = readCalibrationInputs([writeTemp(tempDir(), 'py.json', text)]).runs;
  expect(run.plan.burstiness).toBe(Infinity);
  expect(run.modelId).toBe('NaN-Infinity');
  expect(run.requests[1].e2e).toBeCloseTo(0.08, 12);
});

test('a benchmark\'s model_id maps to the catalog (organisation, Meta- prefix and -Instruct dropped); vLLM\'s batch defaults by GPU', async () => {
  const { catalogModelOf, vllmBatchDefaults } = await import('../../sim/calibrate/calibrate.js');
  const { resolveGpu } = await import('../../sim/serving/catalog/resolve.js');
  expect(catalogModelOf('meta-llama/Llama-3.1-8B-Instruct')).toBe('llama-3.1-8b');
  expect(catalogModelOf('meta-llama/Meta-Llama-3-8B-Instruct')).toBe('llama-3-8b');
  expect(catalogModelOf('/models/Qwen2.5-7B-Instruct')).toBe('qwen2.5-7b');
  expect(catalogModelOf('mistralai/Mistral-7B-Instruct-v0.3')).toBeUndefined();
  expect(vllmBatchDefaults(resolveGpu('h100-80gb'))).toEqual({ maxNumSeqs: 1024, maxNumBatchedTokens: 8192 });
  expect(vllmBatchDefaults(resolveGpu('a100-80gb'))).toEqual({ maxNumSeqs: 256, maxNumBatchedTokens: 2048 });
  expect(vllmBatchDefaults(resolveGpu('l40s'))).toEqual({ maxNumSeqs: 256, maxNumBatchedTokens: 2048 });
});

test('a --append-result file (several results, one per line) is read result by result', async () => {
  const { tempDir, writeTemp } = await import('./formats.js');
  const one = (ttft: number) => JSON.stringify({ request_rate: 'inf', burstiness: 1, max_concurrency: 1, model_id: 'm', input_lens: [100], output_lens: [3], ttfts: [ttft], itls: [[0.01, 0.01]], errors: [''] });
  const file = writeTemp(tempDir(), 'appended.json', `${one(0.02)}\n${one(0.03)}\n`);
  const inputs = readCalibrationInputs([file]);
  expect(inputs.runs.map((r) => r.requests[0].ttft)).toEqual([0.02, 0.03]);
  expect(inputs.sources.get(file)?.records).toBe(2);
});

test('newer vllm bench files: a request\'s arrival is its start_time less its queue_time (the wait for --max-concurrency)', async () => {
  const { tempDir, writeTemp } = await import('./formats.js');
  const text = JSON.stringify({
    request_rate: 'inf', burstiness: 1, max_concurrency: 1, model_id: 'm',
    input_lens: [100, 100], output_lens: [2, 2], ttfts: [0.02, 0.02], itls: [[0.01], [0.01]], errors: ['', ''],
    latencies: [0.03, 0.03], start_times: [500.0, 500.03], queue_times: [0.0, 0.03],
  });
  const [run] = readCalibrationInputs([writeTemp(tempDir(), 'queued.json', text)]).runs;
  expect(run.requests.map((r) => r.sentAt)).toEqual([0, 0]);
});

test('a phase\'s distribution: one sample is a constant at distance 0; several a lognormal with their mean and CV', async () => {
  const { fitPhase } = await import('../../sim/calibrate/phase-fit.js');
  expect(fitPhase([12.22])).toEqual({ distribution: 12.22, mean: 12.22, ksDistance: 0 });
  const fit = fitPhase([10, 12, 14, 30]);
  expect(fit.distribution).toEqual({ lognormal: { mean: 16.5, cv: expect.closeTo(Math.sqrt(251 / 3) / 16.5, 4) } });
  expect(fit.ksDistance).toBeGreaterThan(0.1);
  expect(fit.ksDistance).toBeLessThan(0.5);
});
