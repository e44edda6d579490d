import { RandomStreams } from '../engine/random.js';
import type { BenchRun, MeasuredRequest, SendPlan } from './bench-run.js';
import { replayRuns, type ServerUnderTest, type ServingParams } from './fit-serving.js';

/** A workload to synthesise: request count, send plan and token ranges (uniform). */
export interface SyntheticWorkload {
  readonly requests: number;
  /** Poisson rate of each successive quarter of the run (requests per second): load varies, so batches do. */
  readonly rates: readonly number[];
  readonly prompt: readonly [number, number];
  readonly output: readonly [number, number];
  readonly seed: number;
}

const OPEN: SendPlan = { requestRate: Infinity, burstiness: 1, maxConcurrency: Infinity };

/**
 * A benchmark run measured on the simulator itself with known parameters: the ground truth of the recovery
 * tests (a fit must give the parameters back) and of the fixtures' sample files. Sends follow `workload.rates`
 * (recorded send times) or, given a `plan`, the plan (no send times, as older vllm bench files).
 */
export function synthesiseRun(workload: SyntheticWorkload, server: ServerUnderTest, params: ServingParams, file = 'synthetic', plan?: SendPlan): BenchRun {
  const rng = new RandomStreams(workload.seed).stream('calibrate.synthetic');
  const draw = ([lo, hi]: readonly [number, number]) => lo + Math.floor(rng.next() * (hi - lo + 1));
  const perPhase = Math.ceil(workload.requests / workload.rates.length);
  const shapes: MeasuredRequest[] = [];
  let t = 0;
  for (let i = 0; i < workload.requests; i++) {
    if (i > 0) t += -Math.log(1 - rng.next()) / workload.rates[Math.floor(i / perPhase)];
    shapes.push({ index: i, sentAt: plan === undefined ? t : NaN, promptTokens: draw(workload.prompt), outputTokens: draw(workload.output), ttft: NaN, e2e: NaN });
  }
  const shell: BenchRun = { file, format: 'vllm-bench', modelId: server.model.architecture.name, plan: plan ?? OPEN, requests: shapes, failed: 0 };
  const [measured] = replayRuns([shell], server, params);
  // Send times as the generator records them (after its concurrency bound), whether or not its file keeps them.
  return { ...shell, requests: shapes.map((r, i) => ({ ...r, sentAt: measured.sent[i], ttft: measured.ttft[i], e2e: measured.e2e[i] })) };
}
