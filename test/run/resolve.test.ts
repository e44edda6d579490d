import { describe, expect, it } from 'vitest';
import { resolveRun } from '../../sim/run/resolve.js';
import { loadScenarioFile, loadScenarioText } from '../../sim/scenario/load.js';
import { inputError } from '../helpers/input-error.js';

const QUEUE = `
apiVersion: rollout-sim/v1alpha1
kind: Scenario
metadata: { name: queue-demo }
spec:
  duration: 600s
  cluster: { nodePools: [{ name: gpu, gpu: h100-80gb, gpusPerNode: 8, nodes: 2 }] }
  model: { name: llama-3.1-8b }
  server: { model: queue, serviceTime: { exponential: { mean: 1s } }, concurrency: 4 }
  deployment: { replicas: 4, terminationGracePeriodSeconds: 90s }
  traffic: { arrival: { poisson: { rate: 2/s } }, promptTokens: { constant: 100 }, outputTokens: { constant: 50 } }
  rollout: { at: 60s, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, promoteAt: [120s] }
`;

describe('resolveRun', () => {
  it('applies every default and the queue server lifecycle (no engine: listens when ready, stops at once)', () => {
    const run = resolveRun(loadScenarioText(QUEUE), 7);
    expect(run.seed).toBe(7);
    expect(run.duration).toBe(600);
    expect(run.windowSeconds).toBe(10);
    expect(run.serving.old.kind).toBe('queue');
    expect(run.serving.old.lifecycle).toEqual({ listenAt: 'engine-ready', shutdownTimeout: 0 });
    expect(run.templates.old.listenAt).toBe('engine-ready');
    expect(run.templates.new.shutdownTimeout).toBe(0);
    expect(run.templates.old.pod.terminationGracePeriodSeconds).toBe(90);
    expect(run.templates.old.name).toBe('queue-demo-old');
    expect(run.fleet).toEqual({ replicas: 4, cold: false });
    expect(run.routing).toBe('pods');
    expect(run.strategy).toBe('rollingUpdate');
    expect(run.rollout?.schedule).toEqual({ at: 60, promoteAt: [120], abortAt: undefined });
    expect(run.behaviour.new).toEqual({ stepTimeFactor: 1, errorRate: 0 });
  });

  it('takes spec.seed when no seed is given, and the LLM server lifecycle from the scenario', () => {
    const loaded = loadScenarioFile('scenarios/llama-70b-blue-green.yaml', ['spec.server.shutdownTimeout=45s']);
    const run = resolveRun(loaded);
    expect(run.seed).toBe(loaded.scenario.spec.seed);
    expect(run.serving.old.kind).toBe('llm');
    expect(run.serving.old.lifecycle.shutdownTimeout).toBe(45);
    expect(run.templates.new.shutdownTimeout).toBe(45);
    expect(run.routing).toBe('weights');
    expect(run.templates.new.tensorParallel).toBe(run.serving.old.model.tensorParallel);
  });

  it('names the field of an input error, as the user wrote it', () => {
    const bad = QUEUE.replace('gpu: h100-80gb', 'gpu: h100-81gb');
    const error = inputError(() => resolveRun(loadScenarioText(bad)));
    expect(error.message).toMatch(/spec\.cluster\.nodePools\[0\]\.gpu/);
  });
});
