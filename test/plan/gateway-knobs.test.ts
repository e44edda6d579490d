import { describe, expect, it } from 'vitest';
import { toSetList } from '../../sim/batch/override-values.js';
import { intCount } from '../../sim/config/int-or-percent.js';
import { describeConfig, knobsOf, overridesOf, planBase, type PlanConfig } from '../../sim/plan/config.js';
import { plan } from '../../sim/plan/plan.js';
import { knobDifferences } from '../../sim/plan/ranking.js';
import { strategySnippet } from '../../sim/plan/snippet.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { modelPool } from './model-pool.js';

const FILE = 'test/plan/small-fleet.yaml';
const base = planBase(loadScenarioFile(FILE), FILE, []);

const config: PlanConfig = {
  strategy: { kind: 'rollingUpdate', maxSurge: intCount(1), maxUnavailable: intCount(0) },
  preStopSeconds: 5,
  shutdownTimeoutSeconds: 60,
  terminationGracePeriodSeconds: 70,
  readiness: { kind: 'health', periodSeconds: 5 },
  minReadySeconds: 0,
  headroomNodes: 0,
};

describe('the gateway knobs of the planner (docs/gateway.md)', () => {
  it('turn into routing overrides, knobs, a description and snippet comments only when set', () => {
    expect(Object.keys(overridesOf(config, base)).filter((k) => k.startsWith('spec.routing'))).toEqual([]);
    expect(knobsOf(config)).not.toHaveProperty('slowStart');
    const gateway = { ...config, slowStartSeconds: 60, waitForEndpointSeconds: 30 };
    const spec = loadScenarioFile(FILE, toSetList(overridesOf(gateway, base))).scenario.spec;
    expect(spec.routing.slowStart).toEqual({ window: 60, aggression: 1, minWeightPercent: 10 });
    expect(spec.routing.waitForEndpoint).toBe(30);
    expect(knobsOf(gateway)).toMatchObject({ slowStart: '60s', waitForEndpoint: '30s' });
    expect(describeConfig(gateway)).toMatch(/slow start 60s · wait 30s for a pod$/);
    expect(strategySnippet(gateway, base, 'c1')).toMatch(/# Gateway: slow start of 60s for new pods .*warmupDurationSecs/);
  });

  it('tries slow start on the cheaper configurations that failed on latency alone', async () => {
    // On the planner's model a spike bound of 4 fails every configuration with an unavailable pod (spike 5).
    const r = await plan({ file: FILE, seeds: 2, limits: { maxSpikeRatio: 4 }, pool: modelPool() });
    const tried = r.candidates.filter((c) => c.knobs?.slowStart === '60s');
    expect(tried.length).toBeGreaterThan(0);
    for (const c of tried) expect(c.knobs?.maxUnavailable).not.toBe('0');
  });

  it('a configuration with slow start differs from the same one without it by that knob alone', () => {
    const evaluation = (c: PlanConfig) => ({ config: c }) as Parameters<typeof knobDifferences>[0];
    const withSlowStart = evaluation({ ...config, slowStartSeconds: 60 });
    expect(knobDifferences(evaluation(config), withSlowStart, 4)).toEqual({ slowStart: 'off → 60s' });
    expect(knobDifferences(withSlowStart, evaluation(config), 4)).toEqual({ slowStart: '60s → off' });
  });
});
