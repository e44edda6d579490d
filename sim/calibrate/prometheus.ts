import { InputError } from '../errors.js';

/**
 * Prometheus exposition text scraped from vLLM's /metrics (`curl -s http://pod:8000/metrics`). Samples are
 * `name{labels} value [timestamp]`; every label set of a name is summed (one server may report several engines
 * or models). Histograms give their `_sum` and `_count`; gauges their value.
 */
export interface MetricsSnapshot {
  readonly file: string;
  /** Σ over label sets, by sample name (histograms as name_sum, name_count). */
  readonly values: ReadonlyMap<string, number>;
}

/** vLLM's request-latency histograms (seconds), under the names versions have used. */
export const VLLM_HISTOGRAMS = {
  ttft: ['vllm:time_to_first_token_seconds'],
  tpot: ['vllm:request_time_per_output_token_seconds', 'vllm:time_per_output_token_seconds', 'vllm:inter_token_latency_seconds'],
  e2e: ['vllm:e2e_request_latency_seconds'],
  queue: ['vllm:request_queue_time_seconds'],
  prefill: ['vllm:request_prefill_time_seconds'],
  decode: ['vllm:request_decode_time_seconds'],
} as const;

export const VLLM_GAUGES = {
  running: ['vllm:num_requests_running'],
  waiting: ['vllm:num_requests_waiting'],
  kvUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
} as const;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+-?\d+)?\s*$/;

export function isPrometheusText(text: string): boolean {
  return /^(# (HELP|TYPE) )?vllm:/m.test(text);
}

export function parsePrometheus(file: string, text: string): MetricsSnapshot {
  const values = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = SAMPLE.exec(line);
    if (m === null) throw new InputError({ expected: 'a sample "name{labels} value"', got: `"${line.slice(0, 60)}"` }, `${file} line ${i + 1}`);
    const [, name, , valueText] = m;
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') throw new InputError({ expected: 'a number', got: `"${valueText}"` }, `${file} line ${i + 1}, field ${name}`);
    if (!name.startsWith('vllm:') || name.endsWith('_bucket')) return;
    values.set(name, (values.get(name) ?? 0) + value);
  });
  if (![...values.keys()].some((k) => k.startsWith('vllm:'))) throw new InputError('has no vllm: metrics; expected the text of a vLLM server\'s /metrics', `${file} line 1`);
  return { file, values };
}

/**
 * Server-side means over the window between the first and the last snapshot (over the server's life with one
 * snapshot): Δsum / Δcount of each histogram, in seconds; and the gauges' mean over the snapshots.
 */
export function observedMeans(snapshots: readonly MetricsSnapshot[]): { requests: number; means: Record<string, number> } {
  const first = snapshots.length > 1 ? snapshots[0] : undefined;
  const last = snapshots[snapshots.length - 1];
  const means: Record<string, number> = {};
  let requests = 0;
  for (const [key, names] of Object.entries(VLLM_HISTOGRAMS)) {
    const name = names.find((n) => last.values.has(`${n}_count`));
    if (name === undefined) continue;
    const count = last.values.get(`${name}_count`)! - (first?.values.get(`${name}_count`) ?? 0);
    const sum = last.values.get(`${name}_sum`)! - (first?.values.get(`${name}_sum`) ?? 0);
    if (count > 0) means[`${key}Seconds`] = sum / count;
    if (key === 'e2e') requests = count;
  }
  for (const [key, names] of Object.entries(VLLM_GAUGES)) {
    const name = names.find((n) => last.values.has(n));
    if (name === undefined) continue;
    let sum = 0;
    for (const s of snapshots) sum += s.values.get(name) ?? 0;
    means[key] = sum / snapshots.length;
  }
  return { requests, means };
}
