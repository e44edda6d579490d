import type { GroupCluster } from '../cluster/group-cluster.js';
import { renderGroups, type GroupShape, type LeaderSts } from '../cluster/pod-group.js';
import type { Simulator } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import { lwsBudgets, lwsRolloutComplete, lwsRollingUpdateParameters, type LwsRollingConfig } from './lws-arithmetic.js';

/** One change of the leader StatefulSet or of a group's state, as the LWS documentation tabulates a rollout. */
export interface LwsTraceRow {
  readonly t: number;
  readonly partition: number;
  readonly replicas: number;
  /** ✅ updated and ready, ❎ old revision, ⏳ updated and not ready; ordinal 0 first. */
  readonly groups: string;
  readonly readyGroups: number;
  readonly gpusHeld: number;
}

/**
 * Why a rollout cannot finish. `unschedulable-group`: a recreated or surge group waits for nodes that the budgets
 * will never free (the rollout is deadlocked: nothing else moves). `unready-group`: a group is placed but does not
 * become ready (crash loop, failed start-up).
 */
export interface LwsStall {
  readonly blockedBy: 'unschedulable-group' | 'unready-group';
  readonly ordinal: number;
  readonly message: string;
  /** The smallest change of the budgets that lets the rollout finish, when one is known. */
  readonly suggestion: string;
}

export interface LwsShapes {
  readonly old: GroupShape;
  readonly new: GroupShape;
  readonly gpusPerNode: number;
}

const MAX_SYNCS_PER_INSTANT = 1000;

/**
 * The LeaderWorkerSet controller over a GroupCluster: level-triggered like the Kubernetes controllers (any
 * change asks for one sync at the instant, after every other event), each sync writing the leader StatefulSet's
 * replicas and partition (lws-arithmetic.ts) and the StatefulSet reacting at once. It keeps the trace of the
 * rollout and, when the run ends unfinished, the reason.
 */
export class LwsController {
  readonly trace: LwsTraceRow[] = [];
  startedAt: number | null = null;
  finishedAt: number | null = null;
  /** Fewest ready groups (either revision) between start and finish. */
  minReadyGroups = Infinity;
  peakGroups = 0;
  peakGpus = 0;
  stall: LwsStall | null = null;
  private sts: LeaderSts;
  private syncPending = false;
  private readonly syncHandler: number;
  private readonly stsMaxUnavailable: number;

  constructor(
    private readonly sim: Simulator,
    private readonly cluster: GroupCluster,
    private config: LwsRollingConfig,
    private readonly shapes: LwsShapes,
  ) {
    this.sts = { replicas: config.replicas, partition: 0 };
    this.stsMaxUnavailable = lwsBudgets(config).stsMaxUnavailable;
    this.syncHandler = sim.handler(() => this.syncToFixpoint());
  }

  /** The template changed (kubectl apply of the new image): the rollout starts now. */
  start(): void {
    this.startedAt = this.sim.now;
    this.write(lwsRollingUpdateParameters({ config: this.config, sts: this.sts, states: this.cluster.states(), templateChanged: true, replicasAtStart: this.config.replicas }));
    this.requestSync();
  }

  /** The cluster changed: one sync at this instant, after its other events. */
  readonly requestSync = (): void => {
    if (this.syncPending || this.startedAt === null || this.finishedAt !== null) return;
    this.syncPending = true;
    this.sim.atLate(this.sim.now, this.syncHandler);
  };

  /** spec.rolloutStrategy.rollingUpdateConfiguration.partition changed (an operator or a coordinating controller). */
  setPartition(partition: number): void {
    this.config = { ...this.config, partition };
    this.requestSync();
  }

  get complete(): boolean {
    return this.finishedAt !== null;
  }

  /** The run is over: an unfinished rollout gets its diagnosis. */
  finish(): void {
    if (this.startedAt === null || this.finishedAt !== null) return;
    this.stall = this.diagnose();
  }

  private syncToFixpoint(): void {
    this.syncPending = false;
    for (let pass = 0; ; pass++) {
      if (pass > MAX_SYNCS_PER_INSTANT) throw new InternalError(`LWS controller did not settle at t=${this.sim.now}s`);
      const states = this.cluster.states();
      if (lwsRolloutComplete(this.config, this.sts, states)) {
        this.finishedAt = this.sim.now;
        this.record();
        return;
      }
      const next = lwsRollingUpdateParameters({ config: this.config, sts: this.sts, states, templateChanged: false, replicasAtStart: this.config.replicas });
      if (!this.write(next)) break;
    }
    this.record();
  }

  /** Writes the StatefulSet's spec when it changed or the StatefulSet has work; true if anything moved. */
  private write(next: LeaderSts): boolean {
    const specChanged = next.replicas !== this.sts.replicas || next.partition !== this.sts.partition;
    this.sts = next;
    const changes = this.cluster.applySts(next, this.stsMaxUnavailable);
    const moved = specChanged || changes.created.length + changes.deleted.length + changes.recreated.length > 0;
    if (moved) this.record();
    return moved;
  }

  private record(): void {
    const ready = this.cluster.readyGroups();
    const row: LwsTraceRow = {
      t: this.sim.now,
      partition: this.sts.partition,
      replicas: this.sts.replicas,
      groups: renderGroups(this.cluster.states()),
      readyGroups: ready,
      gpusHeld: this.cluster.gpusHeld,
    };
    const last = this.trace[this.trace.length - 1];
    if (last && last.partition === row.partition && last.replicas === row.replicas && last.groups === row.groups && last.gpusHeld === row.gpusHeld && last.readyGroups === row.readyGroups) return;
    this.trace.push(row);
    if (this.finishedAt === null || this.finishedAt === this.sim.now) this.minReadyGroups = Math.min(this.minReadyGroups, ready);
    this.peakGroups = Math.max(this.peakGroups, this.cluster.groupCount);
    this.peakGpus = Math.max(this.peakGpus, this.cluster.gpusHeld);
  }

  private diagnose(): LwsStall {
    const b = lwsBudgets(this.config);
    const block = this.cluster.placementBlock();
    if (block !== null) {
      return {
        blockedBy: 'unschedulable-group',
        ordinal: block.ordinal,
        message:
          `group ${block.ordinal} (${block.revision}) cannot be placed: ${block.message}. ` +
          `With maxUnavailable ${b.maxUnavailable} and maxSurge ${b.maxSurge} the rollout waits for this group to be ready before it ` +
          `frees more nodes: it will never finish`,
        suggestion: this.suggestion(),
      };
    }
    const states = this.cluster.states();
    const ordinal = Math.max(0, states.findIndex((s) => !s.ready));
    return {
      blockedBy: 'unready-group',
      ordinal,
      message: `group ${ordinal} is placed but not ready when the run ends (partition ${this.sts.partition}, ${this.cluster.readyGroups()} of ${this.config.replicas} groups ready)`,
      suggestion: 'look at the group members\' start-up (crash loop, start-up longer than the run)',
    };
  }

  /**
   * With members on distinct nodes, a new group needs `size` nodes with room; recreating k old groups frees k ×
   * (nodes per old group) nodes, so maxUnavailable ≥ ⌈new size / old nodes per group⌉ unblocks it (or as many
   * spare nodes through maxSurge).
   */
  private suggestion(): string {
    const { old, new: next, gpusPerNode } = this.shapes;
    const oldNodes = old.onePodPerNode ? old.size : Math.ceil((old.size * old.gpusPerPod) / gpusPerNode);
    const needNodes = next.onePodPerNode ? next.size : Math.ceil((next.size * next.gpusPerPod) / gpusPerNode);
    const k = Math.ceil(needNodes / oldNodes);
    return `set maxUnavailable to ${k} or more (${k} old groups free ${k * oldNodes} nodes, a new group needs ${needNodes}), or keep maxSurge ≥ 1 with ${needNodes} spare nodes`;
  }
}
