import { describe, expect, it } from 'vitest';
import { explanationLines } from '../../reports/plan.js';
import { plan, type PlanResult } from '../../sim/plan/plan.js';
import { modelPool } from './model-pool.js';

const SCENARIO = 'test/plan/small-fleet.yaml';

async function planWithModel(limits: Parameters<typeof plan>[0]['limits'] = {}, overrides: string[] = []): Promise<PlanResult & { batches: number[] }> {
  const pool = modelPool();
  const result = await plan({ file: SCENARIO, seeds: 2, limits, pool, overrides });
  return { ...result, batches: pool.batches };
}

describe('plan (on a model of the simulator with known answers)', () => {
  it('bisects preStop and the drain, adds a step of margin, and sets the grace period from them', async () => {
    const r = await planWithModel();
    // Rejections stop at preStop 2 s; streams need 60 s on seed 1: the drain, bisected without preStop, stops at 60 s.
    expect(r.notes).toContain(
      'preStop sleep: 2s is the shortest with at most 0 rejected on every seed (bisection ran 0s, 2s, 10s, 30s); 5s recommended, one step of margin',
    );
    expect(r.notes.some((n) => n.startsWith('drain (shutdownTimeout): 60s is the shortest with at most 0 dropped on every seed'))).toBe(true);
    const rec = r.recommended!;
    expect(rec.overrides).toMatchObject({
      'spec.deployment.preStop.sleep': '5s',
      'spec.server.shutdownTimeout': '90s',
      'spec.deployment.terminationGracePeriodSeconds': '100',
    });
    // The drain ladder has 13 values and preStop 7: bisection ran far fewer than all of them.
    expect(r.runsByStage.drain / r.seeds.length).toBeLessThanOrEqual(4 + 6);
    expect(r.pruned.some((p) => p.stage === 'drain' && /more drain never drops more/.test(p.reason))).toBe(true);
  });

  it('recommends the cheapest feasible rollout: no surge, half the fleet at a time, the fast probe', async () => {
    const r = await planWithModel();
    const rec = r.recommended!;
    expect(rec.overrides).toMatchObject({
      'spec.rollout.strategy.rollingUpdate.maxSurge': '0',
      'spec.rollout.strategy.rollingUpdate.maxUnavailable': '50%',
      'spec.deployment.readinessProbe.periodSeconds': '2',
    });
    expect(rec.summary.metrics.extraGpuHours?.mean).toBe(0);
    expect(rec.summary.seeds).toEqual([1, 2]);
    // Every constraint with its margin: TPOT p95 is exactly at its 100 ms bound with half the fleet serving.
    const tpot = rec.margins.find((m) => m.key === 'tpotP95')!;
    expect(tpot).toMatchObject({ passed: true, limit: 100, worst: 100, margin: 0 });
    const ttft = rec.margins.find((m) => m.key === 'ttftP95')!;
    expect(ttft).toMatchObject({ passed: true, limit: 2000, worst: 800, margin: 1200 });
    expect(rec.set).toContain('spec.rollout.strategy.rollingUpdate.maxUnavailable=50%');
  });

  it('ranks candidates by cost, gives every infeasible one its reason, and counts every simulation', async () => {
    const r = await planWithModel();
    const ranks = r.candidates.filter((c) => c.feasible).map((c) => c.rank);
    expect(ranks).toEqual(ranks.map((_, i) => i + 1));
    for (const c of r.candidates.filter((x) => !x.feasible)) expect(c.failed.length).toBeGreaterThan(0);
    const asWritten = r.candidates.find((c) => c.id === r.asWritten)!;
    // The scenario as written has no preStop (20 rejections) and a 10 s drain (5 streams cut on seed 1).
    expect(asWritten.failed).toEqual([
      expect.objectContaining({ constraint: 'dropped', worst: 5, by: 5, failedSeeds: 2 }),
      expect.objectContaining({ constraint: 'rejected', worst: 20, by: 20, failedSeeds: 2 }),
    ]);
    // Search runs, then the recommendation's fresh seeds: 10 to verify it, then more up to the 59 that bound a 5% risk.
    expect(r.runsByStage.verify).toBe(10);
    expect(r.runsByStage.risk).toBe(59 - 2 - 10);
    // A configuration settled by one violating seed (early elimination) runs no further seed.
    expect(r.runs).toBe(r.candidates.reduce((n, c) => n + c.seeds.length, 0) + 10 + 47);
    expect(r.candidates.some((c) => c.seeds.length < r.seeds.length)).toBe(true);
    expect(r.runs).toBe(Object.values(r.runsByStage).reduce((a, b) => a + b, 0));
    expect(r.batches.reduce((a, b) => a + b, 0)).toBe(r.runs);
  });

  it('stops raising maxUnavailable at the first latency failure and says which bound failed by how much', async () => {
    const r = await planWithModel({ maxSpikeRatio: 4 });
    const rec = r.recommended!;
    // Any unavailable pod raises the spike past 4, so the rollout surges one pod at a time instead.
    expect(rec.overrides).toMatchObject({ 'spec.rollout.strategy.rollingUpdate.maxSurge': '1', 'spec.rollout.strategy.rollingUpdate.maxUnavailable': '0' });
    const neighbour = rec.neighbours.find((n) => 'maxUnavailable' in n.differsIn)!;
    expect(neighbour.differsIn).toEqual({ maxUnavailable: '0 → 1' });
    // Between equal costs the calmer rollout wins: the warming probe takes half a point off the spike.
    expect(rec.overrides['spec.deployment.readinessProbe.kind']).toBe('synthetic-inference');
    expect(neighbour.failed).toEqual([expect.objectContaining({ constraint: 'spikeRatio', limit: 4, worst: 4.52 })]);
    expect(neighbour.failed[0].by).toBeCloseTo(0.52, 10);
    expect(r.pruned.some((p) => p.stage === 'unavailable' && /less capacity than maxUnavailable 1, which already failed TTFT p95 spike ratio/.test(p.reason))).toBe(true);
  });

  it('prunes by the GPU budget: blue-green by arithmetic, larger surges once one is over', async () => {
    // 8 replicas: surges 1, 2, 50%, 75%, 100% hold 9 to 16 GPUs; one pod at a time takes 8 waves of 70 s and
    // stalls past 500 s, unless the readiness probe runs every 2 s (waves of 62 s): the refinement finds that.
    const r = await planWithModel({ budgetGpus: 10, maxSpikeRatio: 4 }, ['spec.deployment.replicas=8']);
    expect(r.pruned).toContainEqual(
      expect.objectContaining({ stage: 'blueGreen', reason: 'not run: both fleets hold 16 GPUs at the switch, above the budget of 10' }),
    );
    expect(r.pruned).toContainEqual(
      expect.objectContaining({ stage: 'surge', reason: 'not run: more surge never holds fewer GPUs; surge 2 is the largest within the budget' }),
    );
    expect(r.pruned.find((p) => p.stage === 'surge')?.label).toMatch(/^rollingUpdate surge 75% /);
    expect(r.candidates.some((c) => c.strategy === 'blueGreen')).toBe(false);
    expect(r.recommended!.overrides).toMatchObject({
      'spec.rollout.strategy.rollingUpdate.maxSurge': '1',
      'spec.deployment.readinessProbe.periodSeconds': '2',
    });
    expect(r.recommended!.summary.metrics.peakGpus?.mean).toBe(9);
    expect(r.recommended!.summary.metrics.rolloutSeconds?.mean).toBe(496);
  });

  it('finds the smallest surge that meets --max-duration by bisection', async () => {
    const r = await planWithModel({ maxDurationSeconds: 150, maxSpikeRatio: 4 });
    // Waves of 70 s: surge 1 takes 4 waves (280 s), surge 2 two waves (140 s).
    const rec = r.recommended!;
    expect(rec.strategy).toBe('rollingUpdate');
    expect(rec.overrides['spec.rollout.strategy.rollingUpdate.maxSurge']).toBe('2');
    expect(r.pruned.some((p) => p.stage === 'canary' && /pauses at least as long/.test(p.reason))).toBe(true);
    const slow = r.candidates.find((c) => c.knobs?.maxSurge === '1' && c.knobs?.strategy === 'rollingUpdate' && c.knobs?.maxUnavailable === '0');
    expect(slow?.failed).toContainEqual(expect.objectContaining({ constraint: 'duration', limit: 150, worst: 280, by: 130 }));
    // The runner-up is the cheaper configuration one knob away that lost, and on what (4 waves of 62 s with the 2 s probe).
    expect(rec.explanation.runnerUp).toMatchObject({ differsIn: { maxSurge: '2 → 1' }, reasons: [{ kind: 'constraint', constraint: 'duration', limit: 150, worst: 248 }] });
    expect(explanationLines(r, rec)[0]).toMatch(/^The runner-up c\d+ \(maxSurge 2 → 1\) takes 4m 8s, 1m 38s longer than the 2m 30s allowed\.$/);
  });

  it('gives the same plan twice, with no wall time in it', async () => {
    const a = await planWithModel({ maxSpikeRatio: 4 });
    const b = await planWithModel({ maxSpikeRatio: 4 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(a)).not.toMatch(/wallSeconds/);
  });
  it('searches recreate (stopped at its first refusing seed) and canary step lists generated from four shapes', async () => {
    const r = await planWithModel();
    const recreate = r.candidates.find((c) => c.stage === 'recreate')!;
    expect(recreate.label.startsWith('recreate')).toBe(true);
    expect(recreate.seeds).toHaveLength(1);
    expect(recreate.stoppedOn).toContain('rejected');
    const canaries = r.candidates.filter((c) => c.stage === 'canary').map((c) => c.knobs?.steps);
    expect(canaries).toEqual(expect.arrayContaining(['half, 30s each', 'tenth, half, 30s each', 'quarters, 30s each', 'fifths, 30s each']));
    // A 60 s pause is only tried for a shape whose 30 s list failed on latency alone.
    for (const c of r.candidates.filter((x) => x.stage === 'canary' && x.knobs?.steps?.endsWith('60s each'))) {
      const short = r.candidates.find((x) => x.knobs?.steps === c.knobs?.steps?.replace('60s', '30s'))!;
      expect(short.failed.every((f) => ['ttftP95', 'tpotP95', 'e2eP95', 'spikeRatio'].includes(f.constraint))).toBe(true);
    }
  });
});
