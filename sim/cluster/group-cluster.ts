import type { Distribution } from '../engine/distributions.js';
import type { Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InputError, InternalError } from '../errors.js';
import { placeMember, placementProblem, stsReconcile, type GroupShape, type GroupState, type LeaderSts, type StsChanges } from './pod-group.js';

export type GroupRevision = 'old' | 'new';
/** LWS `leaderWorkerTemplate.restartPolicy` (default RecreateGroupOnPodRestart; `None` restarts only the pod). */
export type GroupRestartPolicy = 'RecreateGroupOnPodRestart' | 'None';
/** LWS `startupPolicy`: workers created with the leader (default) or once the leader is ready. */
export type GroupStartupPolicy = 'LeaderCreated' | 'LeaderReady';

export interface GroupClusterConfig {
  /** One node pool of identical GPU nodes. */
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly shape: Readonly<Record<GroupRevision, GroupShape>>;
  /** Seconds from binding to Ready for one member (image pull, weight load, engine and collective start-up). */
  readonly memberStartup: Readonly<Record<GroupRevision, Distribution>>;
  readonly startupPolicy: GroupStartupPolicy;
  readonly restartPolicy: GroupRestartPolicy;
  /** A deleted member holds its GPUs this long (drain and grace period). */
  readonly terminationSeconds: number;
  /** The new version's containers die during start-up every time (CrashLoopBackOff): its members never become ready. */
  readonly newCrashesOnStart?: boolean;
  /**
   * A PodGroup per group (LWS KEP-407, with a gang scheduler such as Volcano or the coscheduling plugin): a group's
   * pending members bind together or not at all, so a group that cannot be placed holds no GPUs.
   */
  readonly gangScheduling?: boolean;
}

export interface GroupEvent {
  readonly t: number;
  readonly event: 'GroupCreated' | 'GroupReady' | 'GroupDeleted' | 'GroupRecreated' | 'MemberRestarted' | 'FailedScheduling';
  readonly ordinal: number;
  readonly revision: GroupRevision;
  readonly detail: string;
}

type MemberStage = 'Pending' | 'Starting' | 'Ready' | 'Gone';

interface Member {
  readonly group: number;
  readonly index: number;
  stage: MemberStage;
  node: number;
  timer: number;
}

interface Group {
  readonly ordinal: number;
  readonly revision: GroupRevision;
  readonly members: number[];
  readyAt: number;
  alive: boolean;
  /** Last FailedScheduling message (logged again only when it changes). */
  problem: string;
}

const NONE = -1;

/**
 * The cluster side of multi-node replicas: a pool of GPU nodes, LWS groups by ordinal, the scheduling of each
 * member pod (one pod at a time, no gang scheduling: a half-placed group holds its GPUs while it waits), member
 * start-up with the group ready at its slowest member, termination, and the restart policy. The leader
 * StatefulSet's spec is applied through `applySts`; `changed` runs after every status change (the controller
 * syncs then).
 */
export class GroupCluster {
  readonly events: GroupEvent[] = [];
  private readonly members: Member[] = [];
  private readonly groups: Group[] = [];
  /** Group id at each ordinal of the leader StatefulSet. */
  private ordinals: number[] = [];
  private readonly freeGpus: number[];
  private readonly pending: number[] = [];
  private readonly startedHandler: number;
  private readonly freedHandler: number;

  constructor(
    private readonly sim: Simulator,
    private readonly rng: Rng,
    private readonly config: GroupClusterConfig,
    private readonly changed: () => void,
  ) {
    for (const rev of ['old', 'new'] as const) {
      const s = config.shape[rev];
      if (s.gpusPerPod > config.gpusPerNode) {
        throw new InputError(`a ${rev} member needs ${s.gpusPerPod} GPUs but nodes have ${config.gpusPerNode}`, `shape.${rev}.gpusPerPod`);
      }
      if (s.onePodPerNode && s.size > config.nodes) {
        throw new InputError(`a ${rev} group of ${s.size} pods on distinct nodes cannot fit ${config.nodes} nodes`, `shape.${rev}.size`);
      }
    }
    this.freeGpus = Array.from({ length: config.nodes }, () => config.gpusPerNode);
    this.startedHandler = sim.handler((m) => this.memberStarted(m));
    this.freedHandler = sim.handler((m) => this.memberFreed(m));
  }

  /** `replicas` groups of `revision`, placed, warm and ready at the current time. */
  initialFleet(replicas: number, revision: GroupRevision): void {
    for (let ordinal = 0; ordinal < replicas; ordinal++) {
      const g = this.createGroup(ordinal, revision, true);
      for (const m of this.groups[g].members) {
        const member = this.members[m];
        const node = this.bindable(member);
        if (node === NONE) {
          throw new InputError(
            `the initial fleet of ${replicas} groups does not fit ${this.config.nodes} nodes of ${this.config.gpusPerNode} GPUs (group ${ordinal})`,
            'nodes',
          );
        }
        this.bind(member, node);
        member.stage = 'Ready';
      }
      this.groups[g].readyAt = this.sim.now;
    }
    this.pending.length = 0;
  }

  /** What the LWS controller reads: per ordinal, ready (every member) and updated (the new revision). */
  states(): GroupState[] {
    return this.ordinals.map((g) => ({ ready: this.isReady(this.groups[g]), updated: this.groups[g].revision === 'new' }));
  }

  /** The leader StatefulSet reacts to its spec: scales, then recreates outdated groups at or above the partition. */
  applySts(sts: LeaderSts, stsMaxUnavailable: number): StsChanges {
    const changes = stsReconcile(this.states(), sts, stsMaxUnavailable);
    for (const ordinal of changes.deleted) this.deleteGroup(this.ordinals[ordinal]);
    this.ordinals.length = Math.min(this.ordinals.length, sts.replicas);
    for (const ordinal of changes.created) this.createGroup(ordinal, ordinal >= sts.partition ? 'new' : 'old', false);
    for (const ordinal of changes.recreated) {
      this.deleteGroup(this.ordinals[ordinal]);
      this.createGroup(ordinal, 'new', false);
      this.log('GroupRecreated', this.groups[this.ordinals[ordinal]], 'outdated group recreated at the new revision');
    }
    if (changes.deleted.length + changes.created.length + changes.recreated.length > 0) {
      this.schedule();
      this.changed();
    }
    return changes;
  }

  /** A member's container dies (OOM, NCCL time-out, node fault): the restart policy decides what restarts. */
  failMember(ordinal: number, index: number): void {
    const g = this.ordinals[ordinal];
    if (g === undefined) return;
    const group = this.groups[g];
    const m = group.members[index];
    const member = this.members[m];
    if (member === undefined || member.stage === 'Gone') return;
    if (this.config.restartPolicy === 'RecreateGroupOnPodRestart') {
      this.deleteGroup(g);
      this.createGroup(ordinal, group.revision, false);
      this.log('GroupRecreated', group, `member ${index} restarted: RecreateGroupOnPodRestart recreates all ${group.members.length} pods`);
      this.schedule();
    } else if (member.stage !== 'Pending') {
      this.sim.cancel(member.timer);
      this.startMember(m);
      group.readyAt = NaN;
      this.log('MemberRestarted', group, `member ${index} restarted alone (restartPolicy None)`);
    }
    this.changed();
  }

  readyGroups(revision?: GroupRevision): number {
    let n = 0;
    for (const g of this.ordinals) if (this.isReady(this.groups[g]) && (revision === undefined || this.groups[g].revision === revision)) n++;
    return n;
  }

  get groupCount(): number {
    return this.ordinals.length;
  }

  get gpusHeld(): number {
    let free = 0;
    for (const f of this.freeGpus) free += f;
    return this.config.nodes * this.config.gpusPerNode - free;
  }

  get pendingPods(): number {
    let n = 0;
    for (const m of this.pending) if (this.members[m].stage === 'Pending') n++;
    return n;
  }

  /** Why the lowest unready group with pending members cannot be placed, or null when nothing waits on placement. */
  placementBlock(): { ordinal: number; revision: GroupRevision; message: string } | null {
    for (const g of this.ordinals) {
      const group = this.groups[g];
      if (group.problem !== '') return { ordinal: group.ordinal, revision: group.revision, message: group.problem };
    }
    return null;
  }

  private isReady(group: Group): boolean {
    return !Number.isNaN(group.readyAt);
  }

  private createGroup(ordinal: number, revision: GroupRevision, warm: boolean): number {
    const id = this.groups.length;
    const group: Group = { ordinal, revision, members: [], readyAt: NaN, alive: true, problem: '' };
    this.groups.push(group);
    this.ordinals[ordinal] = id;
    const shape = this.config.shape[revision];
    const created = warm || this.config.startupPolicy === 'LeaderCreated' ? shape.size : 1;
    for (let i = 0; i < created; i++) this.addMember(id, i);
    if (!warm) this.log('GroupCreated', group, `${shape.size} pods × ${shape.gpusPerPod} GPUs`);
    return id;
  }

  private addMember(group: number, index: number): void {
    const id = this.members.length;
    this.members.push({ group, index, stage: 'Pending', node: NONE, timer: NONE });
    this.groups[group].members.push(id);
    this.pending.push(id);
  }

  private deleteGroup(id: number): void {
    const group = this.groups[id];
    group.alive = false;
    group.readyAt = NaN;
    for (const m of group.members) {
      const member = this.members[m];
      if (member.stage === 'Gone') continue;
      this.sim.cancel(member.timer);
      member.stage = 'Gone';
      if (member.node !== NONE) member.timer = this.sim.after(this.config.terminationSeconds, this.freedHandler, m);
    }
    this.log('GroupDeleted', group, '');
  }

  private schedule(): void {
    if (this.config.gangScheduling) this.scheduleGangs();
    let write = 0;
    for (const m of this.pending) {
      const member = this.members[m];
      if (member.stage !== 'Pending') continue;
      if (this.config.gangScheduling) {
        this.pending[write++] = m;
        continue;
      }
      const node = this.bindable(member);
      if (node === NONE) {
        this.pending[write++] = m;
        continue;
      }
      this.bind(member, node);
      this.startMember(m);
    }
    this.pending.length = write;
    this.updateProblems();
  }

  /** Each group's pending members, in creation order, bound all at once when a trial placement fits them all. */
  private scheduleGangs(): void {
    const done = new Set<number>();
    for (const m of this.pending) {
      const g = this.members[m].group;
      if (done.has(g) || this.members[m].stage !== 'Pending') continue;
      done.add(g);
      const group = this.groups[g];
      const waiting = group.members.filter((id) => this.members[id].stage === 'Pending');
      const free = [...this.freeGpus];
      const taken = this.takenBy(group);
      const shape = this.config.shape[group.revision];
      const nodes: number[] = [];
      for (let i = 0; i < waiting.length; i++) {
        const node = placeMember(free, taken, shape);
        if (node === NONE) break;
        free[node] -= shape.gpusPerPod;
        taken[node] = true;
        nodes.push(node);
      }
      if (nodes.length < waiting.length) continue;
      waiting.forEach((id, i) => {
        this.bind(this.members[id], nodes[i]);
        this.startMember(id);
      });
    }
  }

  private bindable(member: Member): number {
    const group = this.groups[member.group];
    return placeMember(this.freeGpus, this.takenBy(group), this.config.shape[group.revision]);
  }

  private takenBy(group: Group): boolean[] {
    const taken = new Array<boolean>(this.config.nodes).fill(false);
    for (const m of group.members) if (this.members[m].node !== NONE && this.members[m].stage !== 'Gone') taken[this.members[m].node] = true;
    return taken;
  }

  private bind(member: Member, node: number): void {
    const gpus = this.config.shape[this.groups[member.group].revision].gpusPerPod;
    if (this.freeGpus[node] < gpus) throw new InternalError(`node ${node} has ${this.freeGpus[node]} free GPUs, member needs ${gpus}`);
    this.freeGpus[node] -= gpus;
    member.node = node;
  }

  private startMember(m: number): void {
    const member = this.members[m];
    member.stage = 'Starting';
    const revision = this.groups[member.group].revision;
    if (revision === 'new' && this.config.newCrashesOnStart) return;
    member.timer = this.sim.after(this.config.memberStartup[revision].sample(this.rng), this.startedHandler, m);
  }

  private memberStarted(m: number): void {
    const member = this.members[m];
    member.stage = 'Ready';
    member.timer = NONE;
    const group = this.groups[member.group];
    const shape = this.config.shape[group.revision];
    if (member.index === 0 && group.members.length < shape.size) {
      // LeaderReady: the workers' StatefulSet is created only now.
      for (let i = 1; i < shape.size; i++) this.addMember(member.group, i);
      this.schedule();
    }
    if (group.members.length === shape.size && group.members.every((id) => this.members[id].stage === 'Ready')) {
      group.readyAt = this.sim.now;
      this.log('GroupReady', group, '');
    }
    this.changed();
  }

  private memberFreed(m: number): void {
    const member = this.members[m];
    this.freeGpus[member.node] += this.config.shape[this.groups[member.group].revision].gpusPerPod;
    member.node = NONE;
    member.timer = NONE;
    this.schedule();
    this.changed();
  }

  /** Each waiting group's FailedScheduling reason, logged when it changes. */
  private updateProblems(): void {
    const missing = new Map<number, number>();
    for (const m of this.pending) missing.set(this.members[m].group, (missing.get(this.members[m].group) ?? 0) + 1);
    for (const g of this.ordinals) {
      const group = this.groups[g];
      const waiting = missing.get(g) ?? 0;
      const found = waiting === 0 ? null : placementProblem(this.freeGpus, this.takenBy(group), this.config.shape[group.revision], waiting);
      const problem = found === null ? '' : this.config.gangScheduling ? `${found} (gang-scheduled: none of its ${waiting} pods binds until all fit)` : found;
      if (problem !== '' && problem !== group.problem) this.log('FailedScheduling', group, problem);
      group.problem = problem;
    }
  }

  private log(event: GroupEvent['event'], group: Group, detail: string): void {
    this.events.push({ t: this.sim.now, event, ordinal: group.ordinal, revision: group.revision, detail });
  }
}
