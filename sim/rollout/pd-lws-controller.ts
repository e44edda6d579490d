import type { ReplicaSet } from '../cluster/replicaset.js';
import { ControllerBase, type RolloutController } from './controller.js';
import type { RolloutHost } from './host.js';
import { LeaderWorkerSetController } from './leader-worker-set-controller.js';
import type { LwsRollingConfig } from './lws-arithmetic.js';
import { PD_ROLES, type PdRole } from './pd-arithmetic.js';
import { coordinatedPartitions, coordinatedSteps } from './pd-rollout.js';

/**
 * A role of a disaggregated deployment rolled as a LeaderWorkerSet (docs/disaggregation.md): its host (whose
 * createReplicaSet makes that role's leaders), its leaders serving at time 0, and its rolling update in groups.
 */
export interface PdLwsRole {
  readonly host: RolloutHost;
  readonly stable: ReplicaSet;
  readonly config: LwsRollingConfig;
}

export type PdLwsRoles = Readonly<Record<PdRole, PdLwsRole>>;

/** Each role's own LeaderWorkerSet rolling update (the `independent` mode with LWS roles). */
export function lwsRoles(roles: PdLwsRoles): Record<PdRole, RolloutController> {
  const lws = (r: PdLwsRole): LeaderWorkerSetController => new LeaderWorkerSetController(r.host, r.config, r.stable);
  return { prefill: lws(roles.prefill), decode: lws(roles.decode) };
}

/**
 * `coordinated` with LWS roles: LWS KEP-511's DisaggregatedSet planner over the two roles' LeaderWorkerSets, as
 * the group-level PdRollout runs it (pd-rollout.ts): step i writes each role's `partition` to
 * replicas − ⌈i × replicas / steps⌉ (steps: the most any role needs at its batch of maxSurge, or maxUnavailable
 * without surge), each LWS rolls the groups above its partition by its own rules, and the next step starts when
 * every role's groups above its partition are updated and ready. Done when both LWS are. No abort (LWS has none).
 */
export class CoordinatedLwsPdController extends ControllerBase {
  readonly strategy = 'leaderWorkerSet';
  readonly steps: number;
  /** The shared step in progress (1..steps). */
  private step = 0;
  private readonly replicas: Readonly<Record<PdRole, number>>;
  private readonly roles: Readonly<Record<PdRole, LeaderWorkerSetController>>;

  constructor(host: RolloutHost, roles: PdLwsRoles) {
    super(host);
    this.replicas = { prefill: roles.prefill.config.replicas, decode: roles.decode.config.replicas };
    this.steps = coordinatedSteps({ prefill: roles.prefill.config, decode: roles.decode.config });
    const first = coordinatedPartitions(this.replicas, this.steps, 1);
    const lws = (role: PdRole): LeaderWorkerSetController =>
      new LeaderWorkerSetController(roles[role].host, { ...roles[role].config, partition: first[role] }, roles[role].stable);
    this.roles = { prefill: lws('prefill'), decode: lws('decode') };
  }

  start(): void {
    this.state.startedAt = this.host.now();
    this.step = 1;
    this.host.log('RolloutStarted', `coordinated prefill/decode LeaderWorkerSets, ${this.steps} steps`);
    for (const role of PD_ROLES) this.roles[role].start();
  }

  sync(): boolean {
    if (!this.inProgress()) return false;
    let wrote = false;
    for (const role of PD_ROLES) if (this.roles[role].sync()) wrote = true;
    if (PD_ROLES.every((role) => this.roles[role].state.outcome === 'completed')) {
      this.complete('completed', undefined);
      return false;
    }
    if (wrote || this.step >= this.steps) return wrote;
    const partitions = coordinatedPartitions(this.replicas, this.steps, this.step);
    if (!PD_ROLES.every((role) => this.roles[role].updatedAndReadyFrom(partitions[role]))) return false;
    this.step++;
    const next = coordinatedPartitions(this.replicas, this.steps, this.step);
    this.host.log('StepAdvanced', `step ${this.step} of ${this.steps}: prefill partition ${next.prefill}, decode partition ${next.decode}`);
    for (const role of PD_ROLES) this.roles[role].setPartition(next[role]);
    return true;
  }

  override finish(): void {
    for (const role of PD_ROLES) this.roles[role].finish();
    super.finish();
  }

  protected override stalledReason(): string {
    const roles = PD_ROLES.filter((role) => this.roles[role].state.outcome !== 'completed').map((role) => `${role}: ${this.roles[role].state.reason}`);
    return `step ${this.step} of ${this.steps}; ${roles.join('; ')}`;
  }
}
