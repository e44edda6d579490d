import { GroupCluster, type GroupClusterConfig, type GroupEvent, type GroupRevision } from '../cluster/group-cluster.js';
import { RandomStreams } from '../engine/random.js';
import { Simulator } from '../engine/simulator.js';
import type { LwsRollingConfig } from './lws-arithmetic.js';
import { LwsController, type LwsStall, type LwsTraceRow } from './lws-controller.js';

/** A group-level LWS rollout: the fleet, the rollout's budgets, when it starts, injected member failures. */
export interface LwsRolloutSpec {
  readonly cluster: GroupClusterConfig;
  readonly rollout: LwsRollingConfig;
  /** Seconds. */
  readonly at: number;
  readonly duration: number;
  readonly seed: number;
  /** A member's container dies at `t` (seconds): `restartPolicy` decides what restarts. */
  readonly failures?: readonly { readonly t: number; readonly ordinal: number; readonly member: number }[];
  /** Serving capacity of one ready group (e.g. tokens/s from the multi-node step time) and the demand, same unit. */
  readonly capacity?: { readonly perGroup: Readonly<Record<GroupRevision, number>>; readonly demand: number };
}

/** What the run reports: the summary keys of an LWS rollout (assertions refer to them). */
export interface LwsRolloutSummary {
  /** `completed` or `stalled`. */
  readonly outcome: 'completed' | 'stalled';
  /** Seconds from the template change to every group updated and ready; null when stalled. */
  readonly durationSeconds: number | null;
  readonly minReadyGroups: number;
  readonly peakGroups: number;
  readonly peakGpus: number;
  /** Group recreations (rollout and restarts). */
  readonly groupsRecreated: number;
  /** Seconds with fewer ready groups than spec.replicas, from the rollout's start to its end (or the run's). */
  readonly degradedSeconds: number;
  /** Seconds in which the ready groups' capacity was below the demand; 0 without `capacity`. */
  readonly secondsBelowDemand: number;
  readonly stall: LwsStall | null;
}

export interface LwsRolloutResult {
  readonly summary: LwsRolloutSummary;
  readonly trace: readonly LwsTraceRow[];
  readonly events: readonly GroupEvent[];
}

/** Runs one LWS rollout on its own event loop. */
export function runLwsRollout(spec: LwsRolloutSpec): LwsRolloutResult {
  const sim = new Simulator();
  const streams = new RandomStreams(spec.seed);
  let controller: LwsController | null = null;
  const sampled: { t: number; ready: number; readyNew: number }[] = [];
  const cluster = new GroupCluster(sim, streams.stream('lws.startup'), spec.cluster, () => {
    controller?.requestSync();
    sampled.push({ t: sim.now, ready: cluster.readyGroups(), readyNew: cluster.readyGroups('new') });
  });
  cluster.initialFleet(spec.rollout.replicas, 'old');
  controller = new LwsController(sim, cluster, spec.rollout, { old: spec.cluster.shape.old, new: spec.cluster.shape.new, gpusPerNode: spec.cluster.gpusPerNode });
  const c = controller;
  sim.at(spec.at, sim.handler(() => c.start()));
  const fail = sim.handler((i) => {
    const f = (spec.failures ?? [])[i];
    cluster.failMember(f.ordinal, f.member);
  });
  (spec.failures ?? []).forEach((f, i) => sim.at(f.t, fail, i));
  sim.run(spec.duration);
  c.finish();

  const end = c.finishedAt ?? spec.duration;
  let degraded = 0;
  let below = 0;
  let prev = { t: spec.at, ready: spec.rollout.replicas, readyNew: 0 };
  for (const s of [...sampled.filter((x) => x.t >= spec.at && x.t <= end), { t: end, ready: 0, readyNew: 0 }]) {
    const span = s.t - prev.t;
    if (prev.ready < spec.rollout.replicas) degraded += span;
    if (spec.capacity) {
      const cap = prev.readyNew * spec.capacity.perGroup.new + (prev.ready - prev.readyNew) * spec.capacity.perGroup.old;
      if (cap < spec.capacity.demand) below += span;
    }
    prev = s;
  }
  return {
    summary: {
      outcome: c.finishedAt !== null ? 'completed' : 'stalled',
      durationSeconds: c.finishedAt !== null ? c.finishedAt - spec.at : null,
      minReadyGroups: c.minReadyGroups,
      peakGroups: c.peakGroups,
      peakGpus: c.peakGpus,
      groupsRecreated: cluster.events.filter((e) => e.event === 'GroupRecreated').length,
      degradedSeconds: degraded,
      secondsBelowDemand: below,
      stall: c.stall,
    },
    trace: c.trace,
    events: cluster.events,
  };
}
