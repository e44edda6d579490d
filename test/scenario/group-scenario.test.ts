import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseGroupScenario, runGroupScenario } from '../../sim/scenario/group-scenario.js';
import { applyLwsManifests, importLeaderWorkerSetText, importLlmInferenceServiceText } from '../../sim/scenario/lws-import.js';
import { inputError } from '../helpers/input-error.js';

const DIR = join(fileURLToPath(new URL('../..', import.meta.url)), 'scenarios/lws');
const load = (file: string, patch: (doc: any) => void = () => {}) => {
  const doc = parse(readFileSync(join(DIR, file), 'utf8'));
  patch(doc);
  return parseGroupScenario(applyLwsManifests(doc, join(DIR, file)).doc, file);
};

describe('scenarios/lws', () => {
  it.each(readdirSync(DIR).filter((f) => f.endsWith('.yaml')))('%s passes its own assertions', (file) => {
    const r = runGroupScenario(load(file));
    expect(r.assertions.length).toBeGreaterThan(0);
    for (const a of r.assertions) expect(a, JSON.stringify(r.summary)).toMatchObject({ passed: true });
  });

  it('the 1x8 -> 2x4 change finishes with maxUnavailable 2, as the stall suggests', () => {
    const stalled = runGroupScenario(load('one-by-eight-to-two-by-four-deadlock.yaml'));
    expect(JSON.stringify(stalled.summary)).toContain('set maxUnavailable to 2');
    const fixed = runGroupScenario(load('one-by-eight-to-two-by-four-deadlock.yaml', (d) => (d.spec.leaderWorkerSet.rolloutStrategy = { maxUnavailable: 2 })));
    expect(fixed.summary).toMatchObject({ lws: { outcome: 'completed', stall: null } });
  });

  it('the P/D fleet rolled independently drifts off its ratio and serves worse', () => {
    const coordinated = runGroupScenario(load('deepseek-pd-coordinated.yaml')).summary as { pd: Record<string, number> };
    const independent = runGroupScenario(load('deepseek-pd-coordinated.yaml', (d) => (d.spec.mode = 'independent'))).summary as { pd: Record<string, number> };
    expect(independent.pd.maxRatioDrift).toBeGreaterThan(coordinated.pd.maxRatioDrift);
    const timeline = runGroupScenario(load('deepseek-pd-coordinated.yaml')).timeline as readonly { ratioDrift: number; prefillNew: number; decodeNew: number }[];
    expect(Math.max(...timeline.map((r) => r.ratioDrift))).toBe(coordinated.pd.maxRatioDrift);
    expect(timeline[timeline.length - 1]).toMatchObject({ prefillNew: 4, decodeNew: 2, ratioDrift: 0 });
    expect(independent.pd.unservableSeconds + independent.pd.maxTtftSeconds).toBeGreaterThan(coordinated.pd.unservableSeconds + coordinated.pd.maxTtftSeconds);
  });

  it('rejects a bad document with the field named', () => {
    expect(inputError(() => load('llama-405b-two-node-lws.yaml', (d) => (d.spec.leaderWorkerSet.replicas = 0))).message).toMatch(/replicas/);
  });
});

describe('LeaderWorkerSet manifest import', () => {
  const manifest = readFileSync(join(DIR, 'manifests/llama-405b-lws.yaml'), 'utf8');

  it('reads replicas, size, GPUs per pod, restart and start-up policies and the budgets; warns about the rest', () => {
    const { fragment, warnings } = importLeaderWorkerSetText(manifest, 'm.yaml');
    expect(fragment).toEqual({
      replicas: 4,
      old: { size: 2, gpusPerPod: 8 },
      restartPolicy: 'RecreateGroupOnPodRestart',
      startupPolicy: 'LeaderCreated',
      rolloutStrategy: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(warnings.join('\n')).toMatch(/not modelled, ignored: .*containers\[0\]\.image/);
  });

  it('names the field of a bad budget, and refuses a LeaderWorkerSet without GPUs', () => {
    const bad = manifest.replace('maxSurge: 1', 'maxSurge: lots');
    expect(inputError(() => importLeaderWorkerSetText(bad, 'm.yaml')).message).toMatch(/rollingUpdateConfiguration\.maxSurge/);
    const noGpu = manifest.replace('nvidia.com/gpu: "8"', 'cpu: "8"');
    expect(inputError(() => importLeaderWorkerSetText(noGpu, 'm.yaml')).message).toMatch(/nvidia.com\/gpu/);
  });

  it('what the scenario writes wins over the manifest', () => {
    const s = load('llama-405b-from-manifest.yaml', (d) => (d.spec.leaderWorkerSet.rolloutStrategy = { maxSurge: 0, maxUnavailable: 1 }));
    expect(s.kind === 'LwsRollout' && s.spec.leaderWorkerSet.rolloutStrategy.maxSurge).toEqual({ kind: 'int', value: 0 });
  });
});

describe('KServe LLMInferenceService import', () => {
  const text = readFileSync(join(DIR, 'manifests/deepseek-llmisvc.yaml'), 'utf8');

  it('the main workload is the decode pool: multi-node (worker set) groups of data / dataLocal pods', () => {
    const { fragment, warnings } = importLlmInferenceServiceText(text, 'm.yaml', 'main');
    expect(fragment).toEqual({ replicas: 2, old: { size: 2, gpusPerPod: 8 }, rolloutStrategy: { maxUnavailable: 1, maxSurge: 0 } });
    const all = warnings.join('\n');
    expect(all).toMatch(/router weight 90/);
    expect(all).toMatch(/not modelled, ignored: .*spec\.model/);
    expect(all).not.toMatch(/spec\.prefill/);
  });

  it('the prefill workload is one-pod groups; a missing prefill block is named', () => {
    expect(importLlmInferenceServiceText(text, 'm.yaml', 'prefill').fragment).toEqual({ replicas: 4, old: { size: 1, gpusPerPod: 8 }, rolloutStrategy: {} });
    const noPrefill = text.slice(0, text.indexOf('  prefill:'));
    expect(inputError(() => importLlmInferenceServiceText(noPrefill, 'm.yaml', 'prefill')).message).toMatch(/spec\.prefill/);
  });

  it('a multi-node workload without a group size is refused', () => {
    const bad = text.replace('parallelism: { tensor: 8, data: 2, dataLocal: 1 }', 'parallelism: { tensor: 8 }');
    expect(inputError(() => importLlmInferenceServiceText(bad, 'm.yaml', 'main')).message).toMatch(/parallelism\.pipeline/);
  });

  it('a PdRollout reads both pools from one LLMInferenceService', () => {
    const s = load('deepseek-pd-coordinated.yaml', (d) => {
      d.spec.prefill = { manifest: 'manifests/deepseek-llmisvc.yaml', nodes: 5, gpusPerNode: 8, startup: { old: { p50: '8m', p90: '8m' } } };
      d.spec.decode = { manifest: 'manifests/deepseek-llmisvc.yaml', nodes: 5, gpusPerNode: 8, startup: { old: { p50: '15m', p90: '15m' } } };
    });
    const r = runGroupScenario(s);
    expect(r.assertions.every((a) => a.passed)).toBe(true);
  });
});
