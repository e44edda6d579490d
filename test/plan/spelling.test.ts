import { describe, expect, it } from 'vitest';
import { plan } from '../../sim/plan/plan.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { resolveFenceposts } from '../../sim/rollout/fenceposts.js';
import { modelPool } from './model-pool.js';

const SCENARIO = 'test/plan/small-fleet.yaml';

/**
 * The scenario as written spells one unavailable pod of 4 as `25%`, the planner's ladder as `1`. The limits let
 * one unavailable pod through (spike 5) but not two (spike 8), so the written spelling wins and its neighbour
 * with two unavailable pods must still be run and reported.
 */
const OVERRIDES = [
  'spec.rollout.strategy.rollingUpdate.maxSurge=0',
  'spec.rollout.strategy.rollingUpdate.maxUnavailable=25%',
  'spec.deployment.preStop.sleep=5s',
  'spec.server.shutdownTimeout=90s',
  'spec.deployment.terminationGracePeriodSeconds=100',
];

/** The pod counts a candidate's overrides resolve to, with every other knob: what the simulation actually sees. */
function resolvedConfiguration(overrides: Record<string, string>): string {
  const spec = loadScenarioFile(SCENARIO, [...OVERRIDES, ...Object.entries(overrides).map(([k, v]) => `${k}=${v}`)]).scenario.spec;
  const strategy = spec.rollout!.strategy;
  const budgets = 'rollingUpdate' in strategy ? strategy.rollingUpdate : 'canary' in strategy ? strategy.canary : null;
  const pods = budgets === null ? null : resolveFenceposts(budgets.maxSurge, budgets.maxUnavailable, spec.deployment.replicas);
  return JSON.stringify({ ...spec, rollout: { ...spec.rollout, strategy: budgets === null ? strategy : { ...strategy, pods } } }, (key, value) =>
    key === 'maxSurge' || key === 'maxUnavailable' ? undefined : value,
  );
}

describe('plan: maxSurge / maxUnavailable compared by the pods they resolve to', () => {
  it('runs the neighbour of a recommendation whose budget is spelled unlike the ladder, and no configuration twice', async () => {
    const r = await plan({ file: SCENARIO, seeds: 2, limits: { maxSpikeRatio: 6 }, pool: modelPool(), overrides: OVERRIDES });
    const rec = r.recommended!;
    expect(rec.config.strategy.kind).toBe('rollingUpdate');
    const neighbour = rec.neighbours.find((n) => 'maxUnavailable' in n.differsIn);
    expect(neighbour?.differsIn).toEqual({ maxUnavailable: '25% → 50%' });
    expect(neighbour?.failed).toEqual([expect.objectContaining({ constraint: 'spikeRatio', limit: 6 })]);
    const configurations = r.candidates.map((c) => resolvedConfiguration(c.overrides));
    expect(new Set(configurations).size).toBe(configurations.length);
  });
});
