import { describe, expect, it } from 'vitest';
import { planBase, type PlanConfig } from '../../sim/plan/config.js';
import { DEFAULT_LIMITS, planConstraints } from '../../sim/plan/constraints.js';
import { Evaluator } from '../../sim/plan/evaluator.js';
import { settledDuration } from '../../sim/plan/short-run.js';
import { rolling, withDrain, withStrategy } from '../../sim/plan/stages.js';
import { intCount, percent } from '../../sim/config/int-or-percent.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { modelPool } from './model-pool.js';

const SCENARIO = 'test/plan/small-fleet.yaml';

function setup() {
  const loaded = loadScenarioFile(SCENARIO);
  const base = planBase(loaded, SCENARIO, []);
  const pool = modelPool();
  const evaluator = new Evaluator(base, [1, 2, 3], planConstraints(loaded.scenario.spec.slo, DEFAULT_LIMITS), pool);
  const config = (preStop: number, drain: number): PlanConfig => withDrain(base.asWritten as PlanConfig, preStop, drain);
  return { base, pool, evaluator, config };
}

// The model: preStop under 2 s rejects on every seed; a stream needs 60 s of preStop + drain on seed 1, 50 s on the others.
describe('early elimination', () => {
  it('stops a configuration at its first seed that violates what the request stops on, and counts only the seeds kept', async () => {
    const { pool, evaluator, config } = setup();
    const [drops, rejects] = await evaluator.evaluate([
      { config: config(5, 50), stage: 'drain', stopOn: ['dropped'] },
      { config: config(0, 600), stage: 'drain', stopOn: ['dropped'] },
    ]);
    expect(drops.seeds.map((s) => s.seed)).toEqual([1]);
    expect(drops.stoppedOn).toEqual(['dropped']);
    expect(drops.feasible).toBe(false);
    // It rejects on every seed, but the request stops on drops only: every seed runs.
    expect(rejects.seeds.map((s) => s.seed)).toEqual([1, 2, 3]);
    expect(rejects.stoppedOn).toEqual([]);
    expect(evaluator.runs).toBe(4);
    expect(pool.runs).toBe(4);
  });

  it('stops only on what answers every request for one configuration, and resumes one a later stage asks otherwise', async () => {
    const { evaluator, config } = setup();
    const [both] = await evaluator.evaluate([
      { config: config(5, 50), stage: 'drain', stopOn: ['dropped'] },
      { config: config(5, 50), stage: 'drain', stopOn: ['rejected'] },
    ]);
    expect(both.seeds).toHaveLength(3);
    const [early] = await evaluator.evaluate([{ config: config(10, 45), stage: 'drain', stopOn: ['dropped'] }]);
    expect(early.seeds).toHaveLength(1);
    const [resumed] = await evaluator.evaluate([{ config: config(10, 45), stage: 'unavailable', stopOn: ['rejected'] }]);
    expect(resumed.id).toBe(early.id);
    expect(resumed.stage).toBe('drain');
    expect(resumed.seeds.map((s) => s.seed)).toEqual([1, 2, 3]);
    // Dropped on seed 1 only (needs 60 s there, 50 s elsewhere).
    expect(resumed.checks.find((c) => c.key === 'dropped')?.failedSeeds).toBe(1);
    expect(evaluator.evaluations).toHaveLength(2);
    expect(evaluator.runs).toBe(6);
  });
});

describe('verification runs that end once the rollout has settled', () => {
  it('end at the start + 1.25 × the longest rollout + grace + a minute, rounded up to a minute, and never past spec.duration', async () => {
    const { base, evaluator, config } = setup();
    // All four replicas in one wave: the rollout takes a fraction of the 10 simulated minutes.
    const [e] = await evaluator.evaluate([{ config: withStrategy(config(5, 60), rolling(base, percent(100), intCount(0))), stage: 'surge' }]);
    const longest = Math.max(...e.seeds.map((s) => s.values?.rolloutSeconds ?? NaN));
    const expected = Math.ceil((120 + 1.25 * longest + 70 + 60) / 60) * 60;
    expect(settledDuration(base, e)).toBe(expected);
    expect(expected).toBeLessThan(600);
    const [long] = await evaluator.evaluate([{ config: config(30, 600), stage: 'drain' }]);
    expect(settledDuration(base, long)).toBeNull();
  });
});
