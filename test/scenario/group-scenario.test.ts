import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseGroupScenario, runGroupScenario } from '../../sim/scenario/group-scenario.js';
import { inputError } from '../helpers/input-error.js';

const DIR = join(fileURLToPath(new URL('../..', import.meta.url)), 'scenarios/lws');
const load = (file: string, patch: (doc: any) => void = () => {}) => {
  const doc = parse(readFileSync(join(DIR, file), 'utf8'));
  patch(doc);
  return parseGroupScenario(doc, file);
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
    expect(independent.pd.unservableSeconds + independent.pd.maxTtftSeconds).toBeGreaterThan(coordinated.pd.unservableSeconds + coordinated.pd.maxTtftSeconds);
  });

  it('rejects a bad document with the field named', () => {
    expect(inputError(() => load('llama-405b-two-node-lws.yaml', (d) => (d.spec.leaderWorkerSet.replicas = 0))).message).toMatch(/replicas/);
  });
});
