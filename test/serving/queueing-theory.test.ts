import { describe, expect, it } from 'vitest';
import { constant, exponential, lognormalFromMeanCv, type Distribution } from '../../sim/engine/distributions.js';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';
import { QueueStation } from '../../sim/serving/queue-station.js';
import type { Request, RequestSink } from '../../sim/traffic/request.js';
import { erlangC, mm1k, mmcMeanWait, pollaczekKhinchineWait, secondMomentFromMeanCv } from './queueing-formulas.js';
import { makeRequest } from './replica-harness.js';

/**
 * The queue station against exact queueing results (queueing.md). Each estimate gets a 95% confidence interval
 * from 30 batch means over the customers after a 10% warm-up (waits of successive customers are correlated, so
 * the naive standard error would be too narrow), and the exact value must lie inside it.
 */

const BATCHES = 30;
/** Student t, 97.5% quantile, 29 degrees of freedom. */
const T_29 = 2.045;
const WARM_UP_SHARE = 0.1;
const SEED = 1;

interface StationRun {
  /** Per customer in arrival order (NaN when rejected): wait in queue, and time in system. */
  waits: Float64Array;
  sojourns: Float64Array;
  blocked: Uint8Array;
  /** Time-average number in the station over the run, from the station's own outstanding() count. */
  timeAverageInSystem: number;
  acceptedRate: number;
  meanSojourn: number;
}

function runStation(opts: { lambda: number; service: Distribution; c: number; maxWaiting?: number; customers: number; seed: number }): StationRun {
  const { customers } = opts;
  const sim = new Simulator();
  const streams = new RandomStreams(opts.seed);
  const arrivals = streams.stream('test.arrivals');
  const interArrival = exponential(1 / opts.lambda);
  const waits = new Float64Array(customers).fill(NaN);
  const sojourns = new Float64Array(customers).fill(NaN);
  const blocked = new Uint8Array(customers);
  let area = 0;
  let lastChange = 0;
  /** Integrates the number in system up to now, given the count that held since the last change. */
  const accumulate = (inSystem: number) => {
    area += inSystem * (sim.now - lastChange);
    lastChange = sim.now;
  };
  const sink: RequestSink = {
    firstToken: (req, at) => {
      waits[req.id] = at - req.arrival;
    },
    completed: (req, at) => {
      accumulate(station.outstanding() + 1); // the station already let it go
      sojourns[req.id] = at - req.arrival;
    },
    dropped: () => {
      throw new Error('nothing is dropped in these runs');
    },
    rejected: (req: Request, _at: number, cause: string) => {
      if (cause !== 'queue-full') throw new Error(`unexpected rejection ${cause}`);
      blocked[req.id] = 1;
    },
  };
  const station = new QueueStation(sim, sink, { serviceTime: opts.service, concurrency: opts.c, maxWaiting: opts.maxWaiting }, streams.stream('server.service'));
  const arrive = sim.handler((id) => {
    accumulate(station.outstanding());
    station.submit(makeRequest(id, sim.now, 1, 1));
    if (id + 1 < customers) sim.after(interArrival.sample(arrivals), arrive, id + 1);
  });
  sim.at(0, arrive, 0);
  sim.run();
  let accepted = 0;
  let sojournSum = 0;
  for (let i = 0; i < customers; i++) {
    if (blocked[i]) continue;
    accepted++;
    sojournSum += sojourns[i];
  }
  return {
    waits,
    sojourns,
    blocked,
    timeAverageInSystem: area / sim.now,
    acceptedRate: accepted / sim.now,
    meanSojourn: sojournSum / accepted,
  };
}

interface Interval {
  mean: number;
  halfWidth: number;
}

/** 95% batch-means interval of `value(i)` over customers after the warm-up, skipping NaN (rejected) ones. */
function batchMeans(customers: number, value: (i: number) => number): Interval {
  const start = Math.floor(customers * WARM_UP_SHARE);
  const size = Math.floor((customers - start) / BATCHES);
  const means: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    let sum = 0;
    let n = 0;
    for (let i = start + b * size; i < start + (b + 1) * size; i++) {
      const v = value(i);
      if (Number.isNaN(v)) continue;
      sum += v;
      n++;
    }
    means.push(sum / n);
  }
  const mean = means.reduce((s, m) => s + m, 0) / BATCHES;
  const variance = means.reduce((s, m) => s + (m - mean) ** 2, 0) / (BATCHES - 1);
  return { mean, halfWidth: (T_29 * Math.sqrt(variance)) / Math.sqrt(BATCHES) };
}

/**
 * The exact value lies in the interval, and the interval is narrower than a tenth of `scale` (a wide interval
 * would prove nothing): the value itself, or for waits shorter than a service time, the mean service time.
 */
function expectCovers(interval: Interval, exact: number, what: string, scale = exact): void {
  const message = `${what}: exact ${exact.toPrecision(6)}, simulated ${interval.mean.toPrecision(6)} ± ${interval.halfWidth.toPrecision(3)}`;
  expect(Math.abs(interval.mean - exact), message).toBeLessThanOrEqual(interval.halfWidth);
  expect(interval.halfWidth, message).toBeLessThan(0.1 * scale);
}

/** Little's law, L = λW, between the station's own count and the reported times. */
function expectLittle(run: StationRun): void {
  const lambdaW = run.acceptedRate * run.meanSojourn;
  expect(Math.abs(run.timeAverageInSystem - lambdaW) / lambdaW).toBeLessThan(1e-9);
}

describe('queueing formulas', () => {
  it('reproduce the reference example (c=3, λ=2.4, μ=1)', () => {
    expect(erlangC(3, 2.4)).toBeCloseTo(0.64719, 5);
    expect(mmcMeanWait(2.4, 1, 3)).toBeCloseTo(1.07865, 5);
    expect(erlangC(1, 0.8)).toBeCloseTo(0.8, 12); // M/M/1: P(wait) = ρ
    expect(pollaczekKhinchineWait(0.8, 1, 2)).toBeCloseTo(mmcMeanWait(0.8, 1, 1), 12); // exponential: E[S²] = 2
  });
});

describe('queue station matches queueing theory', () => {
  const mmc = [
    { c: 1, rho: 0.7, customers: 300_000 },
    { c: 1, rho: 0.9, customers: 600_000 },
    { c: 4, rho: 0.95, customers: 900_000 },
    { c: 16, rho: 0.9, customers: 400_000 },
    { c: 64, rho: 0.95, customers: 400_000 },
  ];
  for (const { c, rho, customers } of mmc) {
    it(`M/M/${c} at ρ=${rho}: Erlang C mean wait and P(wait)`, () => {
      const mu = 1;
      const lambda = rho * c * mu;
      const run = runStation({ lambda, service: exponential(1 / mu), c, customers, seed: SEED });
      const exactWait = mmcMeanWait(lambda, mu, c);
      expectCovers(batchMeans(customers, (i) => run.waits[i]), exactWait, 'mean wait', Math.max(exactWait, 1 / mu));
      expectCovers(batchMeans(customers, (i) => (run.waits[i] > 0 ? 1 : 0)), erlangC(c, lambda / mu), 'P(wait)');
      expectLittle(run);
    });
  }

  it('M/D/1 at ρ=0.8: Pollaczek–Khinchine', () => {
    const customers = 300_000;
    const run = runStation({ lambda: 0.8, service: constant(1), c: 1, customers, seed: SEED });
    expectCovers(batchMeans(customers, (i) => run.waits[i]), pollaczekKhinchineWait(0.8, 1, 1), 'mean wait');
    expectLittle(run);
  });

  it('M/G/1 with lognormal service (CV 2) at ρ=0.7: Pollaczek–Khinchine', () => {
    const customers = 800_000;
    const run = runStation({ lambda: 0.7, service: lognormalFromMeanCv(1, 2), c: 1, customers, seed: SEED });
    expectCovers(batchMeans(customers, (i) => run.waits[i]), pollaczekKhinchineWait(0.7, 1, secondMomentFromMeanCv(1, 2)), 'mean wait');
    expectLittle(run);
  });

  for (const lambda of [0.9, 1.3]) {
    it(`M/M/1/K with K=5 at λ/μ=${lambda}: blocking probability and time in system`, () => {
      const customers = 300_000;
      const k = 5;
      const run = runStation({ lambda, service: exponential(1), c: 1, maxWaiting: k - 1, customers, seed: SEED });
      const exact = mm1k(lambda, 1, k);
      expectCovers(batchMeans(customers, (i) => run.blocked[i]), exact.blocking, 'P(block)');
      expectCovers(batchMeans(customers, (i) => run.sojourns[i]), exact.meanSojourn, 'mean time in system');
      expectLittle(run);
    });
  }
});
