import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRun } from '../../sim/calibrate/bench-run.js';
import type { ServerUnderTest } from '../../sim/calibrate/fit-serving.js';
import { resolveGpu, resolveModel } from '../../sim/serving/catalog/resolve.js';

/** Test helpers: write simulated runs in the load generators' real formats, and a server to fit. */

export const LLAMA_8B_H100: ServerUnderTest = {
  model: { architecture: resolveModel('llama-3.1-8b'), tensorParallel: 1, weightDtype: 'bf16', kvDtype: 'bf16' },
  gpu: resolveGpu('h100-80gb'),
  replica: { maxNumSeqs: 1024, maxNumBatchedTokens: 8192, kvBlocks: 27_000, blockSize: 16, prefixCaching: true, coldStart: { firstStepSeconds: 0, steps: 0, initialFactor: 1 } },
};

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'rollout-sim-calibrate-'));
}

/** Equal gaps between the tokens after the first (the simulator reports the first and last token times). */
function itlsOf(ttft: number, e2e: number, outputTokens: number): number[] {
  const n = outputTokens - 1;
  return n <= 0 ? [] : new Array<number>(n).fill((e2e - ttft) / n);
}

/**
 * A `vllm bench serve --save-result --save-detailed` result (vllm/benchmarks/serve.py's keys). `timed`: with
 * start_times and latencies (newer vLLM); without them, as older versions wrote it.
 */
export function vllmBenchJson(run: BenchRun, options: { timed: boolean; requestRate?: number | 'inf'; maxConcurrency?: number | null; modelId?: string } = { timed: true }): string {
  const r = run.requests;
  const perfCounterBase = 91_234.567;
  const doc: Record<string, unknown> = {
    date: '20260115-102133',
    endpoint_type: 'vllm',
    backend: 'vllm',
    label: null,
    model_id: options.modelId ?? 'meta-llama/Llama-3.1-8B-Instruct',
    tokenizer_id: options.modelId ?? 'meta-llama/Llama-3.1-8B-Instruct',
    num_prompts: r.length,
    request_rate: options.requestRate ?? 'inf',
    burstiness: 1.0,
    max_concurrency: options.maxConcurrency ?? null,
    duration: Math.max(...r.map((x) => x.sentAt + x.e2e).filter(Number.isFinite)),
    completed: r.length,
    failed: 0,
    total_input_tokens: r.reduce((n, x) => n + x.promptTokens, 0),
    total_output_tokens: r.reduce((n, x) => n + x.outputTokens, 0),
    input_lens: r.map((x) => x.promptTokens),
    output_lens: r.map((x) => x.outputTokens),
    ttfts: r.map((x) => x.ttft),
    itls: r.map((x) => itlsOf(x.ttft, x.e2e, x.outputTokens)),
    generated_texts: r.map(() => ''),
    errors: r.map(() => ''),
    mean_ttft_ms: 0,
    median_ttft_ms: 0,
    p99_ttft_ms: 0,
  };
  if (options.timed) {
    doc.latencies = r.map((x) => x.e2e);
    doc.start_times = r.map((x) => perfCounterBase + x.sentAt);
  }
  return JSON.stringify(doc);
}

/** A GuideLLM report (v0.3 request fields) with one benchmark per run (a sweep). */
export function guidellmJson(runs: readonly BenchRun[]): string {
  const t0 = 1_768_472_493.25;
  const benchmarks = runs.map((run) => ({ type_: 'generative_benchmark', requests: { successful: requestsOf(run, t0), errored: [], incomplete: [] } }));
  return JSON.stringify({ benchmarks });
}

function requestsOf(run: BenchRun, t0: number): object[] {
  return run.requests.map((x, i) => ({
    type_: 'generative_request_stats',
    request_id: `req-${i}`,
    request_type: 'text_completions',
    prompt_tokens: x.promptTokens,
    output_tokens: x.outputTokens,
    start_time: t0 + x.sentAt,
    end_time: t0 + x.sentAt + x.e2e,
    first_token_time: t0 + x.sentAt + x.ttft,
    request_latency: x.e2e,
    time_to_first_token_ms: x.ttft * 1000,
  }));
}

export function writeTemp(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
