import { GroupCluster, type GroupClusterConfig } from '../cluster/group-cluster.js';
import type { GroupState } from '../cluster/pod-group.js';
import { RandomStreams } from '../engine/random.js';
import { Simulator } from '../engine/simulator.js';
import { fleetPdLatency, ratioDrift, type PdLoad, type PdReplicaCosts, type RoleCounts } from '../serving/disaggregation.js';
import { lwsBudgets, type LwsRollingConfig } from './lws-arithmetic.js';
import { coordinatedStepCount, coordinatedTarget, PD_ROLES, rollingBatch, type PdRole } from './pd-arithmetic.js';
import { LwsController } from './lws-controller.js';

export type { PdRole };
/** `independent`: each role's LWS rolls on its own. `coordinated`: both roles step their partitions together. */
export type PdRolloutMode = 'independent' | 'coordinated';

export interface PdRolloutSpec {
  readonly roles: Readonly<Record<PdRole, { readonly cluster: GroupClusterConfig; readonly rollout: LwsRollingConfig }>>;
  readonly mode: PdRolloutMode;
  readonly at: number;
  readonly duration: number;
  readonly seed: number;
  readonly load: PdLoad;
  readonly costs: Readonly<Record<'old' | 'new', PdReplicaCosts>>;
}

export interface PdRolloutSummary {
  readonly outcome: 'completed' | 'stalled';
  readonly durationSeconds: number | null;
  /** Largest ratioDrift (prefill replicas off the sized prefill:decode ratio within one version) during the rollout. */
  readonly maxRatioDrift: number;
  /** Time-weighted over the rollout, over the seconds when every request could be served. */
  readonly meanTtftSeconds: number;
  readonly maxTtftSeconds: number;
  readonly meanTpotSeconds: number;
  readonly maxTpotSeconds: number;
  /** Seconds in which no version had both roles ready, or a serving pool was saturated (latency unbounded). */
  readonly unservableSeconds: number;
}

export interface PdSample {
  readonly t: number;
  readonly prefill: RoleCounts;
  readonly decode: RoleCounts;
}

/**
 * The coordinated rollout of a DisaggregatedSet-style controller (kubernetes-sigs/lws pkg/controllers/
 * disaggregatedset/planner.go: one shared step index, each role at ⌈i × replicas / steps⌉ of its target, steps =
 * the most any role needs at its batch of maxSurge, or maxUnavailable without surge), expressed with each role's
 * LWS `partition` as the LWS API suggests for xPyD: step i sets partition_r = replicas_r − ⌈i × replicas_r / steps⌉,
 * and the next step waits until every role's groups above its partition are updated and ready.
 */
export function coordinatedPartitions(replicas: Readonly<Record<PdRole, number>>, steps: number, step: number): Record<PdRole, number> {
  const at = (r: number): number => r - coordinatedTarget(r, steps, step);
  return { prefill: at(replicas.prefill), decode: at(replicas.decode) };
}

export function coordinatedSteps(roles: Readonly<Record<PdRole, LwsRollingConfig>>): number {
  return coordinatedStepCount(
    PD_ROLES.map((role) => {
      const b = lwsBudgets(roles[role]);
      return { replicas: roles[role].replicas, batch: rollingBatch(b.maxSurge, b.maxUnavailable) };
    }),
  );
}

function tailDone(states: readonly GroupState[], from: number, replicas: number): boolean {
  for (let i = from; i < replicas; i++) if (!states[i]?.ready || !states[i]?.updated) return false;
  return true;
}

/** Runs both roles' rollouts on one event loop and reports the ratio and the latency the fleet saw. */
export function runPdRollout(spec: PdRolloutSpec): { summary: PdRolloutSummary; samples: readonly PdSample[] } {
  const sim = new Simulator();
  const streams = new RandomStreams(spec.seed);
  const samples: PdSample[] = [];
  const roles = ['prefill', 'decode'] as const;
  const controllers: Partial<Record<PdRole, LwsController>> = {};
  const clusters = {} as Record<PdRole, GroupCluster>;
  const configs = { prefill: spec.roles.prefill.rollout, decode: spec.roles.decode.rollout };
  const replicas = { prefill: configs.prefill.replicas, decode: configs.decode.replicas };
  const steps = coordinatedSteps(configs);
  let step = 0;
  const advance = (): void => {
    if (spec.mode !== 'coordinated' || step === 0 || step >= steps) return;
    const partitions = coordinatedPartitions(replicas, steps, step);
    if (!roles.every((r) => tailDone(clusters[r].states(), partitions[r], replicas[r]))) return;
    step++;
    const next = coordinatedPartitions(replicas, steps, step);
    for (const r of roles) controllers[r]?.setPartition(next[r]);
  };
  const changed = (role: PdRole) => (): void => {
    controllers[role]?.requestSync();
    if (controllers.prefill && controllers.decode) {
      samples.push({ t: sim.now, prefill: counts(clusters.prefill), decode: counts(clusters.decode) });
      advance();
    }
  };
  for (const role of roles) {
    const { cluster, rollout } = spec.roles[role];
    clusters[role] = new GroupCluster(sim, streams.stream(`pd.${role}.startup`), cluster, changed(role));
    clusters[role].initialFleet(rollout.replicas, 'old');
  }
  for (const role of roles) {
    const { cluster } = spec.roles[role];
    const initial = spec.mode === 'coordinated' ? { ...configs[role], partition: coordinatedPartitions(replicas, steps, 1)[role] } : configs[role];
    controllers[role] = new LwsController(sim, clusters[role], initial, { old: cluster.shape.old, new: cluster.shape.new, gpusPerNode: cluster.gpusPerNode });
  }
  sim.at(
    spec.at,
    sim.handler(() => {
      step = 1;
      samples.push({ t: sim.now, prefill: counts(clusters.prefill), decode: counts(clusters.decode) });
      for (const role of roles) controllers[role]?.start();
    }),
  );
  sim.run(spec.duration);
  for (const role of roles) controllers[role]?.finish();
  const done = roles.every((r) => controllers[r]?.complete);
  const end = done ? Math.max(...roles.map((r) => controllers[r]?.finishedAt ?? 0)) : spec.duration;
  return { summary: summarise(spec, samples, end, done), samples };
}

function counts(cluster: GroupCluster): RoleCounts {
  return { old: cluster.readyGroups('old'), new: cluster.readyGroups('new') };
}

function summarise(spec: PdRolloutSpec, samples: readonly PdSample[], end: number, done: boolean): PdRolloutSummary {
  const target = { prefill: spec.roles.prefill.rollout.replicas, decode: spec.roles.decode.rollout.replicas };
  let drift = 0;
  let ttftSum = 0;
  let tpotSum = 0;
  let servedSpan = 0;
  let maxTtft = 0;
  let maxTpot = 0;
  let unservable = 0;
  const within = samples.filter((s) => s.t >= spec.at && s.t <= end);
  within.forEach((s, i) => {
    const span = (i + 1 < within.length ? within[i + 1].t : end) - s.t;
    drift = Math.max(drift, ratioDrift(s.prefill, s.decode, target.prefill, target.decode));
    const l = fleetPdLatency(s.prefill, s.decode, spec.load, spec.costs);
    if (!Number.isFinite(l.ttft) || !Number.isFinite(l.tpot)) {
      unservable += span;
      return;
    }
    ttftSum += span * l.ttft;
    tpotSum += span * l.tpot;
    servedSpan += span;
    maxTtft = Math.max(maxTtft, l.ttft);
    maxTpot = Math.max(maxTpot, l.tpot);
  });
  return {
    outcome: done ? 'completed' : 'stalled',
    durationSeconds: done ? end - spec.at : null,
    maxRatioDrift: drift,
    meanTtftSeconds: servedSpan > 0 ? ttftSum / servedSpan : 0,
    maxTtftSeconds: maxTtft,
    meanTpotSeconds: servedSpan > 0 ? tpotSum / servedSpan : 0,
    maxTpotSeconds: maxTpot,
    unservableSeconds: unservable,
  };
}
