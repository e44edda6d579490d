/**
 * The planner on multi-node replicas (docs/multi-node.md): it searches LeaderWorkerSet's own rolling update, never
 * a strategy LWS cannot run, keeps the workers up while the leader drains, and writes a LeaderWorkerSet snippet.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toSetList } from '../../sim/batch/override-values.js';
import { intCount } from '../../sim/config/int-or-percent.js';
import { overridesOf, planBase, resolvedConfig, type PlanConfig } from '../../sim/plan/config.js';
import { plan } from '../../sim/plan/plan.js';
import { strategySnippet } from '../../sim/plan/snippet.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { strategyVariant } from '../../sim/cli/compare-plan.js';

const FILE = 'test/plan/lws-fleet.yaml';
const base = planBase(loadScenarioFile(FILE), FILE, []);
const config: PlanConfig = {
  strategy: { kind: 'leaderWorkerSet', maxSurge: intCount(0), maxUnavailable: intCount(1) },
  preStopSeconds: 5,
  shutdownTimeoutSeconds: 120,
  terminationGracePeriodSeconds: 130,
  readiness: { kind: 'health', periodSeconds: 5 },
  minReadySeconds: 0,
  headroomNodes: 0,
};

describe('planning a LeaderWorkerSet rollout', () => {
  it("counts a replica's GPUs over its group and rolls with LWS's rolling update", () => {
    expect(base.rollingKind).toBe('leaderWorkerSet');
    expect(base.gpusPerPod).toBe(16);
    expect(base.asWritten?.strategy).toEqual({ kind: 'leaderWorkerSet', maxSurge: intCount(1), maxUnavailable: intCount(0) });
    // LWS rounds a percentage of maxUnavailable down and of maxSurge up, in groups.
    const pct = resolvedConfig({ ...config, strategy: { kind: 'leaderWorkerSet', maxSurge: { kind: 'percent', value: 25 }, maxUnavailable: { kind: 'percent', value: 75 } } }, 2);
    expect(pct.strategy).toEqual({ kind: 'leaderWorkerSet', maxSurge: intCount(1), maxUnavailable: intCount(1) });
  });

  it("keeps the workers up while the leader drains: their preStop is preStop + drain, in the overrides and the snippet", () => {
    const overrides = overridesOf(config, base);
    expect(overrides['spec.deployment.leaderWorkerSet.workerPreStop.sleep']).toBe('125s');
    const spec = loadScenarioFile(FILE, toSetList(overrides)).scenario.spec;
    expect(spec.deployment.leaderWorkerSet?.workerPreStop?.sleep).toBe(125);
    expect(spec.rollout?.strategy).toEqual({ leaderWorkerSet: { maxSurge: intCount(0), maxUnavailable: intCount(1), partition: 0 } });
    const snippet = parse(strategySnippet(config, base, 'c1'));
    expect(snippet.kind).toBe('LeaderWorkerSet');
    expect(snippet.spec.rolloutStrategy).toEqual({ type: 'RollingUpdate', rollingUpdateConfiguration: { maxSurge: 0, maxUnavailable: 1 } });
    expect(snippet.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 125 } } });
    expect(snippet.spec.leaderWorkerTemplate.leaderTemplate.spec.terminationGracePeriodSeconds).toBe(130);
  });

  it('searches only LWS rolling updates and recommends one whose streams are not cut', async () => {
    const r = await plan({ file: FILE, seeds: 2, verifySeeds: 3, limits: {} });
    expect(new Set(r.candidates.map((c) => c.strategy))).toEqual(new Set(['leaderWorkerSet']));
    expect(r.pruned.filter((p) => /a LeaderWorkerSet rolls only with its own rolling update/.test(p.reason)).map((p) => p.stage)).toEqual(['blueGreen', 'recreate', 'canary']);
    expect(r.recommended).not.toBeNull();
    expect(r.recommended!.snippet).toMatch(/kind: LeaderWorkerSet/);
  }, 120_000);
});

describe('compare --strategies lws', () => {
  it("runs LWS's rolling update: the scenario's own budgets, else LWS's defaults", () => {
    expect(strategyVariant('lws', loadScenarioFile(FILE))).toMatchObject({ overrides: [], description: 'leaderWorkerSet {"maxUnavailable":0,"maxSurge":1} (the scenario\'s)' });
    const deployment = loadScenarioFile('test/plan/small-fleet.yaml');
    expect(strategyVariant('lws', deployment).overrides).toEqual(['spec.rollout.strategy={"leaderWorkerSet":{}}']);
  });
});
