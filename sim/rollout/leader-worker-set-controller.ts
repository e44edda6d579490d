import type { Pod } from '../cluster/pod.js';
import { renderGroups, stsReconcile, type GroupState, type LeaderSts } from '../cluster/pod-group.js';
import type { ReplicaSet } from '../cluster/replicaset.js';
import type { VersionRole } from '../traffic/request.js';
import { ControllerBase } from './controller.js';
import type { RolloutHost } from './host.js';
import { lwsBudgets, lwsRolloutComplete, lwsRollingUpdateParameters, type LwsRollingConfig } from './lws-arithmetic.js';

/** Group i of the leader StatefulSet: its revision and its leader pod, once the StatefulSet has created it. */
interface Ordinal {
  readonly revision: VersionRole;
  leader: Pod | null;
  /** The pod this ordinal's new leader replaces: a StatefulSet creates a pod of the same name only once the old one is gone. */
  readonly replacing: Pod | null;
  /** The ReplicaSet was asked for this ordinal's leader (the pod may still be refused by quota). */
  requested: boolean;
}

/**
 * LeaderWorkerSet's rolling update on the request-level cluster (docs/multi-node.md): each sync writes the leader
 * StatefulSet's replicas and partition as the LWS controller computes them (lws-arithmetic.ts), and the
 * StatefulSet reacts at once (pod-group.ts stsReconcile): surplus ordinals deleted, new ordinals created, outdated
 * groups at or above the partition recreated at the new revision, the highest first, each once its old leader is
 * gone. Each version's leaders are a ReplicaSet's pods; the ordinals are kept here. Traffic follows pods: one
 * Service over both versions' leaders.
 */
export class LeaderWorkerSetController extends ControllerBase {
  readonly strategy = 'leaderWorkerSet';
  private readonly rs: Record<VersionRole, ReplicaSet | null>;
  private ordinals: Ordinal[];
  private sts: LeaderSts;
  private readonly stsMaxUnavailable: number;

  constructor(
    host: RolloutHost,
    private config: LwsRollingConfig,
    stable: ReplicaSet,
  ) {
    super(host);
    this.rs = { old: stable, new: null };
    this.ordinals = stable
      .activePods()
      .sort((a, b) => a.podId - b.podId)
      .map((leader) => ({ revision: 'old', leader, replacing: null, requested: true }));
    this.sts = { replicas: config.replicas, partition: 0 };
    this.stsMaxUnavailable = lwsBudgets(config).stsMaxUnavailable;
  }

  start(): void {
    this.state.startedAt = this.host.now();
    this.rs.new = this.host.createReplicaSet('new');
    this.enterPhase('LWS rolling update');
    const b = lwsBudgets(this.config);
    this.host.log('RolloutStarted', `leaderWorkerSet, ${this.config.replicas} groups, maxUnavailable ${b.maxUnavailable}, maxSurge ${b.maxSurge}, partition ${this.config.partition}`);
    this.write(lwsRollingUpdateParameters({ config: this.config, sts: this.sts, states: this.states(), templateChanged: true, replicasAtStart: this.config.replicas }));
  }

  sync(): boolean {
    if (!this.inProgress()) return false;
    this.adopt();
    const states = this.states();
    if (lwsRolloutComplete(this.config, this.sts, states)) {
      this.complete('completed', undefined);
      return false;
    }
    if (this.createDue()) return true;
    return this.write(lwsRollingUpdateParameters({ config: this.config, sts: this.sts, states, templateChanged: false, replicasAtStart: this.config.replicas }));
  }

  /**
   * Writes spec.rolloutStrategy.rollingUpdateConfiguration.partition, as a coordinator of several LWS does (LWS
   * KEP-511's DisaggregatedSet): the next sync steps the StatefulSet's partition down to it, never back up.
   */
  setPartition(partition: number): void {
    this.config = { ...this.config, partition };
    this.host.wakeAt(this.host.now());
  }

  /** Every group from ordinal `from` up to spec.replicas is at the new revision and ready (leader and workers). */
  updatedAndReadyFrom(from: number): boolean {
    const states = this.states();
    for (let i = from; i < this.config.replicas; i++) if (states[i] === undefined || !states[i].ready || !states[i].updated) return false;
    return true;
  }

  protected override stalledReason(): string {
    const groups = renderGroups(this.states());
    if (this.config.partition > 0 && this.sts.partition === this.config.partition) {
      return `staged at partition ${this.config.partition} (strategy.leaderWorkerSet.partition): groups below it keep the old revision [${groups}]`;
    }
    const waiting = this.ordinals.findIndex((o) => o.leader === null || !o.leader.groupReady);
    return `partition ${this.sts.partition}, ${this.sts.replicas} groups [${groups}]; group ${waiting} is not ready when the run ends`;
  }

  /** What the LWS controller reads: per ordinal, the group ready (leader and every worker) and at the new revision. */
  private states(): GroupState[] {
    return this.ordinals.map((o) => ({ ready: o.leader !== null && o.leader.active && o.leader.groupReady, updated: o.revision === 'new' }));
  }

  /** Writes the StatefulSet's spec and applies its reaction; true when anything changed. */
  private write(next: LeaderSts): boolean {
    const specChanged = next.replicas !== this.sts.replicas || next.partition !== this.sts.partition;
    this.sts = next;
    const changes = stsReconcile(this.states(), next, this.stsMaxUnavailable);
    for (const i of changes.deleted) this.release(this.ordinals[i]);
    this.ordinals.length = Math.min(this.ordinals.length, next.replicas);
    for (const i of changes.created) this.ordinals[i] = { revision: i >= next.partition ? 'new' : 'old', leader: null, replacing: null, requested: false };
    for (const i of changes.recreated) {
      const outdated = this.ordinals[i];
      this.release(outdated);
      this.ordinals[i] = { revision: 'new', leader: null, replacing: outdated.leader, requested: false };
    }
    if (specChanged) this.host.log('LwsStatefulSet', `replicas ${next.replicas}, partition ${next.partition}`);
    const created = this.createDue();
    return specChanged || created || changes.deleted.length + changes.recreated.length > 0;
  }

  /** The ordinal's group goes: its leader deleted with the ReplicaSet scaled down by it (or a pending request withdrawn). */
  private release(ordinal: Ordinal): void {
    const rs = this.rsOf(ordinal.revision);
    if (ordinal.leader !== null && ordinal.leader.active) this.host.deletePod(rs, ordinal.leader);
    else if (ordinal.requested) this.host.setReplicas(rs, Math.max(0, rs.spec - 1));
  }

  /** Asks each version's ReplicaSet for the leaders of the ordinals due (an outdated leader must be gone first). */
  private createDue(): boolean {
    let asked = false;
    for (const o of this.ordinals) {
      if (o.requested || (o.replacing !== null && o.replacing.stage !== 'Gone')) continue;
      o.requested = true;
      const rs = this.rsOf(o.revision);
      this.host.setReplicas(rs, rs.spec + 1);
      asked = true;
    }
    if (asked) this.adopt();
    return asked;
  }

  /**
   * Ties the ReplicaSets' new pods to the ordinals waiting for them, lowest ordinal first. A leader deleted by
   * anyone else (a group recreated after a member's restart, an eviction) leaves its ordinal waiting for the
   * ReplicaSet's replacement.
   */
  private adopt(): void {
    const mapped = new Set<Pod>();
    for (const o of this.ordinals) {
      if (o.leader !== null && !o.leader.active) o.leader = null;
      if (o.leader !== null) mapped.add(o.leader);
    }
    for (const revision of ['old', 'new'] as const) {
      const rs = this.rs[revision];
      if (rs === null) continue;
      const free = rs.activePods().filter((p) => !mapped.has(p));
      if (free.length === 0) continue;
      free.sort((a, b) => a.podId - b.podId);
      for (const o of this.ordinals) {
        if (free.length === 0) break;
        if (o.revision === revision && o.requested && o.leader === null) o.leader = free.shift() as Pod;
      }
    }
  }

  private rsOf(revision: VersionRole): ReplicaSet {
    return this.rs[revision] as ReplicaSet;
  }
}
