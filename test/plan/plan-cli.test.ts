import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMany } from '../../sim/batch/run-many.js';
import { parseRisk } from '../../sim/cli/commands/plan.js';
import { checkConstraint, planConstraints } from '../../sim/plan/constraints.js';
import { seedResultOf } from '../../sim/plan/evaluator.js';
import type { PlanResult } from '../../sim/plan/plan.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

const CLI = 'dist/sim/cli/main.js';
const SCENARIO = 'test/plan/small-fleet.yaml';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Real simulations of the small fleet: the planner end to end, on one thread and on two. */
describe('rollout-sim plan', () => {
  let one: ReturnType<typeof cli>;
  let two: ReturnType<typeof cli>;
  let plan: PlanResult;

  beforeAll(() => {
    // 3 verification seeds and a cap of 5 keep the real runs few: no extra seeds beyond verification.
    const fast = ['--seeds', '2', '--verify-seeds', '3', '--max-seeds', '5', '--risk', '10%', '--json'];
    one = cli(['plan', SCENARIO, ...fast, '--threads', '1']);
    two = cli(['plan', SCENARIO, ...fast, '--threads', '2']);
    plan = JSON.parse(one.stdout);
  });

  it('prints the same JSON whatever the thread count but its timing, and the count on stderr', () => {
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    // Only the timing (wall time, simulations per second) differs; on one thread no run is started in vain.
    const { timing: t1, ...plan1 } = JSON.parse(one.stdout);
    const { timing: t2, ...plan2 } = JSON.parse(two.stdout);
    expect(plan2).toEqual(plan1);
    expect(JSON.stringify(plan1)).not.toMatch(/wallSeconds/);
    expect(t1).toMatchObject({ runs: plan.runs, threads: 1, wallSeconds: expect.any(Number), simsPerSecond: expect.any(Number) });
    expect(t2.runs).toBeGreaterThanOrEqual(plan.runs);
    expect(one.stderr).toMatch(new RegExp(`plan: ${plan.runs} simulations in [\\d.]+ s \\([\\d.]+/s\\) on 1 thread\\n`));
    expect(two.stderr).toMatch(/on 2 threads/);
  });

  it('gives { recommended: { overrides, summary }, candidates, paretoFront, runs } and counts every simulation', () => {
    expect(plan.recommended).toMatchObject({ overrides: expect.any(Object), summary: { seeds: [1, 2] } });
    expect(plan.runs).toBe(plan.candidates.reduce((n, c) => n + c.seeds.length, 0) + 3 * (plan.failedVerification.length + 1));
    expect(plan.paretoFront.length).toBeGreaterThan(0);
    // A grid over the knobs the planner searched would take hundreds of configurations.
    expect(plan.candidates.length).toBeLessThan(40);
  });

  it('states the verification on fresh seeds and every constraint\'s risk at the --risk given', () => {
    expect(plan.risk).toEqual({ risk: 0.1, verifySeeds: 3, maxSeeds: 5 });
    expect(plan.recommended!.verification).toMatchObject({ seeds: 3, passed: 3, failed: 0, seedList: [3, 4, 5], extraSeeds: [] });
    // 0 violations in 5 seeds bound the risk below 45%, not the 10% asked for: undecided, and said so.
    for (const r of plan.recommended!.risk.filter((r) => r.method === 'seeds')) {
      expect(r).toMatchObject({ violations: 0, seeds: 5, acceptable: 0.1, status: 'undecided', seedsNeeded: 29 });
    }
    // Drops are the exception: the estimator bounds their risk from the same 5 seeds.
    const drops = plan.recommended!.risk.find((r) => r.key === 'dropped')!;
    expect(drops).toMatchObject({ method: 'estimator', violations: 0, seeds: 5, status: 'holds' });
    expect(drops.upperBound).toBeLessThanOrEqual(0.1);
  });

  it('reads --risk as 1% or 0.01 and refuses what is not a probability, naming the flag (exit 2)', () => {
    expect(parseRisk('1%')).toBeCloseTo(0.01, 12);
    expect(parseRisk('0.05')).toBe(0.05);
    for (const bad of ['0', '100%', 'often', '%']) expect(() => parseRisk(bad)).toThrow(`"${bad}" is not a probability between 0 and 1`);
    const r = cli(['plan', SCENARIO, '--risk', '150%']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--risk/);
  });

  it('recommends a configuration whose re-run with fresh seeds meets every constraint', async () => {
    const rec = plan.recommended!;
    const loaded = loadScenarioFile(SCENARIO, rec.set);
    const seeds = [101, 102, 103];
    const outcomes = await runMany(seeds.map((seed) => ({ file: SCENARIO, overrides: [...rec.set], seed })), { threads: 1 });
    const baseGpus = loadScenarioFile(SCENARIO).scenario.spec.cluster.nodePools.reduce((n, p) => n + p.nodes * p.gpusPerNode, 0);
    const results = outcomes.map((o) => seedResultOf(o, baseGpus));
    const checks = planConstraints(loaded.scenario.spec.slo, plan.limits).map((c) => checkConstraint(c, results));
    expect(checks.map((c) => c.key)).toEqual(['completes', 'dropped', 'rejected', 'ttftP95', 'tpotP95']);
    expect(checks.filter((c) => !c.passed)).toEqual([]);
  });
});
