import { describe, expect, it } from 'vitest';
import { percent } from '../../sim/config/int-or-percent.js';
import { abortScaleDown } from '../../sim/rollout/canary-arithmetic.js';
import { loadScenarioText } from '../../sim/scenario/load.js';

/** The least a scenario must say; every field the tests read is left to its default. */
function minimalScenario(strategy: string): string {
  return [
    'apiVersion: rollout-sim/v1alpha1',
    'kind: Scenario',
    'metadata: { name: defaults }',
    'spec:',
    '  duration: 10m',
    '  cluster: { nodePools: [ { name: gpu, gpu: h100-80gb, nodes: 2 } ] }',
    '  model: llama-3.1-8b',
    '  traffic: { arrival: { poisson: { rate: 1/s } }, promptTokens: 100, outputTokens: 100 }',
    `  rollout: { at: 1m, strategy: ${strategy} }`,
  ].join('\n');
}

const specOf = (strategy: string) => loadScenarioText(minimalScenario(strategy)).scenario.spec;

/** Each value is the upstream one (rollout-semantics.md §1.1, §2.1, §2.2, §3.1, §3.4), written out here on purpose. */
describe('the scenario defaults are the upstream controllers’ defaults', () => {
  it('Kubernetes Deployment, pod and probe', () => {
    const spec = specOf('{ rollingUpdate: {} }');
    expect(spec.deployment.replicas).toBe(1);
    expect(spec.rollout?.strategy).toEqual({ rollingUpdate: { maxSurge: percent(25), maxUnavailable: percent(25) } });
    expect(spec.rollout?.progressDeadlineSeconds).toBe(600);
    expect(spec.deployment.minReadySeconds).toBe(0);
    expect(spec.deployment.terminationGracePeriodSeconds).toBe(30);
    expect(spec.deployment.readinessProbe).toMatchObject({ initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  });

  it('Argo Rollouts blue-green and canary', () => {
    expect(specOf('{ blueGreen: {} }').rollout?.strategy).toEqual({
      blueGreen: { autoPromotionEnabled: true, autoPromotionSeconds: 0, scaleDownDelaySeconds: 30, abortScaleDownDelaySeconds: 30 },
    });
    const canary = specOf('{ canary: {} }').rollout?.strategy;
    expect(canary).toMatchObject({ canary: { maxSurge: percent(25), maxUnavailable: percent(25), dynamicStableScale: false, scaleDownDelaySeconds: 30 } });
    // Argo tells an unset abortScaleDownDelaySeconds from a written 30 (dynamicStableScale steps down only when
    // unset), so the schema leaves it unset and the canary arithmetic applies the default.
    expect(canary && 'canary' in canary ? canary.canary.abortScaleDownDelaySeconds : null).toBeUndefined();
    expect(abortScaleDown(true, undefined)).toEqual({ delaySeconds: 30, explicit: false });
  });
});
