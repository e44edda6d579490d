/**
 * Prefill/decode disaggregation with multi-node roles request by request (docs/disaggregation.md, "Multi-node
 * roles"): either role a LeaderWorkerSet of groups, rolled by LWS's rolling update per role, independently or
 * stepped together by the DisaggregatedSet planner over both roles' partitions.
 */
import { describe, expect, it } from 'vitest';
import type { PodEvent } from '../../sim/cluster/event-log.js';
import type { Summary } from '../../sim/metrics/summary-types.js';
import type { RunResult } from '../../sim/run/result.js';
import { modelFactsOf } from '../../sim/cluster/template.js';
import { resolveRun } from '../../sim/run/resolve.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { scenarioWarnings } from '../../sim/scenario/lint.js';
import { loadScenarioFile, loadScenarioText } from '../../sim/scenario/load.js';
import { inputError } from '../helpers/input-error.js';

const FILE = 'scenarios/pd/deepseek-v3-pd-lws-coordinated.yaml';
const SHORT = ['spec.duration=50m'];
/** Both roles as two-node groups: 3 prefill groups and 2 decode groups on 10 nodes. */
const BOTH_GROUPS = [
  ...SHORT,
  'spec.deployment.disaggregation.prefill.replicas=3',
  'spec.deployment.disaggregation.prefill.leaderWorkerSet.size=2',
  'spec.deployment.disaggregation.prefill.leaderWorkerSet.workerPreStop.sleep=80s',
  'spec.cluster.nodePools[0].nodes=10',
];
const INDEPENDENT = 'spec.rollout.disaggregated.mode=independent';

function run(overrides: string[], seed?: number): RunResult {
  return runScenario(loadScenarioFile(FILE, overrides), { seed });
}

/** The partitions a role's LWS wrote to its leader StatefulSet, in order. */
function partitions(events: readonly PodEvent[], role: 'prefill' | 'decode'): number[] {
  return events.filter((e) => e.event === 'LwsStatefulSet' && e.reason.startsWith(`${role}:`)).map((e) => Number(/partition (\d+)/.exec(e.reason)?.[1]));
}

function workersCreated(events: readonly PodEvent[], leaderPrefix: string): number {
  return events.filter((e) => e.event === 'Created' && e.reason.startsWith(`worker of ${leaderPrefix}`)).length;
}

describe('disaggregated roles as LeaderWorkerSet groups', () => {
  it('places both roles as groups, serves through the leaders and steps both LWS partitions together', () => {
    const r = run(BOTH_GROUPS);
    const s = r.summary;
    expect(s.rollout.outcome).toBe('completed');
    expect(s.requests.dropped + s.requests.rejected).toBe(0);
    expect(s.requests.completed).toBeGreaterThan(1000);
    // Every group is a leader and a worker: 5 groups at time 0, 5 recreated at the new revision.
    expect(workersCreated(r.events, 'deepseek-v3-pd-lws-coordinated-old-prefill')).toBe(3);
    expect(workersCreated(r.events, 'deepseek-v3-pd-lws-coordinated-new-prefill')).toBe(3);
    expect(workersCreated(r.events, 'deepseek-v3-pd-lws-coordinated-new-') - workersCreated(r.events, 'deepseek-v3-pd-lws-coordinated-new-prefill')).toBe(2);
    // Only leaders are endpoints, and the ratio counts groups: 3 prefill and 2 decode groups at the start, not 10 pods.
    const first = r.series[0];
    expect([first.endpointsOld, first.prefillReadyOld, first.decodeReadyOld]).toEqual([5, 3, 2]);
    expect(s.capacity.steadyGpus).toBe(80);
    // 3 steps (the prefill role's 3 groups one at a time): prefill partitions 2, 1, 0; decode 1, 0, 0.
    expect(r.events.filter((e) => e.event === 'StepAdvanced').map((e) => e.reason)).toEqual([
      'step 2 of 3: prefill partition 1, decode partition 0',
      'step 3 of 3: prefill partition 0, decode partition 0',
    ]);
    expect(partitions(r.events, 'prefill')).toEqual([3, 2, 1, 0]);
    expect(partitions(r.events, 'decode')).toEqual([2, 1, 0]);
    expect(s.disaggregation?.maxRatioDrift).toBeLessThanOrEqual(1);
  });

  it('rolls each role by its own LWS in the independent mode, the prefill role with its own budgets', () => {
    const r = run([...BOTH_GROUPS, INDEPENDENT, 'spec.rollout.disaggregated.prefillLeaderWorkerSet.maxUnavailable=2']);
    expect(r.summary.rollout.outcome).toBe('completed');
    expect(r.events.some((e) => e.event === 'StepAdvanced')).toBe(false);
    // maxUnavailable 2: the prefill partition drops two groups at a time; the decode role keeps the strategy's 1.
    expect(partitions(r.events, 'prefill')).toEqual([3, 1, 0]);
    expect(partitions(r.events, 'decode')).toEqual([2, 1, 0]);
  });

  it('coordinated keeps each version within one group of the ratio; independent drifts by two', () => {
    const coordinated = run(SHORT).summary;
    const independent = run([...SHORT, INDEPENDENT]).summary;
    for (const s of [coordinated, independent]) {
      expect(s.rollout.outcome).toBe('completed');
      expect(s.requests.dropped + s.requests.rejected).toBe(0);
    }
    expect(coordinated.disaggregation?.maxRatioDrift).toBe(1);
    expect(independent.disaggregation?.maxRatioDrift).toBe(2);
    // Independently the decode role is done first: the new version then has 1 prefill pod per decode group.
    expect(independent.disaggregation?.ratioNewMax).toBe(2);
    expect(coordinated.disaggregation?.ratioNewMax).toBe(3);
    // The new version's two prefill pods then feed both decode groups: prompts queue longer (TPOT is the decode groups').
    expect(independent.latency.rollout.ttftP95Ms!).toBeGreaterThan(coordinated.latency.rollout.ttftP95Ms! + 30);
  });

  it("warns when a prefill group's workers exit before its leader's drain ends", () => {
    const warnings = (overrides: string[]): string => scenarioWarnings(loadScenarioFile(FILE, [...BOTH_GROUPS, ...overrides]).scenario.spec, {}).join('\n');
    expect(warnings([])).not.toMatch(/prefill\.leaderWorkerSet/);
    expect(warnings(['spec.deployment.disaggregation.prefill.leaderWorkerSet.workerPreStop.sleep=20s'])).toMatch(
      /spec\.deployment\.disaggregation\.prefill\.leaderWorkerSet: the workers exit at SIGTERM after their preStop \(20 s\).*at least 70 s/,
    );
  });

  it('is deterministic: the same seed gives the same summary', () => {
    const strip = (s: Summary) => ({ ...s, engine: { events: s.engine.events } });
    const a = run(BOTH_GROUPS, 5).summary;
    expect(strip(run(BOTH_GROUPS, 5).summary)).toEqual(strip(a));
    expect(strip(run(BOTH_GROUPS, 6).summary)).not.toEqual(strip(a));
  });
});

describe('multi-node roles input', () => {
  const base = (deployment: string, rollout = ''): string => `
apiVersion: rollout-sim/v1alpha1
kind: Scenario
metadata: { name: pd-groups }
spec:
  duration: 10m
  cluster: { nodePools: [{ name: gpu, gpu: h100-80gb, gpusPerNode: 8, nodes: 8 }] }
  model: { name: llama-3.1-405b, tensorParallel: 8 }
  traffic: { arrival: { poisson: { rate: 1/s } }, promptTokens: { constant: 1000 }, outputTokens: { constant: 50 } }
  deployment:
    replicas: 1
${deployment}
    disaggregation: { prefill: { replicas: 2, leaderWorkerSet: { size: 2, layout: tensor } }, kvTransfer: { bandwidth: 25GB/s } }
${rollout}`;
  const lws = '    leaderWorkerSet: { size: 2 }';
  const rolled = (strategy: string, extra = ''): string => `  rollout: { at: 1m, strategy: ${strategy}${extra} }`;

  it("resolves each role's group, span and checkpoint shard; a single-pod decode role keeps one pod", () => {
    const run = resolveRun(loadScenarioText(base(lws)));
    const d = run.disaggregation!;
    expect(d.prefillGroup?.spec.size).toBe(2);
    expect(d.prefillGroup?.span).toEqual({ pods: 2, layout: 'tensor', network: 'infiniband-ndr' });
    expect(d.prefillTemplates.old.group?.size).toBe(2);
    expect(run.templates.old.group?.size).toBe(2);
    // Each pod of either role loads half the checkpoint (the 405B's BF16 weights: ~811 GB).
    const full = modelFactsOf(d.prefillServing.model.architecture, d.prefillServing.model.weightDtype).weightBytes;
    expect(d.prefillTemplates.old.model.weightBytes).toBe(full / 2);
    expect(run.templates.old.model.weightBytes).toBe(full / 2);
    // The prefill server spans 16 GPUs: one 8-GPU pod cannot hold the weights at all.
    expect(d.prefillServing.replica.kvBlocks).toBeGreaterThan(0);
    expect(() => resolveRun(loadScenarioText(base(lws).replace(', leaderWorkerSet: { size: 2, layout: tensor }', '')))).toThrow(/do not fit|does not fit|exceed/i);
    // The decode role's group is not the prefill role's: a prefill block without leaderWorkerSet is one pod.
    const decodeOnly = resolveRun(loadScenarioText(base(lws).replace(', leaderWorkerSet: { size: 2, layout: tensor }', '').replace('llama-3.1-405b', 'llama-3.1-70b')));
    expect(decodeOnly.templates.old.group?.size).toBe(2);
    expect(decodeOnly.disaggregation?.prefillGroup).toBeNull();
    expect(decodeOnly.disaggregation?.prefillTemplates.old.group).toBeNull();
  });

  it('refuses what it does not model, naming the field', () => {
    const path = (yaml: string): string | undefined => inputError(() => resolveRun(loadScenarioText(yaml))).path;
    // A single-pod decode role: the 70B fits one pod (the prefill role stays a group).
    const small = (rollout: string): string => base('', rollout).replace('llama-3.1-405b', 'llama-3.1-70b');
    expect(path(small(rolled('{ rollingUpdate: {} }')))).toBe('spec.rollout.strategy');
    expect(path(base(lws, rolled('{ rollingUpdate: {} }')))).toBe('spec.rollout.strategy');
    expect(path(small(rolled('{ leaderWorkerSet: {} }', ', disaggregated: { mode: independent, prefillRollingUpdate: { maxSurge: 1 } }')))).toBe(
      'spec.rollout.disaggregated.prefillRollingUpdate',
    );
    expect(path(small(rolled('{ leaderWorkerSet: { partition: 1 } }', ', disaggregated: { mode: coordinated }')))).toBe('spec.rollout.strategy.leaderWorkerSet.partition');
    expect(path(small(rolled('{ leaderWorkerSet: {} }', ', disaggregated: { mode: coordinated, prefillLeaderWorkerSet: { partition: 1 } }')))).toBe(
      'spec.rollout.disaggregated.prefillLeaderWorkerSet.partition',
    );
    expect(path(base(lws, rolled('{ leaderWorkerSet: {} }', ', newVersion: { tensorParallel: 4, leaderWorkerSet: { size: 4 } }')))).toBe('spec.rollout.newVersion.tensorParallel');
    expect(path(base(lws, rolled('{ leaderWorkerSet: {} }', ', newVersion: { leaderWorkerSet: { size: 4 } }')))).toBe('spec.rollout.newVersion.leaderWorkerSet');
    expect(path(base(lws, rolled('{ leaderWorkerSet: {} }', ', abortAt: 5m')))).toBe('spec.rollout.abortAt');
    const singlePods = base('').replace(', leaderWorkerSet: { size: 2, layout: tensor }', '');
    expect(path(singlePods.replace('llama-3.1-405b', 'llama-3.1-70b') + rolled('{ rollingUpdate: {} }', ', disaggregated: { mode: independent, prefillLeaderWorkerSet: {} }'))).toBe(
      'spec.rollout.disaggregated.prefillLeaderWorkerSet',
    );
  });
});
