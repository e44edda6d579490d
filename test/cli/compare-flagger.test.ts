/**
 * `compare --strategies canary,flagger`: Flagger's default template (the Argo canary's 25 % / 50 % weights, one
 * five-minute interval each) applies as an override that the scenario schema accepts.
 */
import { describe, expect, it } from 'vitest';
import { parseStrategies, strategyVariant } from '../../sim/cli/compare-plan.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

describe('compare: flagger', () => {
  it('is a strategy name, and its default template loads over an Argo canary scenario', () => {
    expect(parseStrategies('canary,flagger')).toEqual(['canary', 'flagger']);
    const variant = strategyVariant('flagger', loadScenarioFile('scenarios/llama-70b-canary.yaml', []));
    const loaded = loadScenarioFile('scenarios/llama-70b-canary.yaml', variant.overrides);
    const strategy = loaded.scenario.spec.rollout?.strategy;
    expect(strategy && 'flagger' in strategy ? strategy.flagger.analysis : null).toMatchObject({ interval: 300, stepWeight: 25, maxWeight: 50 });
  });

  it('keeps the scenario\'s own Flagger settings', () => {
    const variant = strategyVariant('flagger', loadScenarioFile('scenarios/flagger/llama-70b-flagger-slow-rollback.yaml', []));
    expect(variant.overrides).toEqual([]);
    expect(variant.description).toMatch(/^flagger .*\(the scenario's\)$/);
  });
});
