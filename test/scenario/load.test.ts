import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, loadScenarioText, ScenarioError } from '../../sim/scenario/load.js';
import { scenarioJsonSchema } from '../../sim/scenario/schema.js';

const DEMO = 'scenarios/llama-70b-rolling.yaml';

function problemsOf(text: string, overrides: string[] = []): string[] {
  try {
    loadScenarioText(text, { source: 'test.yaml', overrides });
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario loading', () => {
  it('loads the built-in scenario with the contract field names and unit conversion', () => {
    const { scenario, hash } = loadScenarioFile(DEMO);
    const spec = scenario.spec;
    expect(scenario.metadata.name).toBe('llama-70b-rolling');
    expect(spec.duration).toBe(90 * 60);
    expect(spec.cluster.nodePools[0].nodes).toBe(10);
    expect(spec.deployment.replicas).toBe(16);
    expect(spec.deployment.preStop.sleep).toBe(15);
    expect(spec.rollout?.at).toBe(1800);
    expect(spec.slo.tpotP95).toBeCloseTo(0.1);
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
  });

  it('applies --set overrides (numbers, percentages, array indices) before validation', () => {
    const text = readFileSync(DEMO, 'utf8');
    const { scenario, hash } = loadScenarioText(text, {
      overrides: [
        'spec.deployment.replicas=8',
        'spec.rollout.strategy.rollingUpdate.maxSurge=50%',
        'spec.cluster.nodePools[0].nodes=12',
      ],
    });
    expect(scenario.spec.deployment.replicas).toBe(8);
    const strategy = scenario.spec.rollout?.strategy;
    expect(strategy && 'rollingUpdate' in strategy && strategy.rollingUpdate.maxSurge).toEqual({ kind: 'percent', value: 50 });
    expect(scenario.spec.cluster.nodePools[0].nodes).toBe(12);
    expect(hash).not.toBe(loadScenarioText(text).hash);
  });

  it('names the path, the bad value and what is expected', () => {
    const text = readFileSync(DEMO, 'utf8');
    const [problem] = problemsOf(text, ['spec.deployment.replicas=many']);
    expect(problem).toContain('spec.deployment.replicas');
    expect(problem).toContain('"many"');
    expect(problem).toMatch(/expected/);
    const duration = problemsOf(text, ['spec.duration=90 parsecs']).join('\n');
    expect(duration).toContain('spec.duration');
    expect(duration).toMatch(/90s, 2m or 1h/);
  });

  it('rejects unknown fields by name instead of ignoring them', () => {
    const text = readFileSync(DEMO, 'utf8');
    const problems = problemsOf(text, ['spec.deployment.replicaz=3']).join('\n');
    expect(problems).toContain('spec.deployment');
    expect(problems).toContain('"replicaz"');
  });

  it('reports the strategy branch the user meant', () => {
    const text = readFileSync(DEMO, 'utf8');
    const wrongKind = problemsOf(text, ['spec.rollout.strategy={ rolling: {} }']).join('\n');
    expect(wrongKind).toMatch(/rollingUpdate, recreate, blueGreen, canary, shadowBlueGreen/);
    const wrongField = problemsOf(text, ['spec.rollout.strategy.rollingUpdate.maxSurge=lots']).join('\n');
    expect(wrongField).toContain('spec.rollout.strategy.rollingUpdate.maxSurge');
  });

  it('turns YAML syntax errors and alias bombs into scenario errors', () => {
    expect(problemsOf('spec: [unclosed').join('\n')).toMatch(/YAML/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 12; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`);
    expect(problemsOf(bomb.join('\n')).join('\n')).toMatch(/alias/i);
    expect(problemsOf('just a string').join('\n')).toMatch(/mapping/);
  });

  it('exports a JSON Schema describing the input forms', () => {
    const schema = scenarioJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    const text = JSON.stringify(schema);
    expect(text).toContain('rollingUpdate');
    expect(text).toContain('nodePools');
  });
});

describe('assertions are checked when the scenario loads', () => {
  const text = readFileSync(DEMO, 'utf8');
  it('accepts every field of the summary contract, causes included', () => {
    const { scenario } = loadScenarioText(text, {
      overrides: [
        'spec.assertions=["latency.rollout.ttftP95Ms < 2 * latency.baseline.ttftP95Ms", "requests.droppedByCause.sigkill == 0", "capacity.peakGpus <= 96 and rollout.outcome != \'stalled\'"]',
      ],
    });
    expect(scenario.spec.assertions).toHaveLength(3);
  });
  it('names unknown fields, unknown causes, groups used as values and refused constructs', () => {
    const problems = problemsOf(text, [
      'spec.assertions=["requests.dropd == 0", "requests.droppedByCause.sigkil == 0", "latency.rollout > 1", "rollout.outcome == completed", "parse(\'1\') == 1"]',
    ]).join('\n');
    expect(problems).toMatch(/spec\.assertions\[0\]: unknown field "requests\.dropd"/);
    expect(problems).toMatch(/spec\.assertions\[1\]: .*no cause "sigkil"/);
    expect(problems).toMatch(/spec\.assertions\[2\]: .*"latency\.rollout" is a group of fields/);
    expect(problems).toMatch(/spec\.assertions\[3\]: unknown field "completed"/);
    expect(problems).toMatch(/spec\.assertions\[4\]: .*"parse" is disabled/);
  });
});

describe('canary steps', () => {
  it('a step with a mistyped kind names the kinds Argo accepts', () => {
    const text = readFileSync(DEMO, 'utf8');
    const problems = problemsOf(text, ['spec.rollout.strategy={canary: {steps: [{setweight: 20}]}}']);
    expect(problems).toEqual([
      'spec.rollout.strategy.canary.steps[0]: expected a step with one of setWeight, pause, analysis, setCanaryScale (names are case-sensitive, as in Argo Rollouts) (got {"setweight":20})',
    ]);
  });
});

/** The rule lives in the strategy schema: a scenario that breaks it never reaches a controller. */
describe('rolling budgets are checked by the scenario schema', () => {
  const demo = readFileSync(DEMO, 'utf8');

  it('refuses explicit 0/0 at maxUnavailable, for a rolling update and a canary', () => {
    expect(problemsOf(demo, ['spec.rollout.strategy.rollingUpdate.maxSurge=0', 'spec.rollout.strategy.rollingUpdate.maxUnavailable=0%'])).toEqual([
      'spec.rollout.strategy.rollingUpdate.maxUnavailable: may not be 0 when maxSurge is 0: the rollout could never replace a pod (give one of them a value) (got "0%")',
    ]);
    expect(problemsOf(demo, ['spec.rollout.strategy={canary: {maxSurge: 0, maxUnavailable: 0}}'])).toEqual([
      'spec.rollout.strategy.canary.maxUnavailable: may not be 0 when maxSurge is 0: the rollout could never replace a pod (give one of them a value) (got 0)',
    ]);
  });

  it('refuses maxUnavailable above 100%, and accepts values that only round to 0', () => {
    expect(problemsOf(demo, ['spec.rollout.strategy.rollingUpdate.maxUnavailable=150%'])).toEqual([
      'spec.rollout.strategy.rollingUpdate.maxUnavailable: must not be more than 100% (got "150%")',
    ]);
    const ok = ['spec.rollout.strategy.rollingUpdate.maxSurge=0%', 'spec.rollout.strategy.rollingUpdate.maxUnavailable=1%'];
    expect(loadScenarioText(demo, { overrides: ok }).scenario.spec.rollout?.strategy).toMatchObject({ rollingUpdate: { maxUnavailable: { kind: 'percent', value: 1 } } });
  });
});
