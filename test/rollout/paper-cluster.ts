/**
 * Test-only "paper cluster": the smallest world in which the Deployment controller arithmetic can be run end to end
 * and compared with hand-computed timelines (rollout-semantics.md §6 conventions):
 * - the ReplicaSet controller creates/deletes pods instantly to match spec (API latency 0);
 * - a pod is scheduled as soon as a GPU is free (FIFO), and becomes available `readyDelay(ordinal)` seconds after
 *   scheduling (Infinity = never: pending or crash-looping);
 * - a deleted pod stops counting for its ReplicaSet at once but holds its GPU for `graceSeconds`;
 * - at every event time all events apply, then controller and ReplicaSet controller run to a fixpoint.
 */
import { InternalError } from '../../sim/errors.js';
import type { RollingUpdateParams } from '../../sim/rollout/fenceposts.js';
import { recreateSyncStep } from '../../sim/rollout/recreate.js';
import { rollingSyncStep, type Action, type RsSnapshot } from '../../sim/rollout/rolling-update.js';

export type PaperStrategy =
  | { readonly type: 'RollingUpdate'; readonly params: RollingUpdateParams }
  | { readonly type: 'Recreate'; readonly replicas: number };

export interface PaperOldRS {
  readonly spec: number;
  /** Pods of this RS that are available at t=0 (the rest run but never become available). Default: all. */
  readonly available?: number;
  readonly createdAt: number;
}

export interface PaperClusterOptions {
  readonly strategy: PaperStrategy;
  readonly oldRSs: readonly PaperOldRS[];
  /** Seconds from scheduling to available for the n-th pod created during the run (0-based). */
  readonly readyDelay: (ordinal: number) => number;
  readonly graceSeconds: number;
  readonly gpuCapacity?: number;
}

/** State after the fixpoint at time t: Σ old spec, new spec, Σ available, pods holding a GPU. */
export type Row = readonly [t: number, old: number, neu: number, available: number, gpus: number];

interface Pod {
  readonly rs: number;
  readonly createdAt: number;
  readonly ordinal: number;
  scheduledAt: number | null;
  availableAt: number;
  deletedAt: number | null;
  goneAt: number | null;
}

interface Rs {
  readonly id: number;
  spec: number;
  readonly createdAt: number;
}

const NEW_RS_ID = 100;
const MAX_SYNCS_PER_INSTANT = 1000;

export function runPaperCluster(options: PaperClusterOptions): Row[] {
  return new PaperCluster(options).run();
}

class PaperCluster {
  private readonly pods: Pod[] = [];
  private readonly oldRSs: Rs[];
  private newRS: Rs | null = null;
  private created = 0;
  private now = 0;

  constructor(private readonly options: PaperClusterOptions) {
    this.oldRSs = options.oldRSs.map((rs, i) => ({ id: i + 1, spec: rs.spec, createdAt: rs.createdAt }));
    for (const [i, rs] of options.oldRSs.entries()) {
      const available = rs.available ?? rs.spec;
      for (let k = 0; k < rs.spec; k++) {
        this.pods.push({
          rs: i + 1,
          createdAt: rs.createdAt,
          ordinal: -1,
          scheduledAt: rs.createdAt,
          availableAt: k < available ? rs.createdAt : Infinity,
          deletedAt: null,
          goneAt: null,
        });
      }
    }
  }

  run(): Row[] {
    const rows: Row[] = [];
    for (let t: number | null = 0; t !== null; t = this.nextEventTime()) {
      this.now = t;
      this.settle();
      rows.push(this.row());
    }
    return rows;
  }

  private settle(): void {
    this.schedulePending();
    for (let i = 0; i < MAX_SYNCS_PER_INSTANT; i++) {
      const actions = this.sync();
      if (actions.length === 0) return;
      for (const action of actions) this.apply(action);
      this.reconcileReplicaSets();
    }
    throw new InternalError(`no fixpoint at t=${this.now}`);
  }

  private sync(): Action[] {
    const newRS = this.newRS ? this.snapshot(this.newRS) : null;
    const oldRSs = this.oldRSs.map((rs) => this.snapshot(rs));
    const strategy = this.options.strategy;
    if (strategy.type === 'RollingUpdate') return rollingSyncStep(strategy.params, newRS, oldRSs);
    const oldPodsRemaining = this.pods.filter((p) => p.rs !== NEW_RS_ID && !this.isGone(p)).length;
    return recreateSyncStep(strategy.replicas, newRS, oldRSs, oldPodsRemaining);
  }

  private apply(action: Action): void {
    if (action.type === 'createNewRS') {
      if (this.newRS) throw new InternalError('new RS created twice');
      this.newRS = { id: NEW_RS_ID, spec: action.replicas, createdAt: this.now };
      return;
    }
    const rs = action.id === NEW_RS_ID ? this.newRS : this.oldRSs.find((r) => r.id === action.id);
    if (!rs) throw new InternalError(`scale of unknown RS ${action.id}`);
    rs.spec = action.replicas;
  }

  private reconcileReplicaSets(): void {
    for (const rs of this.allRSs()) {
      const active = this.pods.filter((p) => p.rs === rs.id && p.deletedAt === null);
      for (let k = active.length; k < rs.spec; k++) {
        this.pods.push({
          rs: rs.id,
          createdAt: this.now,
          ordinal: this.created++,
          scheduledAt: null,
          availableAt: Infinity,
          deletedAt: null,
          goneAt: null,
        });
      }
      for (const pod of this.deletionOrder(active).slice(0, Math.max(0, active.length - rs.spec))) {
        pod.deletedAt = this.now;
        pod.goneAt = pod.scheduledAt === null ? this.now : this.now + this.options.graceSeconds;
      }
    }
    this.schedulePending();
  }

  /** ActivePodsWithRanks, reduced to what the paper cluster has: unscheduled, then not available, then newest. */
  private deletionOrder(pods: Pod[]): Pod[] {
    const rank = (p: Pod) => [p.scheduledAt === null ? 0 : 1, p.availableAt <= this.now ? 1 : 0, -p.availableAt, -p.createdAt];
    return [...pods].sort((a, b) => {
      const ra = rank(a);
      const rb = rank(b);
      for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
      return 0;
    });
  }

  private schedulePending(): void {
    const capacity = this.options.gpuCapacity ?? Infinity;
    let held = this.gpusHeld();
    for (const pod of this.pods) {
      if (held >= capacity) return;
      if (pod.scheduledAt !== null || pod.deletedAt !== null) continue;
      pod.scheduledAt = this.now;
      pod.availableAt = this.now + this.options.readyDelay(pod.ordinal);
      held++;
    }
  }

  private snapshot(rs: Rs): RsSnapshot {
    const available = this.pods.filter((p) => p.rs === rs.id && p.deletedAt === null && p.availableAt <= this.now).length;
    return { id: rs.id, spec: rs.spec, available, createdAt: rs.createdAt };
  }

  private allRSs(): Rs[] {
    return this.newRS ? [...this.oldRSs, this.newRS] : this.oldRSs;
  }

  private isGone(p: Pod): boolean {
    return p.goneAt !== null && p.goneAt <= this.now;
  }

  private gpusHeld(): number {
    return this.pods.filter((p) => p.scheduledAt !== null && !this.isGone(p)).length;
  }

  private row(): Row {
    const old = this.oldRSs.reduce((s, rs) => s + rs.spec, 0);
    const available = this.allRSs().reduce((s, rs) => s + this.snapshot(rs).available, 0);
    return [this.now, old, this.newRS?.spec ?? 0, available, this.gpusHeld()];
  }

  private nextEventTime(): number | null {
    let next = Infinity;
    for (const p of this.pods) {
      if (p.deletedAt === null && p.availableAt > this.now) next = Math.min(next, p.availableAt);
      if (p.goneAt !== null && p.goneAt > this.now) next = Math.min(next, p.goneAt);
    }
    return Number.isFinite(next) ? next : null;
  }
}
