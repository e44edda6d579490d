import { InputError } from '../errors.js';
import type { BenchRun, MeasuredRequest, SendPlan } from './bench-run.js';
import { fieldError, fieldPath, type JsonDocument } from './json-input.js';

/**
 * The result file of `vllm bench serve --save-result --save-detailed` (vllm/benchmarks/serve.py; older
 * benchmarks/benchmark_serving.py writes the same keys): per-request lists `input_lens`, `output_lens`, `ttfts`
 * (seconds), `itls` (a list of seconds per request), `errors`, and in newer versions `latencies` and
 * `start_times` (the client's perf_counter at each send) and `queue_times` (the wait for the concurrency bound
 * before it); the traffic settings `request_rate` ("inf" or a
 * number), `burstiness` and `max_concurrency` (null when unbounded); `model_id`.
 */
export const VLLM_BENCH_KEYS = ['input_lens', 'output_lens', 'ttfts', 'itls'] as const;

export function isVllmBench(value: unknown): boolean {
  return isObject(value) && ('input_lens' in value || 'mean_ttft_ms' in value) && 'request_rate' in value;
}

export function parseVllmBench(doc: JsonDocument): BenchRun {
  const o = doc.value as Record<string, unknown>;
  const missing = VLLM_BENCH_KEYS.filter((k) => !(k in o));
  if (missing.length > 0) {
    const hint = 'mean_ttft_ms' in o ? ' (the file has only the aggregates: rerun vllm bench serve with --save-result --save-detailed)' : '';
    throw new InputError({ expected: `the per-request lists ${VLLM_BENCH_KEYS.join(', ')}${hint}`, got: `no ${missing.join(', ')}` }, fieldPath(doc, missing[0]));
  }
  const inputs = numberList(doc, o, 'input_lens');
  const n = inputs.length;
  const outputs = numberList(doc, o, 'output_lens', n);
  const ttfts = numberList(doc, o, 'ttfts', n);
  const itls = listOf(doc, o, 'itls', n);
  const latencies = 'latencies' in o ? numberList(doc, o, 'latencies', n) : null;
  const starts = 'start_times' in o && o.start_times !== null ? numberList(doc, o, 'start_times', n) : null;
  // Time each request waited for the client's concurrency bound before its send (newer vLLM): its arrival is
  // start − queue time, and the replay holds it at the bound again.
  const queued = starts !== null && Array.isArray(o.queue_times) && o.queue_times.length === n ? numberList(doc, o, 'queue_times', n) : null;
  const errors = 'errors' in o ? listOf(doc, o, 'errors', n) : null;
  if (starts === null && typeof o.ramp_up_strategy === 'string') {
    throw fieldError(doc, 'ramp_up_strategy', 'no ramp-up unless the file has start_times (rerun with a vLLM that records them, or without --ramp-up-strategy)', o.ramp_up_strategy);
  }
  const arrivals = starts === null ? null : starts.map((t, i) => t - (queued?.[i] ?? 0));
  const firstArrival = arrivals === null ? NaN : arrivals.reduce((a, b) => (b < a ? b : a), Infinity);

  const requests: MeasuredRequest[] = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const error = errors?.[i];
    // Failed (an error text), or nothing to measure: no first token recorded, or no output token counted.
    if ((typeof error === 'string' && error !== '') || !(ttfts[i] > 0) || !(outputs[i] >= 1)) {
      failed++;
      continue;
    }
    const gaps = itls[i];
    if (!Array.isArray(gaps) || gaps.some((g) => typeof g !== 'number' || !(g >= 0))) {
      throw fieldError(doc, `itls[${i}]`, 'a list of inter-token latencies in seconds (numbers ≥ 0)', gaps);
    }
    let e2e = latencies?.[i] ?? ttfts[i];
    if (latencies === null) for (const g of gaps as number[]) e2e += g;
    if (e2e < ttfts[i]) throw fieldError(doc, `ttfts[${i}]`, `a time to first token at most the request's latency (${e2e} s)`, ttfts[i]);
    requests.push({
      index: i,
      sentAt: arrivals === null ? NaN : arrivals[i] - firstArrival,
      promptTokens: inputs[i],
      outputTokens: outputs[i],
      ttft: ttfts[i],
      e2e,
    });
  }
  if (requests.length === 0) throw new InputError(`none of the ${n} requests succeeded (see its errors list); expected successful requests to calibrate on`, fieldPath(doc, 'errors'));
  return { file: doc.file, format: 'vllm-bench', modelId: typeof o.model_id === 'string' ? o.model_id : undefined, plan: sendPlan(doc, o), requests, failed };
}

function sendPlan(doc: JsonDocument, o: Record<string, unknown>): SendPlan {
  const rate = o.request_rate;
  const requestRate = rate === 'inf' || rate === 'Infinity' ? Infinity : rate;
  if (typeof requestRate !== 'number' || !(requestRate > 0)) throw fieldError(doc, 'request_rate', '"inf" or a number of requests per second above 0', rate);
  const burstiness = o.burstiness === 'inf' || o.burstiness === 'Infinity' ? Infinity : (o.burstiness ?? 1);
  if (typeof burstiness !== 'number' || !(burstiness > 0)) throw fieldError(doc, 'burstiness', 'a number above 0', o.burstiness);
  const concurrency = o.max_concurrency ?? null;
  if (concurrency !== null && !(Number.isInteger(concurrency) && (concurrency as number) >= 1)) {
    throw fieldError(doc, 'max_concurrency', 'null or a whole number ≥ 1', concurrency);
  }
  return { requestRate, burstiness, maxConcurrency: concurrency === null ? Infinity : (concurrency as number) };
}

function listOf(doc: JsonDocument, o: Record<string, unknown>, key: string, length?: number): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw fieldError(doc, key, 'a list with one entry per request', v);
  if (length !== undefined && v.length !== length) throw fieldError(doc, key, `${length} entries, one per request as in input_lens`, `${v.length} entries`);
  return v;
}

function numberList(doc: JsonDocument, o: Record<string, unknown>, key: string, length?: number): number[] {
  const list = listOf(doc, o, key, length);
  list.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw fieldError(doc, `${key}[${i}]`, 'a number ≥ 0', x);
  });
  return list as number[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
