import { tpotOf, type BenchRun } from './bench-run.js';
import type { ReplayResult } from './replay.js';
import { mean, quantile } from './stats.js';

export const LATENCY_METRICS = ['ttft', 'tpot', 'e2e'] as const;
export type LatencyMetric = (typeof LATENCY_METRICS)[number];

/** Mean and p95 of one latency, seconds. */
export interface MeanP95 {
  readonly mean: number;
  readonly p95: number;
}

export type LatencySummary = Readonly<Record<LatencyMetric, MeanP95>>;

/** Which requests of a run to look at: [from, to) in send order. */
export interface RequestRange {
  readonly from: number;
  readonly to: number;
}

/** Measured and simulated latencies of the requests in `range` of each run (pooled over runs). */
export function summariseRuns(runs: readonly BenchRun[], results: readonly ReplayResult[], ranges: readonly RequestRange[]): { measured: LatencySummary; simulated: LatencySummary; requests: number } {
  const measured: Record<LatencyMetric, number[]> = { ttft: [], tpot: [], e2e: [] };
  const simulated: Record<LatencyMetric, number[]> = { ttft: [], tpot: [], e2e: [] };
  runs.forEach((run, k) => {
    const sim = results[k];
    for (let i = ranges[k].from; i < ranges[k].to; i++) {
      const r = run.requests[i];
      measured.ttft.push(r.ttft);
      measured.e2e.push(r.e2e);
      measured.tpot.push(tpotOf(r));
      simulated.ttft.push(sim.ttft[i]);
      simulated.e2e.push(sim.e2e[i]);
      simulated.tpot.push(tpotOf({ ttft: sim.ttft[i], e2e: sim.e2e[i], outputTokens: r.outputTokens }));
    }
  });
  const of = (v: Record<LatencyMetric, number[]>): LatencySummary => ({
    ttft: { mean: mean(v.ttft), p95: quantile(v.ttft, 0.95) },
    tpot: { mean: mean(v.tpot), p95: quantile(v.tpot, 0.95) },
    e2e: { mean: mean(v.e2e), p95: quantile(v.e2e, 0.95) },
  });
  return { measured: of(measured), simulated: of(simulated), requests: measured.ttft.length };
}
