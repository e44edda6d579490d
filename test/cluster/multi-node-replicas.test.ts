/**
 * Multi-node replicas request by request (docs/multi-node.md): LeaderWorkerSet groups in the cluster (a leader that
 * serves and workers that hold the other ranks), group start-up at the slowest member, the cascade of a group's
 * deletion and the worker's exit cutting the leader's drain, the restart policies, and LWS's rolling update on
 * the real cluster.
 */
import { describe, expect, it } from 'vitest';
import type { PodEvent } from '../../sim/cluster/event-log.js';
import { evaluateAssertions } from '../../sim/run/assertions.js';
import { cutDelay } from '../../sim/run/drop-risk.js';
import { preflight } from '../../sim/run/preflight.js';
import { resolveRun } from '../../sim/run/resolve.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioFile, loadScenarioText } from '../../sim/scenario/load.js';
import { scenarioWarnings } from '../../sim/scenario/lint.js';
import { makePodTemplate } from '../../sim/cluster/template.js';
import { inputError } from '../helpers/input-error.js';

/** 405B BF16 needs two 8-GPU nodes: four two-pod groups on ten nodes, rolled by LWS with one surge group. */
const LWS = `
apiVersion: rollout-sim/v1alpha1
kind: Scenario
metadata: { name: lws-405b }
spec:
  seed: 3
  duration: 70m
  cluster: { nodePools: [{ name: h100, gpu: h100-80gb, gpusPerNode: 8, nodes: 10 }] }
  model: { name: llama-3.1-405b, tensorParallel: 8 }
  server: { maxNumSeqs: 64, shutdownTimeout: 60s }
  deployment:
    replicas: 4
    preStop: { sleep: 10s }
    terminationGracePeriodSeconds: 90
    leaderWorkerSet: { size: 2, workerPreStop: { sleep: 80s } }
  rollout:
    at: 2m
    strategy: { leaderWorkerSet: { maxUnavailable: 0, maxSurge: 1 } }
  traffic:
    arrival: { poisson: { rate: 0.3/s } }
    promptTokens: { constant: 500 }
    outputTokens: { lognormal: { p50: 100, p90: 400 } }
    maxOutputTokens: 600
`;

const load = (overrides: string[] = []) => loadScenarioText(LWS, { overrides });
const run = (overrides: string[] = []) => runScenario(load(overrides));
const named = (events: readonly PodEvent[], event: string) => events.filter((e) => e.event === event);

describe('a LeaderWorkerSet replica in the cluster', () => {
  it('places every member on its own node, serves from the leader only, and holds size × TP GPUs per replica', () => {
    const result = run(['spec.rollout.at=1h', 'spec.duration=5m']);
    expect(result.summary.capacity.peakGpus).toBe(64);
    const first = result.series[0];
    expect(first.endpointsOld).toBe(4);
    expect(first.readyOld).toBe(4);
    // Every request was served by a leader: the pods that took requests are the four leaders.
    expect(result.summary.requests.completed).toBeGreaterThan(50);
    expect(result.summary.requests.dropped + result.summary.requests.rejected).toBe(0);
  });

  it("starts a group's engine only when its slowest member's start-up is done", () => {
    const result = run();
    const { events } = result;
    // The third recreated group's worker waits for a node its old worker still holds: its leader finishes first.
    const waiting = named(events, 'WaitingForWorkers');
    expect(waiting.length).toBeGreaterThan(0);
    const waits = waiting.map((w) => {
      const ready = events.find((e) => e.pod === w.pod && e.event === 'EngineReady' && e.t >= w.t);
      expect(ready, `${w.pod} never started its engine`).toBeDefined();
      // The engine starts in the instant the last worker's start-up ends (its rank joins), never before.
      expect(events.some((e) => e.pod === `${w.pod}-1` && e.event === 'warmup' && e.t <= ready!.t)).toBe(true);
      return ready!.t - w.t;
    });
    // The group whose worker waited for a node its old worker still held started minutes after its leader was done.
    expect(Math.max(...waits)).toBeGreaterThan(30);
  });

  it('deletes the workers with their leader; a worker exiting at SIGTERM cuts what the leader still drains', () => {
    const held = run();
    expect(held.summary.requests.droppedByCause['worker-lost'] ?? 0).toBe(0);
    const cut = run(['spec.deployment.leaderWorkerSet.workerPreStop.sleep=10s']);
    expect(cut.summary.requests.droppedByCause['worker-lost']).toBeGreaterThan(0);
    expect(cut.summary.groups?.rankLosses).toBeGreaterThan(0);
    expect(held.summary.groups).toEqual({ size: 2, newSize: 2, recreated: 0, rankLosses: 0 });
    // Each deleted leader's workers got Killing in the same instant.
    for (const kill of named(cut.events, 'Killing').filter((e) => !/-\d+-\d+$/.test(e.pod))) {
      expect(cut.events.some((e) => e.pod === `${kill.pod}-1` && e.event === 'Killing' && e.t === kill.t)).toBe(true);
    }
    // The estimator's cut is the workers' SIGTERM, not the leader's drain deadline.
    expect(cut.summary.requests.expectedDropped).toBeGreaterThan(0);
    expect(Math.abs(cut.summary.requests.expectedDropped - cut.summary.requests.dropped)).toBeLessThan(cut.summary.requests.dropped);
  });

  it('restart policies: a crashing member recreates its group, or restarts alone under None', () => {
    const crash = ['spec.rollout.newVersion={"crashOnStart":true}', 'spec.duration=40m'];
    const recreate = run(crash);
    expect(named(recreate.events, 'GroupRecreate').length).toBeGreaterThan(1);
    expect(recreate.summary.groups).toMatchObject({ size: 2, newSize: 2, recreated: named(recreate.events, 'GroupRecreate').length });
    expect(named(recreate.events, 'BackOff').length).toBe(0);
    expect(recreate.summary.rollout.outcome).toBe('stalled');
    const alone = run([...crash, 'spec.deployment.leaderWorkerSet.restartPolicy=None']);
    expect(named(alone.events, 'GroupRecreate').length).toBe(0);
    expect(named(alone.events, 'BackOff').length).toBeGreaterThan(1);
    // Pending members (image still pulling) do not trigger RecreateGroupAfterStart: the crash comes after the pull.
    const afterStart = run([...crash, 'spec.deployment.leaderWorkerSet.restartPolicy=RecreateGroupAfterStart']);
    expect(named(afterStart.events, 'GroupRecreate').length).toBeGreaterThan(1);
  });

  it("rolls with LWS's partition and surge: the trace the LWS documentation tabulates", () => {
    // replicas 4, maxUnavailable 2, maxSurge 2 (docs: concepts/rollout-strategy): replicas 4 → 6 at partition 4, the
    // partition steps to 2 and then 0 as the tail becomes ready, and the surge is reclaimed back to 4.
    const result = run(['spec.rollout.strategy.leaderWorkerSet.maxUnavailable=2', 'spec.rollout.strategy.leaderWorkerSet.maxSurge=2', 'spec.cluster.nodePools[0].nodes=12']);
    const writes = named(result.events, 'LwsStatefulSet').map((e) => e.reason);
    expect(writes).toEqual(['replicas 6, partition 4', 'replicas 6, partition 2', 'replicas 6, partition 0', 'replicas 4, partition 0']);
    expect(result.summary.rollout.outcome).toBe('completed');
    expect(result.summary.capacity.peakGpus).toBe(96);
  });

  it('stages a rollout at a partition: groups below it keep the old revision', () => {
    const result = run(['spec.rollout.strategy.leaderWorkerSet.partition=2']);
    expect(result.summary.rollout.outcome).toBe('stalled');
    expect(result.summary.rollout.reason).toMatch(/staged at partition 2/);
    // LWS keeps its surge group while more than maxSurge targets are outdated: 2, 3 and the surge 4 are new.
    const last = result.series.at(-1)!;
    expect(last.readyOld).toBe(2);
    expect(last.readyNew).toBe(3);
  });

  it('passes the assertions a demanding user would write, and is the same bytes for the same seed', () => {
    const loaded = load();
    const a = runScenario(loaded);
    const b = runScenario(loaded);
    const simulated = (r: typeof a) => JSON.stringify({ ...r.summary, engine: { events: r.summary.engine.events } });
    expect(simulated(a)).toBe(simulated(b));
    const failed = evaluateAssertions(a.summary, ["rollout.outcome == 'completed'", 'rollout.minReadyReplicas >= 4', 'capacity.peakGpus <= 80']).filter((x) => !x.passed);
    expect(failed).toEqual([]);
  });
});

describe('will a LeaderWorkerSet rollout finish?', () => {
  it('a half-placed surge group holds a node while its worker waits: preflight says so and verifies the fixes', () => {
    // Nine nodes: the surge group's leader takes the spare node, its worker never finds one (no gang scheduling).
    const report = preflight(load(['spec.cluster.nodePools[0].nodes=9']));
    expect(report.outcome).toBe('stalled');
    expect(report.blockedBy).toBe('gpu-capacity');
    expect(report.minExtraGpus).toBe(8);
    expect(report.fixes.map((f) => f.text)).toEqual([
      'maxSurge: 0, maxUnavailable: 1 (frees 16 GPUs before a new group needs them)',
      'add 8 GPUs in pool h100 (1 node: nodes 9 → 10, maxNodes 9 → 10)',
    ]);
    expect(preflight(load()).outcome).toBe('completed');
  });
});

describe('hash group identity (lws#987) and group replacement (lws#1050)', () => {
  const hash = ['spec.deployment.leaderWorkerSet.groupIdentity=Hash'];

  it("rolls the leaders as a Deployment's RollingUpdate with LWS's budgets, and completes", () => {
    const result = run(hash);
    expect(result.summary.rollout.outcome).toBe('completed');
    expect(named(result.events, 'LwsStatefulSet')).toEqual([]);
    expect(named(result.events, 'RolloutStarted')[0].reason).toMatch(/^rollingUpdate/);
    expect(result.summary.capacity.peakGpus).toBe(80);
  });

  it('PostTermination: a replacement leader stays gated until the group it replaces is fully gone', () => {
    const result = run(hash);
    const gatedAt = new Map(named(result.events, 'SchedulingGated').map((e) => [e.pod, e.t]));
    const waited = named(result.events, 'SchedulingGateRemoved').filter((e) => e.t > (gatedAt.get(e.pod) ?? Infinity));
    // Each old group is replaced one for one (maxUnavailable 0, surge 1): three replacements waited.
    expect(waited.length).toBe(3);
    // A gate lifts in the instant the last pod of a deleted group is gone, never before.
    const gone = new Set(named(result.events, 'Gone').map((e) => e.t));
    for (const e of waited) expect(gone.has(e.t), `${e.pod} admitted at ${e.t}`).toBe(true);
    expect(result.summary.capacity.pendingPodSeconds).toBe(0);
    const immediate = run([...hash, 'spec.deployment.leaderWorkerSet.groupReplacementPolicy=Immediate']);
    expect(named(immediate.events, 'SchedulingGated')).toEqual([]);
    // The replacement waits in the scheduler instead, holding its place in the queue against the old group.
    expect(immediate.summary.capacity.pendingPodSeconds).toBeGreaterThan(0);
  });

  it("the group-ready gate: a leader without a readiness probe is Ready only once its worker's rank has joined", () => {
    const noProbe = ['spec.deployment.readinessProbe=null', 'spec.rollout.at=1h', 'spec.duration=70m', 'spec.coldStart=true'];
    const firstReady = (r: ReturnType<typeof run>) => {
      const leader = named(r.events, 'Created')[0].pod;
      const ready = r.events.find((e) => e.pod === leader && e.event === 'Ready')!.t;
      const engine = r.events.find((e) => e.pod === leader && e.event === 'EngineReady')!.t;
      return { ready, engine };
    };
    const ordinal = firstReady(run(noProbe));
    expect(ordinal.ready).toBeLessThan(ordinal.engine);
    const gated = firstReady(run([...noProbe, ...hash]));
    expect(gated.ready).toBe(gated.engine);
  });

  it('refuses what LWS validation refuses', () => {
    expect(inputError(() => resolveRun(load([...hash, 'spec.rollout.strategy.leaderWorkerSet.partition=1']))).message).toMatch(
      /spec\.rollout\.strategy\.leaderWorkerSet\.partition: a partition with hash group identity/,
    );
    expect(inputError(() => resolveRun(load(['spec.deployment.leaderWorkerSet.groupReplacementPolicy=Immediate']))).message).toMatch(
      /spec\.deployment\.leaderWorkerSet\.groupReplacementPolicy: groupReplacementPolicy Immediate with ordinal group identity/,
    );
  });
});

describe("the replica's network", () => {
  it("is the node pool's unless the group names its own, and the step time follows it", () => {
    const stepOf = (overrides: string[]) => {
      const serving = resolveRun(load(overrides)).serving.old;
      if (serving.kind !== 'llm') throw new Error('expected the LLM server');
      return serving.stepTime.name;
    };
    expect(stepOf([])).toMatch(/infiniband-ndr/);
    expect(stepOf(['spec.cluster.nodePools[0].network=ethernet-100g'])).toMatch(/ethernet-100g/);
    expect(stepOf(['spec.cluster.nodePools[0].network=ethernet-100g', 'spec.deployment.leaderWorkerSet.network=roce-400g'])).toMatch(/roce-400g/);
  });
});

describe('gang scheduling (a PodGroup per replica)', () => {
  it('binds all of a group or none: the half-placed surge group holds no node', () => {
    const nine = ['spec.cluster.nodePools[0].nodes=9', 'spec.duration=30m'];
    const halfPlaced = run(nine);
    const gang = run([...nine, 'spec.deployment.leaderWorkerSet.gangScheduling=true']);
    const surgeLeader = (r: typeof gang) => named(r.events, 'Created').find((e) => e.version === 'new')!.pod;
    const scheduled = (r: typeof gang) => named(r.events, 'Scheduled').filter((e) => e.pod.startsWith(surgeLeader(r))).length;
    expect(scheduled(halfPlaced)).toBe(1);
    expect(halfPlaced.summary.capacity.peakGpus).toBe(72);
    expect(scheduled(gang)).toBe(0);
    expect(gang.summary.capacity.peakGpus).toBe(64);
    expect(named(gang.events, 'FailedScheduling').at(-1)!.reason).toMatch(/gang-scheduled: none of the group's 2 pending pods binds until all fit/);
    // With room for the whole group it binds at once, both members in the same instant.
    const roomy = run(['spec.deployment.leaderWorkerSet.gangScheduling=true']);
    const bound = named(roomy.events, 'Scheduled').filter((e) => e.pod.startsWith(surgeLeader(roomy)));
    expect(bound.length).toBe(2);
    expect(bound[0].t).toBe(bound[1].t);
    expect(roomy.summary.rollout.outcome).toBe('completed');
  });
});

describe('a new version of another shape: 1 × 8 GPUs → 2 × 4 (rollout.newVersion)', () => {
  const DEADLOCK = 'scenarios/multi-node/one-by-eight-to-two-by-four-deadlock.yaml';

  it('deadlocks on full nodes when the ranks repel each other, and preflight verifies maxUnavailable 2 and one more node', () => {
    const loaded = loadScenarioFile(DEADLOCK, ['spec.duration=40m', 'spec.traffic.arrival.poisson.rate=0.5/s']);
    const run = resolveRun(loaded);
    expect(run.templates.old).toMatchObject({ tensorParallel: 8, group: null });
    expect(run.templates.new).toMatchObject({ tensorParallel: 4, group: { size: 2, onePodPerNode: true } });
    // Each new pod loads half of the checkpoint the old pod loaded.
    expect(run.templates.new.model.weightBytes * 2).toBeCloseTo(run.templates.old.model.weightBytes, 0);
    const result = runScenario(loaded);
    expect(result.summary.rollout.outcome).toBe('stalled');
    expect(result.summary.rollout.blockedBy).toBe('gpu-capacity');
    expect(named(result.events, 'FailedScheduling').at(-1)!.reason).toMatch(/didn't match pod anti-affinity rules/);
    const report = preflight(loaded);
    expect(report.fixes.map((f) => f.text)).toEqual([
      'maxSurge: 0, maxUnavailable: 2 (frees 16 GPUs before a new group needs them)',
      'add 8 GPUs in pool h100 (1 node: nodes 8 → 9, maxNodes 8 → 9)',
    ]);
  });

  it('completes when the two ranks may share a node', () => {
    const result = runScenario(loadScenarioFile(DEADLOCK, ['spec.duration=60m', 'spec.traffic.arrival.poisson.rate=0.5/s', 'spec.rollout.newVersion.leaderWorkerSet.onePodPerNode=false']));
    expect(result.summary.rollout.outcome).toBe('completed');
    // One group at a time (maxUnavailable 1): the partition steps 8 → 0 one ordinal per write.
    expect(named(result.events, 'LwsStatefulSet').map((e) => e.reason.split(', ')[1])).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0].map((p) => `partition ${p}`));
  });

  it("refuses a new tensor parallelism the model's heads do not divide", () => {
    expect(inputError(() => resolveRun(loadScenarioFile(DEADLOCK, ['spec.rollout.newVersion.tensorParallel=3']))).message).toMatch(/spec\.rollout\.newVersion\.tensorParallel/);
  });
});

describe('multi-node settings that cannot be right', () => {
  it('refuses a Deployment strategy for a LeaderWorkerSet, and an abort for the LWS rolling update', () => {
    expect(inputError(() => resolveRun(load(['spec.rollout.strategy={"rollingUpdate":{}}']))).message).toMatch(
      /spec\.rollout\.strategy: a LeaderWorkerSet deployment rolled with the rollingUpdate strategy; expected strategy: \{ leaderWorkerSet/,
    );
    expect(inputError(() => resolveRun(load(['spec.rollout.abortAt=10m']))).message).toMatch(/spec\.rollout\.abortAt: .*no abort/);
  });

  it('warns when the workers exit before the leader has drained', () => {
    const warnings = scenarioWarnings(load(['spec.deployment.leaderWorkerSet.workerPreStop.sleep=10s']).scenario.spec, {});
    expect(warnings.join('\n')).toMatch(/workers exit at SIGTERM after their preStop \(10 s\).*until 70 s.*at least 70 s/);
    expect(scenarioWarnings(load().scenario.spec, {})).toEqual([]);
    // A fleet that becomes multi-node only in its new version: its workers take the deployment's preStop.
    const reshaped = loadScenarioFile('scenarios/multi-node/one-by-eight-to-two-by-four-deadlock.yaml', ['spec.deployment.leaderWorkerSet={"size":1}', 'spec.server.shutdownTimeout=60s', 'spec.deployment.terminationGracePeriodSeconds=90']);
    expect(scenarioWarnings(reshaped.scenario.spec, {}).join('\n')).toMatch(/spec\.deployment\.leaderWorkerSet: the workers exit at SIGTERM after their preStop \(10 s, the same as the leader's\)/);
  });

  it("the drop estimator's cut is the earlier of the leader's drain and the workers' SIGTERM", () => {
    const base = { name: 't', version: 'old' as const, model: { name: 'm', params: 1, weightBytes: 1, jitAddOns: [] }, gpu: 'h100-80gb', tensorParallel: 8 };
    const pod = { probes: { readiness: null, liveness: null, startup: null }, preStopSleep: 10, terminationGracePeriodSeconds: 90, minReadySeconds: 0 };
    const template = (workerPreStopSleep: number | null) =>
      makePodTemplate({
        ...base,
        startup: resolveRun(load()).templates.old.startup,
        pod,
        listenAt: 'engine-ready',
        shutdownTimeout: 60,
        group: workerPreStopSleep === null ? null : { size: 2, restartPolicy: 'RecreateGroupOnPodRestart', workerPreStopSleep, onePodPerNode: false, gangScheduling: false, hash: null },
        createServer: () => {
          throw new Error('not started');
        },
      });
    expect(cutDelay(template(null))).toBe(70);
    expect(cutDelay(template(80))).toBe(70);
    expect(cutDelay(template(10))).toBe(10);
  });
});
