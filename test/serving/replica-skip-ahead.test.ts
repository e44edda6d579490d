import { describe, expect, it } from 'vitest';
import { constant, lognormalFromMeanCv, uniform } from '../../sim/engine/distributions.js';
import { LinearStepTime, TEST_CONFIG, runWorkload, type Workload } from './replica-harness.js';
import type { ReplicaConfig } from '../../sim/serving/replica.js';

/**
 * Skipping ahead over steps whose batch cannot change must not change any result: the same workload run one
 * event per step and with unlimited steps per event gives bit-identical per-request times and token counts.
 */

interface Case {
  name: string;
  workload: Workload;
  config: Partial<ReplicaConfig>;
  warm?: boolean;
  /** The replica's events stepping one by one over its events skipping ahead, at least. */
  minSaving: number;
}

const cases: Case[] = [
  {
    name: 'light load, long outputs, cold start',
    workload: { seed: 1, requests: 300, rate: 2, prompt: lognormalFromMeanCv(800, 1), output: lognormalFromMeanCv(300, 1) },
    config: {},
    minSaving: 10,
  },
  {
    name: 'heavy load with a sequence cap and a waiting queue',
    workload: { seed: 2, requests: 600, rate: 40, prompt: lognormalFromMeanCv(600, 1.2), output: lognormalFromMeanCv(200, 1.5) },
    config: { maxNumSeqs: 16, maxNumBatchedTokens: 1024 },
    minSaving: 5,
    warm: true,
  },
  {
    name: 'small KV: preemptions, shared prefixes, evictions',
    workload: {
      seed: 3,
      requests: 500,
      rate: 15,
      prompt: uniform(100, 1500),
      output: uniform(1, 600),
      prefixShare: 0.7,
      groups: 6,
      prefixTokens: 300,
    },
    config: { kvBlocks: 700 },
    minSaving: 5,
  },
  {
    name: 'time-outs cancel waiting and running requests, then an abort',
    workload: {
      seed: 4,
      requests: 800,
      rate: 25,
      prompt: lognormalFromMeanCv(500, 1),
      output: lognormalFromMeanCv(250, 1),
      prefixShare: 0.5,
      groups: 3,
      prefixTokens: 200,
      timeout: 8,
      abortAt: 30,
    },
    config: { kvBlocks: 1500, maxNumSeqs: 32 },
    minSaving: 4,
  },
  {
    name: 'one-token outputs and prompts exactly on block boundaries',
    workload: { seed: 5, requests: 300, rate: 30, prompt: constant(64), output: uniform(1, 40) },
    config: { kvBlocks: 200, maxNumSeqs: 8, maxNumBatchedTokens: 128 },
    minSaving: 2,
  },
];

describe('replica skip-ahead', () => {
  for (const c of cases) {
    it(`gives bit-identical results: ${c.name}`, () => {
      const run = (maxStepsPerEvent: number) =>
        runWorkload(c.workload, {
          stepTime: new LinearStepTime(),
          config: { ...TEST_CONFIG, ...c.config },
          warm: c.warm,
          maxStepsPerEvent,
        });
      const stepwise = run(1);
      const skipping = run(Infinity);

      expect(skipping.requests.length).toBe(c.workload.requests);
      for (let i = 0; i < stepwise.requests.length; i++) {
        const a = stepwise.requests[i];
        const b = skipping.requests[i];
        expect([b.id, b.firstTokenAt, b.finishedAt, b.tokensStreamed]).toEqual([a.id, a.firstTokenAt, a.finishedAt, a.tokensStreamed]);
        expect(skipping.sink.outcomes.get(b.id)).toEqual(stepwise.sink.outcomes.get(a.id));
      }
      expect(skipping.replica.stats).toEqual(stepwise.replica.stats);
      expect(skipping.sim.now).toBe(stepwise.sim.now);
      // Every request ended exactly once (the sink throws on a second end).
      expect(stepwise.sink.outcomes.size).toBe(c.workload.requests);
      // One event per step against one per run of unchanging steps.
      expect(stepwise.replicaEvents).toBeGreaterThanOrEqual(stepwise.replica.stats.steps);
      expect(skipping.replicaEvents * c.minSaving).toBeLessThan(stepwise.replicaEvents);
    });
  }

  it('materialise() brings tokens streamed up to now in the middle of a run of skipped steps', () => {
    const sampleAt = [3.3, 17.77, 40.1];
    const samples = (maxStepsPerEvent: number) => {
      const seen: number[] = [];
      const c = cases[0];
      runWorkload(c.workload, { stepTime: new LinearStepTime(), config: TEST_CONFIG, maxStepsPerEvent }, (sim, replica, requests) => {
        const sample = sim.handler(() => {
          replica.materialise();
          for (const r of requests) seen.push(r.tokensStreamed);
        });
        for (const t of sampleAt) sim.at(t, sample);
      });
      return seen;
    };
    const stepwise = samples(1);
    expect(stepwise.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    expect(samples(Infinity)).toEqual(stepwise);
  });

  it('exercises what it claims: preemptions, prefix hits, time-outs and the abort happen', () => {
    const stats = (c: Case) =>
      runWorkload(c.workload, { stepTime: new LinearStepTime(), config: { ...TEST_CONFIG, ...c.config }, warm: c.warm });
    const small = stats(cases[2]);
    expect(small.replica.stats.preemptions).toBeGreaterThan(10);
    expect(small.replica.stats.prefixHitTokens).toBeGreaterThan(10_000);
    const cut = stats(cases[3]);
    expect(cut.sink.count('cancelled')).toBeGreaterThan(10);
    expect(cut.sink.count('dropped')).toBeGreaterThan(0);
    expect(cut.sink.count('rejected')).toBeGreaterThan(0);
  });
});
