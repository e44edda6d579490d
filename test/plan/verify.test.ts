import { describe, expect, it } from 'vitest';
import { renderPlanJson, renderPlanMarkdown } from '../../reports/plan.js';
import { plan } from '../../sim/plan/plan.js';
import { freshSeeds } from '../../sim/plan/verify.js';
import { modelPool } from './model-pool.js';

const SCENARIO = 'test/plan/small-fleet.yaml';
const RECOMMENDED_ON_QUIET_SEEDS = { 'spec.rollout.strategy.rollingUpdate.maxSurge': '0', 'spec.rollout.strategy.rollingUpdate.maxUnavailable': '50%' };

describe('verification on fresh seeds (on the model of the simulator)', () => {
  it('takes fresh seeds after the search seeds, never one of them', () => {
    expect(freshSeeds([1, 2, 3], 0, 4)).toEqual([4, 5, 6, 7]);
    expect(freshSeeds([1, 2, 3], 4, 2)).toEqual([8, 9]);
  });

  it('recommends the next candidate when the cheapest fails a verification seed, and says which constraint on which seed', async () => {
    // Seed 5 is busy: TPOT rises 10%, so half the fleet serving (exactly at 100 ms on seeds 1 and 2) fails it.
    const r = await plan({ file: SCENARIO, seeds: 2, pool: modelPool({ busySeeds: [5] }) });
    // Every configuration with half the fleet serving fails seed 5 (the three cheapest differ in the probe only);
    // the next one in cost order keeps three of four serving.
    const rejected = r.candidates.filter((c) => c.verification !== null && c.verification.failed > 0);
    expect(rejected.map((c) => c.rank)).toEqual([1, 2, 3]);
    for (const c of rejected) {
      expect(c.overrides).toMatchObject(RECOMMENDED_ON_QUIET_SEEDS);
      expect(c.verification).toMatchObject({ seeds: 10, passed: 9, failed: 1, failures: [{ seed: 5, constraints: ['tpotP95'] }] });
    }
    expect(r.failedVerification.map((f) => f.id)).toEqual(rejected.map((c) => c.id));
    const rec = r.recommended!;
    expect(r.candidates.find((c) => c.id === rec.id)?.rank).toBe(4);
    expect(rec.overrides).toMatchObject({ 'spec.rollout.strategy.rollingUpdate.maxUnavailable': '1' });
    expect(rec.verification).toMatchObject({ seeds: 10, passed: 10, failed: 0, seedList: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
    // Each tried configuration ran the 10 verification seeds; only the one that passed went on to bound its risk.
    expect(r.runsByStage.verify).toBe(40);
    expect(rec.explanation.runnerUp).toMatchObject({ id: rejected[2].id, reasons: [{ kind: 'verification', failures: [{ seed: 5, constraints: ['tpotP95'] }] }] });
    const md = renderPlanMarkdown(r);
    expect(md).toContain(`Not recommended: ${rejected[0].id} (${rejected[0].label}) violated TPOT p95 during the rollout on seed 5, fresh seeds the search never used.`);
    expect(md).toContain('met every constraint on the search seeds but violated TPOT p95 during the rollout on seed 5 (fresh seeds).');
  });

  it('with --verify-seeds 0 runs no fresh seed and rests the risk on the search seeds, undecided', async () => {
    const r = await plan({ file: SCENARIO, seeds: 2, verifySeeds: 0, pool: modelPool({ busySeeds: [5] }) });
    expect(r.runsByStage.verify).toBeUndefined();
    expect(r.runs).toBe(r.candidates.reduce((n, c) => n + c.seeds.length, 0));
    const rec = r.recommended!;
    expect(rec.overrides).toMatchObject(RECOMMENDED_ON_QUIET_SEEDS);
    expect(rec.verification).toBeNull();
    expect(rec.riskSeeds).toBe(2);
    for (const risk of rec.risk) expect(risk).toMatchObject({ violations: 0, seeds: 2, status: 'undecided' });
    expect(rec.risk[0].upperBound).toBeCloseTo(1 - Math.sqrt(0.05), 10);
    expect(renderPlanMarkdown(r)).toContain('Not verified on fresh seeds (--verify-seeds 0)');
  });

  it('adds seeds up to the cap and states the risk it can claim; --risk sets what must be established', async () => {
    const capped = await plan({ file: SCENARIO, seeds: 2, risk: 0.1, maxSeeds: 20, pool: modelPool() });
    // 10% takes 29 clean seeds; the cap stops at 20: 2 search + 10 verification + 8 more.
    expect(capped.runsByStage.risk).toBe(8);
    const rec = capped.recommended!;
    expect(rec.riskSeeds).toBe(20);
    expect(rec.risk.map((x) => x.key)).toEqual(['completes', 'dropped', 'rejected', 'ttftP95', 'tpotP95']);
    expect(rec.risk.every((x) => x.status === 'undecided' && x.seedsNeeded === 29)).toBe(true);
    expect(renderPlanMarkdown(capped)).toContain(
      '0 violations of any constraint in 20 seeds: the per-rollout probability of violating each is below 14% at 95% confidence. ' +
        'That does not establish the acceptable 10% (--risk)',
    );
    const enough = await plan({ file: SCENARIO, seeds: 2, risk: 0.1, pool: modelPool() });
    expect(enough.recommended!.riskSeeds).toBe(29);
    expect(enough.recommended!.risk.every((x) => x.status === 'holds')).toBe(true);
    await expect(plan({ file: SCENARIO, seeds: 2, maxSeeds: 11, pool: modelPool() })).rejects.toThrow(/--max-seeds|search and verification seeds/);
  });

  it('puts verification, risk and the explanation in the JSON', async () => {
    const r = await plan({ file: SCENARIO, seeds: 2, limits: { maxSpikeRatio: 4 }, pool: modelPool() });
    const json = JSON.parse(renderPlanJson(r));
    expect(json.risk).toEqual({ risk: 0.05, verifySeeds: 10, maxSeeds: 60 });
    expect(json.recommended.verification).toMatchObject({ seeds: 10, passed: 10, failed: 0 });
    expect(json.recommended.risk[0]).toMatchObject({ key: 'completes', violations: 0, seeds: 59, confidence: 0.95, acceptable: 0.05, status: 'holds' });
    expect(json.recommended.explanation.runnerUp).not.toBeNull();
    // The as-written policy (no preStop, a 10 s drain) passes once both change: rejections and cut streams stop.
    expect(Object.keys(json.recommended.explanation.asWrittenFix.differsIn)).toEqual(['preStop', 'drain']);
    const md = renderPlanMarkdown(r);
    expect(md).toMatch(/- The runner-up c\d+ \(maxUnavailable 0 → 1[^)]*\): TTFT p95 spike ratio ×4\.52, over the limit of ×4\.00 by 0\.52 on 2 seeds\./);
    expect(md).toMatch(/- The scenario as written passes with 2 changes: preStop 0s → \d+s, drain 10s → \d+s \(c\d+\)\./);
  });
});
