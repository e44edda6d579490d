/**
 * A whole run as an M/M/c queue (issue 8 §1, through runScenario rather than the station alone — the station
 * itself is checked against Erlang C, Pollaczek–Khinchine and M/M/1/K in test/serving/queueing-theory.test.ts).
 * 4 pods × 2 servers of exponential service (mean 1 s) behind the gateway's central queue, which dispatches only
 * to a free server: M/M/8 with λ = 6/s, ρ = 0.75. Four seeds of 20,000 s (~480,000 customers), the first 10 %
 * of each dropped as warm-up.
 * Allowed: mean sojourn W within ±2 % and mean wait Wq within ±10 % of Erlang C. Single 20,000 s runs scatter by
 * about ±1 % (W) and ±6 % (Wq, one standard deviation, measured over seeds), so the four-seed mean is ~3σ inside
 * these bounds. Little's law, L = λW from the sampled queue lengths, within ±5 %.
 */
import { describe, expect, it } from 'vitest';
import { mmcMeanWait } from '../serving/queueing-formulas.js';
import { run } from './scenario-kit.js';

const LAMBDA = 6;
const C = 8;
const MU = 1;
const DURATION = 20_000;
const WARM_UP = DURATION / 10;

function mmcRun(seed: number) {
  const result = run(
    {
      apiVersion: 'rollout-sim/v1alpha1',
      kind: 'Scenario',
      metadata: { name: 'mmc' },
      spec: {
        seed,
        duration: `${DURATION}s`,
        cluster: { nodePools: [{ name: 'a', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 1 }], autoscaler: 'none' },
        model: { name: 'llama-3.1-8b' },
        server: { model: 'queue', serviceTime: { exponential: { mean: `${1 / MU}s` } }, concurrency: C / 4 },
        deployment: { replicas: 4 },
        traffic: { arrival: { poisson: { rate: `${LAMBDA}/s` } }, promptTokens: { constant: 1 }, outputTokens: { constant: 1 } },
        routing: { policy: 'central-queue' },
        metrics: { windowSeconds: '10s' },
      },
    },
    { collectRequests: true },
  );
  const served = (result.requests ?? []).filter((q) => q.outcome === 'completed' && q.arrival > WARM_UP);
  const mean = (f: (q: (typeof served)[number]) => number) => served.reduce((s, q) => s + f(q), 0) / served.length;
  const steady = result.series.filter((r) => r.t > WARM_UP);
  return {
    failed: result.summary.requests.rejected + result.summary.requests.dropped,
    w: mean((q) => q.finishedAt - q.arrival),
    // The queue station streams its one token when service starts: TTFT is the wait in queue.
    wq: mean((q) => (q.firstTokenAt as number) - q.arrival),
    inSystem: steady.reduce((sum, r) => sum + r.gatewayQueue + r.running + r.waiting, 0) / steady.length,
  };
}

describe('a whole run as M/M/c (central queue over queueing-mode pods)', () => {
  it("W and Wq match Erlang C, and Little's law holds on the sampled queue", () => {
    const runs = [1, 2, 3, 4].map(mmcRun);
    const avg = (k: 'w' | 'wq' | 'inSystem') => runs.reduce((s, r) => s + r[k], 0) / runs.length;
    const wq = mmcMeanWait(LAMBDA, MU, C);
    const w = wq + 1 / MU;
    const [measuredW, measuredWq, inSystem] = [avg('w'), avg('wq'), avg('inSystem')];
    const rel = (a: number, b: number) => `${((a / b - 1) * 100).toFixed(2)} %`;
    console.log(
      `W ${measuredW.toFixed(4)} s vs ${w.toFixed(4)} (${rel(measuredW, w)}), Wq ${measuredWq.toFixed(4)} s vs ${wq.toFixed(4)} ` +
        `(${rel(measuredWq, wq)}; per seed ${runs.map((r) => r.wq.toFixed(3)).join(', ')}), L ${inSystem.toFixed(3)} vs λW ` +
        `${(LAMBDA * measuredW).toFixed(3)} (${rel(inSystem, LAMBDA * measuredW)})`,
    );
    for (const r of runs) expect(r.failed).toBe(0);
    expect(Math.abs(measuredW / w - 1)).toBeLessThan(0.02);
    expect(Math.abs(measuredWq / wq - 1)).toBeLessThan(0.1);
    expect(Math.abs(inSystem / (LAMBDA * measuredW) - 1)).toBeLessThan(0.05);
  });
});
