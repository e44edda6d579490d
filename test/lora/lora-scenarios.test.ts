/**
 * The acceptance of the LoRA rollouts (docs/lora.md), on the scenarios of scenarios/lora/: the seeded 9:1
 * rewrite, the in-pool canary at 10/50/100 % (adapter loads, adapter-miss TTFT, no extra GPU) and the same change
 * as a second InferencePool (extra GPU-hours); and the inputs the resolver refuses.
 */
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { evaluateAssertions } from '../../sim/run/assertions.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioFile, loadScenarioText } from '../../sim/scenario/load.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scenario = (name: string) => resolve(ROOT, 'scenarios/lora', name);
const run = (name: string, overrides: string[] = []) => {
  const loaded = loadScenarioFile(scenario(name), overrides);
  const result = runScenario(loaded);
  return { summary: result.summary, events: result.events, assertions: evaluateAssertions(result.summary, loaded.scenario.spec.assertions) };
};

describe('LoRA rollout scenarios', () => {
  it('a seeded 9:1 rewrite sends 10 % +- 1 % of 10,000 requests to v2', () => {
    const { summary, assertions } = run('lora-rewrite-share.yaml');
    expect(assertions.filter((a) => !a.passed)).toEqual([]);
    expect(summary.lora!.fromRequests! + summary.lora!.toRequests!).toBe(10_000);
    expect(Math.abs(summary.lora!.toShare! - 0.1)).toBeLessThanOrEqual(0.01);
  });

  it('in-pool v1 -> v2 at 10/50/100 % on 4 replicas (maxLoras 4): adapter loads, miss TTFT, 0 extra GPUs; two pools cost GPU-hours', () => {
    const inPool = run('lora-rewrite-canary.yaml');
    const twoPool = run('lora-two-pool-split.yaml');
    expect(inPool.assertions.filter((a) => !a.passed)).toEqual([]);
    expect(twoPool.assertions.filter((a) => !a.passed)).toEqual([]);
    const a = inPool.summary;
    expect(a.rollout.outcome).toBe('completed');
    expect(a.lora!.loadsFromStorage).toBeGreaterThanOrEqual(4);
    const loads = inPool.events.filter((e) => e.event === 'AdapterLoad');
    expect(loads).toHaveLength(a.lora!.adapterLoads);
    // sql-v2 is read from storage after the rollout starts, by the old fleet's pods, at most once per pod (the
    // host cache of 8 holds all 7 adapters).
    const v2 = loads.filter((e) => e.reason.startsWith('sql-v2'));
    expect(v2.length).toBeGreaterThan(0);
    expect(v2.every((e) => e.reason === 'sql-v2 from storage' && e.t >= 60 && /^lora-rewrite-canary-old-\d+$/.test(e.pod))).toBe(true);
    expect(new Set(v2.map((e) => e.pod)).size).toBe(v2.length);
    expect(a.lora!.missTtftDeltaP50Ms!).toBeGreaterThan(200); // the 300 ms storage load, less queueing it hides
    expect(a.capacity.surgeGpus).toBe(0);
    expect(a.lora!.extraGpuHours).toBeCloseTo(0, 6);
    const b = twoPool.summary;
    expect(b.capacity.surgeGpus).toBe(4);
    expect(b.lora!.extraGpuHours).toBeGreaterThan(0.1);
    expect(b.capacity.gpuHours).toBeGreaterThan(a.capacity.gpuHours);
  });
});

describe('LoRA inputs', () => {
  it('requests naming adapters need server.lora', () => {
    const text = readFileSync(scenario('lora-rewrite-share.yaml'), 'utf8').replace('server: { lora: { maxLoras: 2 } }', 'server: {}');
    expect(text).not.toContain('lora: {');
    const loaded = loadScenarioText(text, { baseDir: dirname(scenario('lora-rewrite-share.yaml')) });
    expect(() => runScenario(loaded)).toThrow(/server\.lora/);
    expect(() => runScenario(loaded)).toThrow(expect.objectContaining({ path: 'spec.traffic.adapters' }));
  });

  it('a rewrite of an adapter clients do not ask for is refused at its path', () => {
    const attempt = () => run('lora-rewrite-share.yaml', ['spec.rollout.strategy.adapterRewrite.from=nope']);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(/adapterRewrite\.from.*"nope"/s);
  });
});
