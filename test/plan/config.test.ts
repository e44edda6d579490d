import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { toSetList } from '../../sim/batch/override-values.js';
import { intCount, percent } from '../../sim/config/int-or-percent.js';
import { overridesOf, planBase, type PlanConfig } from '../../sim/plan/config.js';
import { strategySnippet } from '../../sim/plan/snippet.js';
import { limitsFromArgs } from '../../sim/cli/commands/plan.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

const FILE = 'test/plan/small-fleet.yaml';
const base = planBase(loadScenarioFile(FILE), FILE, []);

const drain = { preStopSeconds: 5, shutdownTimeoutSeconds: 90, terminationGracePeriodSeconds: 100, minReadySeconds: 10 };
const rolling: PlanConfig = {
  ...drain,
  strategy: { kind: 'rollingUpdate', maxSurge: percent(50), maxUnavailable: intCount(1) },
  readiness: { kind: 'synthetic-inference', periodSeconds: 2 },
  headroomNodes: 3,
};
const blueGreen: PlanConfig = {
  ...drain,
  strategy: { kind: 'blueGreen', scaleDownDelaySeconds: 60, previewReplicaCount: 1 },
  readiness: { kind: 'health', periodSeconds: 5 },
  headroomNodes: 0,
};
const canary: PlanConfig = {
  ...drain,
  strategy: { kind: 'canary', template: 't', steps: [{ setWeight: 50 }, { pause: { duration: 60 } }], maxSurge: intCount(1), maxUnavailable: intCount(0) },
  readiness: null,
  headroomNodes: 0,
};

describe('overridesOf', () => {
  it('gives --set overrides that turn the scenario into the configuration, for every strategy kind', () => {
    for (const config of [rolling, blueGreen, canary]) {
      const spec = loadScenarioFile(FILE, toSetList(overridesOf(config, base))).scenario.spec;
      const d = spec.deployment;
      expect(d.preStop.sleep).toBe(5);
      expect(spec.server.model === 'llm' && spec.server.shutdownTimeout).toBe(90);
      expect(d.terminationGracePeriodSeconds).toBe(100);
      expect(d.minReadySeconds).toBe(10);
      expect(d.readinessProbe === null ? null : { kind: d.readinessProbe.kind, periodSeconds: d.readinessProbe.periodSeconds }).toEqual(config.readiness);
      expect(Object.keys(spec.rollout!.strategy)).toEqual([config.strategy.kind]);
    }
  });

  it('sets a strategy of the scenario own kind field by field, and replaces one of another kind', () => {
    expect(overridesOf(rolling, base)).toMatchObject({
      'spec.rollout.strategy.rollingUpdate.maxSurge': '50%',
      'spec.rollout.strategy.rollingUpdate.maxUnavailable': '1',
    });
    expect(overridesOf(canary, base)['spec.rollout.strategy']).toBe(
      '{ canary: { steps: [ { setWeight: 50 }, { pause: { duration: 60 } } ], maxSurge: 1, maxUnavailable: 0 } }',
    );
    const spec = loadScenarioFile(FILE, toSetList(overridesOf(blueGreen, base))).scenario.spec;
    expect(spec.rollout!.strategy).toMatchObject({ blueGreen: { scaleDownDelaySeconds: 60, previewReplicaCount: 1 } });
  });

  it('reserves headroom nodes in pool 0, raising maxNodes when they go past it', () => {
    const spec = loadScenarioFile(FILE, toSetList(overridesOf(rolling, base))).scenario.spec;
    expect(spec.cluster.nodePools[0]).toMatchObject({ nodes: 6, maxNodes: 6 });
    expect(overridesOf(canary, base)).toMatchObject({ 'spec.cluster.nodePools[0].nodes': '3' });
    expect(overridesOf(canary, base)).not.toHaveProperty(['spec.cluster.nodePools[0].maxNodes']);
  });
});

describe('strategySnippet', () => {
  it('writes a Deployment for a rolling update with the drain, the probe and the reserved nodes', () => {
    const text = strategySnippet(rolling, base, 'c7');
    expect(text).toMatch(/^# rollout-sim plan, candidate c7/);
    expect(text).toContain('# Reserve 3 more nodes in node pool "gpu" (6 nodes, minNodes 6)');
    const doc = parse(text);
    expect(doc).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: {
        minReadySeconds: 10,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%', maxUnavailable: 1 } },
        template: { spec: { terminationGracePeriodSeconds: 100 } },
      },
    });
    const container = doc.spec.template.spec.containers[0];
    expect(container.args).toEqual(['--shutdown-timeout=90']);
    expect(container.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(container.readinessProbe).toMatchObject({ periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 3 });
    expect(container.readinessProbe.exec.command[2]).toMatch(/curl -sf -m 1 http:\/\/localhost:8000\/v1\/completions .*"max_tokens":1/);
  });

  it('writes an Argo Rollout for blue-green and canary', () => {
    const bg = parse(strategySnippet(blueGreen, base, 'c1'));
    expect(bg).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      spec: { strategy: { blueGreen: { activeService: 'small-fleet-active', previewService: 'small-fleet-preview', scaleDownDelaySeconds: 60, previewReplicaCount: 1 } } },
    });
    expect(bg.spec.template.spec.containers[0].readinessProbe).toMatchObject({ httpGet: { path: '/health', port: 8000 }, periodSeconds: 5 });
    const c = parse(strategySnippet(canary, base, 'c2'));
    expect(c.spec.strategy.canary).toEqual({ maxSurge: 1, maxUnavailable: 0, steps: [{ setWeight: 50 }, { pause: { duration: '60s' } }] });
    expect(c.spec.template.spec.containers[0].readinessProbe).toBeUndefined();
  });
});

describe('plan flags', () => {
  it('become limits, and a bad one is bad input naming its flag', () => {
    expect(limitsFromArgs({ scenario: 's', 'max-duration': '20m', 'budget-gpus': '96', 'max-dropped': '2', 'max-spike-ratio': '3.5' })).toEqual({
      maxDurationSeconds: 1200,
      budgetGpus: 96,
      maxDropped: 2,
      maxSpikeRatio: 3.5,
    });
    expect(() => limitsFromArgs({ scenario: 's', 'max-duration': 'soon' })).toThrow(/^--max-duration: "soon" is not a duration/);
    expect(() => limitsFromArgs({ scenario: 's', 'max-rejected': '-1' })).toThrow(/^--max-rejected: "-1" is not a whole number of 0 or more/);
    expect(() => limitsFromArgs({ scenario: 's', 'max-spike-ratio': '0.5' })).toThrow(/^--max-spike-ratio: "0.5" is not a ratio of 1 or more/);
    expect(() => limitsFromArgs({ scenario: 's', 'budget-gpus': '0' })).toThrow(/^--budget-gpus: /);
  });
});
