/**
 * The HPA in whole runs (docs/autoscaling.md): the diurnal scenario's rollout during the morning ramp, where the
 * HPA resizes the Deployment mid-rollout and both ReplicaSets grow at once (proportional scaling); an Argo canary
 * following spec.replicas; KEDA's cooldown to zero; the inputs the resolver refuses.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateAssertions } from '../../sim/run/assertions.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { resolveRun } from '../../sim/run/resolve.js';
import { loadScenarioFile, loadScenarioText } from '../../sim/scenario/load.js';
import { inputError } from '../helpers/input-error.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIURNAL = resolve(ROOT, 'scenarios/autoscaling/diurnal-hpa-rolling.yaml');

describe('an HPA on queue depth through a diurnal day', () => {
  it('resizes the Deployment during the rollout: old and new ReplicaSets grow in the same instant', () => {
    const loaded = loadScenarioFile(DIURNAL);
    const result = runScenario(loaded);
    expect(evaluateAssertions(result.summary, loaded.scenario.spec.assertions).filter((a) => !a.passed)).toEqual([]);
    const { startedAt, finishedAt } = result.summary.rollout;
    const during = result.series.filter((r) => r.t > startedAt! && r.t <= finishedAt!);
    const before = (t: number) => result.series[result.series.findIndex((r) => r.t === t) - 1];
    // A window where spec.replicas rose and both versions gained pods: the proportional split, not "all to new".
    const split = during.find((r) => r.desiredReplicas > before(r.t).desiredReplicas && r.podsOld > before(r.t).podsOld && r.podsNew > before(r.t).podsNew);
    expect(split).toBeDefined();
    // The desired replicas follow the day: minReplicas at night, up to maxReplicas at the peak.
    const desired = result.series.map((r) => r.desiredReplicas);
    expect(Math.min(...desired)).toBe(2);
    expect(Math.max(...desired)).toBe(10);
  });

  it('an Argo canary follows spec.replicas: the promoted canary ends at the HPA size', () => {
    const loaded = loadScenarioFile(DIURNAL, [
      'spec.duration=40m',
      'spec.rollout.strategy={"canary":{"steps":[{"setWeight":50},{"pause":{"duration":"2m"}}]}}',
    ]);
    const result = runScenario(loaded);
    expect(result.summary.rollout.outcome).toBe('completed');
    const last = result.series.at(-1)!;
    expect(last.podsOld).toBe(0);
    expect(last.podsNew).toBe(last.desiredReplicas);
    expect(result.summary.autoscaling!.maxDesiredDuringRollout).toBeGreaterThan(result.summary.autoscaling!.desiredAtRolloutStart!);
  });
});

const KEDA = `
apiVersion: rollout-sim/v1alpha1
kind: Scenario
metadata: { name: keda-cooldown }
spec:
  duration: 20m
  cluster: { nodePools: [{ name: h100, gpu: h100-80gb, gpusPerNode: 8, nodes: 1 }] }
  model: { name: llama-3.1-8b, tensorParallel: 1 }
  deployment:
    replicas: 2
    autoscaling:
      minReplicas: 0
      maxReplicas: 4
      metrics: [{ type: running, averageValue: 4 }]
      keda: { pollingInterval: 30s, cooldownPeriod: 300s }
  traffic:
    arrival: { schedule: { points: [{ at: 0, rate: 2/s }, { at: 5m, rate: 2/s }, { at: 301s, rate: 0/s }] } }
    promptTokens: 200
    outputTokens: 50
`;

describe('KEDA', () => {
  it('scales to zero a cooldownPeriod after the trigger went inactive (polled every 30 s)', () => {
    const result = runScenario(loadScenarioText(KEDA));
    const zeroAt = result.series.find((r) => r.desiredReplicas === 0)?.t;
    // The last active poll is at 5 min (or the one after, while requests drain); 300 s later, on a 30 s poll.
    expect(zeroAt).toBeGreaterThanOrEqual(600);
    expect(zeroAt).toBeLessThanOrEqual(660);
    expect(result.series.at(-1)!.podsOld).toBe(0);
    expect(result.summary.autoscaling!.minDesired).toBe(0);
  });

  it('minReplicas 0 needs keda', () => {
    expect(() => loadScenarioText(KEDA)).not.toThrow();
    const err = inputError(() => loadScenarioText(KEDA.replace('      keda: { pollingInterval: 30s, cooldownPeriod: 300s }\n', '')));
    expect(err.message).toContain('minReplicas');
    expect(err.message).toContain('keda');
  });
});

describe('strategies', () => {
  it('refuses an autoscaler on a strategy whose controller does not follow spec.replicas', () => {
    const loaded = loadScenarioFile(DIURNAL, ['spec.rollout.strategy={"shadowBlueGreen":{"mirrorPercent":10,"shadowDuration":"2m"}}']);
    const err = inputError(() => resolveRun(loaded));
    expect(err.message).toContain('spec.deployment.autoscaling');
    expect(err.message).toContain('shadowBlueGreen');
  });
});
