import { InputError } from '../errors.js';
import type { BenchRun, MeasuredRequest } from './bench-run.js';
import { fieldError, fieldPath, type JsonDocument } from './json-input.js';

/**
 * GuideLLM's JSON report (`guidellm benchmark ... --output-path report.json`): `benchmarks[]`, each with
 * `requests.successful[]` (and `errored`, `incomplete`). Each request carries the serialised computed fields
 * `prompt_tokens`, `output_tokens`, `time_to_first_token_ms`, `request_latency` (seconds), and its send time as
 * `start_time` (v0.3) or `info.timings.request_start` (later versions), Unix seconds. Every benchmark of the
 * report (one per rate of a sweep) is its own run.
 */
export function isGuidellm(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Array.isArray((value as { benchmarks?: unknown }).benchmarks);
}

export function parseGuidellm(doc: JsonDocument): BenchRun[] {
  const benchmarks = (doc.value as { benchmarks: unknown[] }).benchmarks;
  if (benchmarks.length === 0) throw fieldError(doc, 'benchmarks', 'at least one benchmark', []);
  return benchmarks.map((b, i) => parseBenchmark(doc, b, `benchmarks[${i}]`));
}

function parseBenchmark(doc: JsonDocument, b: unknown, path: string): BenchRun {
  const requests = (b as { requests?: { successful?: unknown; errored?: unknown; incomplete?: unknown } } | null)?.requests;
  const successful = requests?.successful;
  if (!Array.isArray(successful)) throw fieldError(doc, `${path}.requests.successful`, 'a list of requests', successful);
  // GuideLLM gives no TTFT for a request whose first token was its last (time_to_first_token_ms null): unmeasured.
  const measurable = successful.map((r, i) => [r, i] as const).filter(([r]) => (r as { time_to_first_token_ms?: unknown } | null)?.time_to_first_token_ms !== null);
  const parsed = measurable.map(([r, i]) => parseRequest(doc, r, `${path}.requests.successful[${i}]`));
  if (parsed.length === 0) throw new InputError('has no successful requests; expected some to calibrate on', fieldPath(doc, `${path}.requests.successful`));
  parsed.sort((x, y) => x.sent - y.sent);
  const first = parsed[0].sent;
  const measured: MeasuredRequest[] = parsed.map((r, index) => ({ ...r.request, index, sentAt: r.sent - first }));
  const failed = successful.length - measurable.length + (Array.isArray(requests?.errored) ? requests.errored.length : 0) + (Array.isArray(requests?.incomplete) ? requests.incomplete.length : 0);
  // Send times are recorded, so the plan only matters for the replay's concurrency bound (none known).
  return { file: doc.file, format: 'guidellm', modelId: undefined, plan: { requestRate: Infinity, burstiness: 1, maxConcurrency: Infinity }, requests: measured, failed };
}

function parseRequest(doc: JsonDocument, r: unknown, path: string): { sent: number; request: Omit<MeasuredRequest, 'index' | 'sentAt'> } {
  const o = (r ?? {}) as Record<string, unknown>;
  const timings = ((o.info as { timings?: Record<string, unknown> } | undefined)?.timings ?? {}) as Record<string, unknown>;
  const num = (value: unknown, field: string, expected: string, min = 0): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw fieldError(doc, `${path}.${field}`, expected, value);
    return value;
  };
  const sent = num(o.start_time ?? timings.request_start, o.start_time !== undefined ? 'start_time' : 'info.timings.request_start', 'the send time in Unix seconds');
  const promptTokens = num(o.prompt_tokens, 'prompt_tokens', 'a token count ≥ 0');
  const outputTokens = num(o.output_tokens, 'output_tokens', 'a token count ≥ 1', 1);
  const ttft = num(o.time_to_first_token_ms, 'time_to_first_token_ms', 'milliseconds above 0', Number.MIN_VALUE) / 1000;
  const latency = o.request_latency ?? (typeof o.end_time === 'number' ? o.end_time - sent : undefined);
  const e2e = num(latency, 'request_latency', `seconds, at least the time to first token (${ttft})`, ttft);
  return { sent, request: { promptTokens, outputTokens, ttft, e2e } };
}
