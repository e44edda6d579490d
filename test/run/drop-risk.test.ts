import { describe, expect, it } from 'vitest';
import { cutProbability, tokensReachableByCut } from '../../sim/run/drop-risk.js';
import { exponential } from '../../sim/engine/distributions.js';
import { run, scenario, type Doc } from '../validation/scenario-kit.js';

describe("the drop estimator's arithmetic", () => {
  it('P(cut) is the chance the length outlives the tokens reachable by the cut, given what was streamed', () => {
    // Memoryless lengths: only the tokens still to come matter.
    const s = (k: number) => exponential(100).survival(k);
    expect(cutProbability(s, 0, 100)).toBeCloseTo(Math.exp(-1), 12);
    expect(cutProbability(s, 400, 500)).toBeCloseTo(Math.exp(-1), 12);
    // A stream that cannot have lasted this long contributes nothing (never NaN).
    expect(cutProbability(() => 0, 10, 20)).toBe(0);
    expect(cutProbability(s, 10, 5)).toBe(1);
  });

  it('a stream that completed first goes on one token per engine step, then at the last batch pace', () => {
    // Completed with 200 tokens; the pod ran 50 more steps; its last step ended 10 s before the cut at 0.02 s a step.
    expect(tokensReachableByCut(200, 50, 90, 0.02, 100)).toBeCloseTo(200 + 50 + 500, 9);
    // Cut while the pod was still busy: only the steps count.
    expect(tokensReachableByCut(200, 50, 100, 0.02, 100)).toBe(250);
  });
});

/** A rolling update that cuts streams: 8B replicas, a short drain, long lognormal outputs. */
function cuttingRollout(outputTokens: Doc) {
  return scenario({
    duration: '240s',
    server: { model: undefined, serviceTime: undefined, concurrency: undefined, maxNumSeqs: 64, shutdownTimeout: '5s' },
    startup: { weightLoad: '10s' },
    deployment: { replicas: 3, preStop: { sleep: '2s' }, terminationGracePeriodSeconds: 60 },
    rollout: { at: '60s', strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
    traffic: { arrival: { poisson: { rate: '8/s' } }, promptTokens: { constant: 300 }, outputTokens: { constant: undefined, ...outputTokens } },
    metrics: { windowSeconds: '10s' },
  });
}

describe('requests.expectedDropped and risk.pAnyDrop through a whole run', () => {
  it('equal the sample when every length is the same (nothing left to integrate out)', () => {
    const summary = run(cuttingRollout({ constant: 1500 })).summary;
    expect(summary.requests.dropped).toBeGreaterThan(0);
    expect(summary.requests.expectedDropped).toBeCloseTo(summary.requests.dropped, 9);
    expect(summary.risk).toEqual({ pAnyDrop: 1, dropEstimator: 'conditional' });
  });

  it('a drain that outlasts every stream gives 0 expected drops and 0 risk', () => {
    const doc = cuttingRollout({ constant: 40 });
    const summary = run(doc).summary;
    expect(summary.requests.dropped).toBe(0);
    expect(summary.requests.expectedDropped).toBe(0);
    expect(summary.risk.pAnyDrop).toBe(0);
  });

  it('over seeds, the estimate has the sample mean and a fraction of its variance', () => {
    const doc = cuttingRollout({ lognormal: { p50: 60, p90: 400 } });
    const seeds = 24;
    const sampled: number[] = [];
    const expected: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const { requests } = run(doc, { seed }).summary;
      sampled.push(requests.dropped);
      expected.push(requests.expectedDropped);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = (xs: number[]) => xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1);
    const halfWidth = 1.96 * Math.sqrt(variance(sampled) / seeds);
    expect(mean(sampled)).toBeGreaterThan(0.5);
    expect(Math.abs(mean(expected) - mean(sampled))).toBeLessThan(halfWidth);
    expect(variance(expected) * 4).toBeLessThan(variance(sampled));
  });
});
