import { gammaFromMeanCv } from '../engine/distributions.js';
import { RandomStreams } from '../engine/random.js';
import { Simulator } from '../engine/simulator.js';
import { Replica, type ReplicaConfig } from '../serving/replica.js';
import type { StepTimeModel } from '../serving/step-time/types.js';
import { firstAttempt } from '../traffic/attempt.js';
import type { Request, RequestSink } from '../traffic/request.js';
import type { SendPlan } from './bench-run.js';

/** One request of a replayed workload. */
export interface ReplayRequest {
  /** Seconds since the first send; NaN when unknown (then the send plan decides). */
  readonly sentAt: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
}

/** What the simulated server did with each request, in the workload's order (NaN: it did not finish). */
export interface ReplayResult {
  readonly ttft: Float64Array;
  readonly e2e: Float64Array;
  /** When each request was sent (after the concurrency bound let it go). */
  readonly sent: Float64Array;
  /** Simulated seconds from the first send to the last completion. */
  readonly duration: number;
}

/**
 * Replays a load generator's run against one simulated replica (warm: the generators send a test request
 * first). Requests with recorded times are issued at those times; without them as the generator would have:
 * all at once when the rate is infinite, else at gamma-distributed gaps of shape `burstiness` rescaled so the
 * last is at n / rate (vllm bench serve's get_request). Never more than `maxConcurrency` are in flight (its
 * semaphore). Latencies count from the send, as the generators measure them.
 */
export function replay(requests: readonly ReplayRequest[], plan: SendPlan, stepTime: StepTimeModel, config: ReplicaConfig, seed = 1): ReplayResult {
  const n = requests.length;
  const ttft = new Float64Array(n).fill(NaN);
  const e2e = new Float64Array(n).fill(NaN);
  const sent = new Float64Array(n);
  const sim = new Simulator();
  const timed = requests.every((r) => Number.isFinite(r.sentAt));
  // Recorded times are sends (already under the bound) or arrivals at it: either way the bound holds again, so a
  // simulated server slower or faster than the real one meets the closed loop the generator ran.
  const limit = plan.maxConcurrency;
  const due = timed ? requests.map((r) => r.sentAt) : plannedSends(n, plan, seed);
  // Sent in time order (a generator's list is in send order up to ties; a stable sort keeps that order).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => due[a] - due[b]);
  let inFlight = 0;
  let next = 0;
  let lastEnd = 0;
  /** The pending submit event's time (one at a time), Infinity when none. */
  let wakeAt = Infinity;
  const wake = (at: number) => {
    if (at >= wakeAt) return;
    wakeAt = at;
    sim.at(at, submit);
  };

  const submit = sim.handler(() => {
    if (sim.now < wakeAt) return; // superseded by an earlier wake
    wakeAt = Infinity;
    // Every request due by now goes out while the concurrency bound allows.
    while (next < n && due[order[next]] <= sim.now && inFlight < limit) {
      const i = order[next];
      const r = requests[i];
      sent[i] = sim.now;
      inFlight++;
      replica.submit(firstAttempt(i, sim.now, r.promptTokens, r.outputTokens, -1, 0));
      next++;
    }
    if (next < n && inFlight < limit) wake(Math.max(due[order[next]], sim.now));
  });
  const freeSlot = sim.handler(() => {
    inFlight--;
    if (next < n) wake(Math.max(due[order[next]], sim.now));
  });
  const sink: RequestSink = {
    firstToken: (req: Request, at: number) => {
      ttft[req.id] = at - sent[req.id];
    },
    completed: (req: Request, at: number) => {
      e2e[req.id] = at - sent[req.id];
      lastEnd = at;
      sim.at(at, freeSlot);
    },
    dropped: (_req: Request, at: number) => sim.at(at, freeSlot),
    rejected: (_req: Request, at: number) => sim.at(at, freeSlot),
  };
  const replica = new Replica({ sim, sink, stepTime, config, warm: true });
  if (n > 0) wake(due[order[0]]);
  sim.run();
  return { ttft, e2e, sent, duration: lastEnd };
}

/** Send times of vllm bench serve's get_request, from our own seeded stream (numpy's draws are not recorded). */
function plannedSends(n: number, plan: SendPlan, seed: number): number[] {
  if (plan.requestRate === Infinity) return new Array<number>(n).fill(0);
  const times = new Array<number>(n);
  if (plan.burstiness === Infinity) {
    for (let i = 0; i < n; i++) times[i] = (i + 1) / plan.requestRate;
    return times;
  }
  const gaps = gammaFromMeanCv(1 / plan.requestRate, 1 / Math.sqrt(plan.burstiness));
  const rng = new RandomStreams(seed).stream('calibrate.sends');
  let t = 0;
  for (let i = 0; i < n; i++) times[i] = t += gaps.sample(rng);
  const scale = n / plan.requestRate / times[n - 1];
  for (let i = 0; i < n; i++) times[i] *= scale;
  return times;
}
