import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMany } from '../../sim/batch/run-many.js';
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
    one = cli(['plan', SCENARIO, '--seeds', '2', '--threads', '1', '--json']);
    two = cli(['plan', SCENARIO, '--seeds', '2', '--threads', '2', '--json']);
    plan = JSON.parse(one.stdout);
  });

  it('prints the same JSON whatever the thread count, with no wall time in it, and the count on stderr', () => {
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(one.stdout).not.toMatch(/wallSeconds/);
    expect(one.stderr).toMatch(new RegExp(`plan: ${plan.runs} simulations in [\\d.]+ s on 1 thread\\n`));
    expect(two.stderr).toMatch(/on 2 threads/);
  });

  it('gives { recommended: { overrides, summary }, candidates, paretoFront, runs } and counts every simulation', () => {
    expect(plan.recommended).toMatchObject({ overrides: expect.any(Object), summary: { seeds: [1, 2] } });
    expect(plan.runs).toBe(plan.candidates.length * 2);
    expect(plan.paretoFront.length).toBeGreaterThan(0);
    // A grid over the knobs the planner searched would take hundreds of configurations.
    expect(plan.candidates.length).toBeLessThan(40);
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
