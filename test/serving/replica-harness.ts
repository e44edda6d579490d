import type { Distribution } from '../../sim/engine/distributions.js';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { Replica, type ReplicaConfig, type ReplicaOptions } from '../../sim/serving/replica.js';
import type { BatchShape, StepTimeModel } from '../../sim/serving/step-time/types.js';
import type { Request, RequestSink } from '../../sim/traffic/request.js';

/** Test helpers for the replica engine: a linear step-time model, a checking sink, a Poisson workload driver. */

/** step = base + per prefill token + per attention pair + per decoding sequence + per context token read. */
export class LinearStepTime implements StepTimeModel {
  readonly name = 'linear-test';
  readonly shapes: BatchShape[] = [];
  constructor(
    private readonly coefficients = { base: 0.005, prefillToken: 1e-4, attentionPair: 1e-9, decodeSeq: 5e-5, contextToken: 2e-7 },
    private readonly record = false,
  ) {}
  stepSeconds(b: BatchShape): number {
    if (this.record) this.shapes.push({ ...b });
    const c = this.coefficients;
    return (
      c.base +
      c.prefillToken * b.prefillTokens +
      c.attentionPair * b.prefillAttentionPairs +
      c.decodeSeq * b.decodeSeqs +
      c.contextToken * b.decodeContextTokens
    );
  }
}

export function makeRequest(id: number, arrival: number, prompt: number, output: number, group = -1, prefix = 0): Request {
  return {
    id,
    logicalId: id,
    attempt: 1,
    firstArrival: arrival,
    arrival,
    promptTokens: prompt,
    outputTokens: output,
    prefixGroup: group,
    prefixTokens: group >= 0 ? Math.min(prefix, prompt) : 0,
    shadow: false,
    requestedAdapter: -1,
    adapter: -1,
    version: null,
    podId: -1,
    firstTokenAt: NaN,
    finishedAt: NaN,
    tokensStreamed: 0,
  };
}

export type OutcomeKind = 'completed' | 'dropped' | 'rejected' | 'cancelled';
export interface Outcome {
  kind: OutcomeKind;
  at: number;
  cause: string;
  tokensStreamed: number;
}

/** Records every outcome and throws (failing the test) when a request ends twice or streams after its end. */
export class RecordingSink implements RequestSink {
  readonly outcomes = new Map<number, Outcome>();
  readonly firstTokens = new Map<number, number>();

  firstToken(req: Request, at: number): void {
    if (this.firstTokens.has(req.id)) throw new Error(`request ${req.id} got a second first token`);
    if (this.outcomes.has(req.id)) throw new Error(`request ${req.id} got a first token after its end`);
    if (req.firstTokenAt !== at) throw new Error(`request ${req.id}: firstTokenAt ${req.firstTokenAt} != ${at}`);
    this.firstTokens.set(req.id, at);
  }
  completed(req: Request, at: number): void {
    if (req.tokensStreamed !== req.outputTokens) throw new Error(`request ${req.id} completed with ${req.tokensStreamed} tokens`);
    this.end(req, 'completed', at, '');
  }
  dropped(req: Request, at: number, cause: string): void {
    this.end(req, 'dropped', at, cause);
  }
  rejected(req: Request, at: number, cause: string): void {
    this.end(req, 'rejected', at, cause);
  }
  /** The client gave up (the test's own time-out). */
  cancelled(req: Request, at: number): void {
    this.end(req, 'cancelled', at, 'timeout');
  }
  count(kind: OutcomeKind): number {
    let n = 0;
    for (const o of this.outcomes.values()) if (o.kind === kind) n++;
    return n;
  }
  private end(req: Request, kind: OutcomeKind, at: number, cause: string): void {
    if (this.outcomes.has(req.id)) throw new Error(`request ${req.id} ended twice (${this.outcomes.get(req.id)!.kind}, then ${kind})`);
    this.outcomes.set(req.id, { kind, at, cause, tokensStreamed: req.tokensStreamed });
  }
}

export const TEST_CONFIG: ReplicaConfig = {
  maxNumSeqs: 64,
  maxNumBatchedTokens: 2048,
  kvBlocks: 4096,
  blockSize: 16,
  prefixCaching: true,
  coldStart: { firstStepSeconds: 1.1, steps: 20, initialFactor: 1.5 },
};

export interface Workload {
  seed: number;
  requests: number;
  /** Arrivals per second (Poisson). */
  rate: number;
  prompt: Distribution;
  output: Distribution;
  /** Share of requests in a prefix group, the number of groups and each group's prefix length. */
  prefixShare?: number;
  groups?: number;
  prefixTokens?: number;
  /** Client time-out after arrival: the request is cancelled if it has not ended. */
  timeout?: number;
  /** abortAll at this time. */
  abortAt?: number;
}

export interface WorkloadRun {
  sim: Simulator;
  replica: Replica;
  sink: RecordingSink;
  requests: Request[];
  /** Events of the replica alone (the workload's arrivals, time-outs and abort excluded). */
  replicaEvents: number;
}

/** Runs a Poisson workload against one replica to the end (or until the abort). */
export function runWorkload(
  workload: Workload,
  replicaOptions: Omit<ReplicaOptions, 'sim' | 'sink'>,
  /** Schedules the test's own events before the run; `requests` fills as they arrive. */
  beforeRun?: (sim: Simulator, replica: Replica, requests: Request[]) => void,
): WorkloadRun {
  const sim = new Simulator();
  const sink = new RecordingSink();
  const replica = new Replica({ ...replicaOptions, sim, sink });
  const streams = new RandomStreams(workload.seed);
  const arrivals = streams.stream('test.arrivals');
  const lengths = streams.stream('test.lengths');
  const requests: Request[] = [];
  let driverEvents = 0;
  const arrive = sim.handler((index) => {
    driverEvents++;
    const share = workload.prefixShare ?? 0;
    const group = lengths.next() < share ? Math.floor(lengths.next() * (workload.groups ?? 1)) : -1;
    const prompt = Math.max(1, Math.round(workload.prompt.sample(lengths)));
    const output = Math.max(1, Math.round(workload.output.sample(lengths)));
    const req = makeRequest(index, sim.now, prompt, output, group, workload.prefixTokens ?? 0);
    requests.push(req);
    if (workload.timeout !== undefined) sim.after(workload.timeout, giveUp, index);
    if (index + 1 < workload.requests) sim.after(-Math.log(1 - arrivals.next()) / workload.rate, arrive, index + 1);
    replica.submit(req);
  });
  const giveUp = sim.handler((index) => {
    driverEvents++;
    const req = requests[index];
    if (sink.outcomes.has(req.id)) return;
    replica.cancel(req);
    sink.cancelled(req, sim.now);
  });
  const abort = sim.handler(() => {
    driverEvents++;
    replica.abortAll('sigterm-abort', 'aborted-before-start');
  });
  sim.at(0, arrive, 0);
  if (workload.abortAt !== undefined) sim.at(workload.abortAt, abort);
  beforeRun?.(sim, replica, requests);
  sim.run();
  return { sim, replica, sink, requests, replicaEvents: sim.eventsProcessed - driverEvents };
}
