import { describe, expect, it } from 'vitest';
import { planBase } from '../../sim/plan/config.js';
import type { Evaluation } from '../../sim/plan/evaluation.js';
import { preflightAdmitted } from '../../sim/plan/preflight-gate.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

const FILE = 'scenarios/regressions/llmkube-2gpu-node-surge.yaml';

const candidate = (id: string, overrides: Record<string, string>): Evaluation => ({ id, label: id, overrides }) as unknown as Evaluation;

describe('the planner\'s preflight gate', () => {
  it('drops configurations preflight says cannot finish, keeps the rank order of the rest, and notes why', () => {
    const base = planBase(loadScenarioFile(FILE), FILE, []);
    const stalled = candidate('c1', { 'spec.rollout.strategy.rollingUpdate.maxSurge': '1' });
    const noSurge = candidate('c2', { 'spec.rollout.strategy.rollingUpdate.maxSurge': '0', 'spec.rollout.strategy.rollingUpdate.maxUnavailable': '1' });
    const recreate = candidate('c3', { 'spec.rollout.strategy': '{recreate: {}}' });
    const notes: string[] = [];
    expect(preflightAdmitted(base, [stalled, noSurge, recreate], 4, notes)).toEqual([noSurge, recreate]);
    expect(notes).toEqual([expect.stringContaining('c1 (c1) cannot finish (blocked by gpu-capacity)')]);
    expect(preflightAdmitted(base, [stalled, noSurge, recreate], 1, [])).toEqual([noSurge]);
  });
});
