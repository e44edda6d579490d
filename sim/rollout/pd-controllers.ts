import type { ReplicaSet } from '../cluster/replicaset.js';
import type { IntOrPercent } from '../config/int-or-percent.js';
import { InternalError } from '../errors.js';
import { ControllerBase, type RolloutController, type RolloutState } from './controller.js';
import { DeploymentController } from './deployment-controller.js';
import { resolveFenceposts } from './fenceposts.js';
import type { RolloutHost } from './host.js';
import { coordinatedStepCount, coordinatedTarget, PD_ROLES, rollingBatch, type PdRole } from './pd-arithmetic.js';

/**
 * The rollouts of a disaggregated deployment's two roles (docs/disaggregation.md): the decode role is the
 * deployment, the prefill role a second workload of the same version. Each role is driven through its own host,
 * whose createReplicaSet makes that role's pods.
 */
export interface PdRoleWorkload {
  readonly host: RolloutHost;
  /** The ReplicaSet serving at time 0. */
  readonly stable: ReplicaSet;
  readonly replicas: number;
  readonly maxSurge: IntOrPercent;
  readonly maxUnavailable: IntOrPercent;
}

export type PdWorkloads = Readonly<Record<PdRole, PdRoleWorkload>>;

/** A role's host whose phases and log lines name the role. */
export function roleHost(host: RolloutHost, role: PdRole, createReplicaSet: RolloutHost['createReplicaSet']): RolloutHost {
  return {
    ...host,
    createReplicaSet,
    beginPhase: (name) => host.beginPhase(`${role} ${name}`),
    log: (event, reason) => host.log(event, `${role}: ${reason}`),
  };
}

/** Each role's own Kubernetes Deployment controller, rolling with the role's RollingUpdate budgets. */
export function deploymentRoles(workloads: PdWorkloads, progressDeadlineSeconds: number): Record<PdRole, RolloutController> {
  const deployment = (w: PdRoleWorkload): DeploymentController =>
    new DeploymentController(
      w.host,
      { replicas: w.replicas, strategy: { kind: 'rollingUpdate', maxSurge: w.maxSurge, maxUnavailable: w.maxUnavailable }, progressDeadlineSeconds },
      w.stable,
    );
  return { prefill: deployment(workloads.prefill), decode: deployment(workloads.decode) };
}

/**
 * `independent`: each role rolls with its own controller (two Kubernetes Deployments, or two LeaderWorkerSets)
 * as it does when nothing ties them: their pace differs with their sizes and start-up times, so each version's
 * prefill:decode ratio drifts while they roll. Done when both are.
 */
export class IndependentPdController implements RolloutController {
  readonly state: RolloutState = { startedAt: null, finishedAt: null, outcome: 'none', reason: undefined };

  constructor(
    private readonly host: RolloutHost,
    readonly strategy: string,
    private readonly roles: Readonly<Record<PdRole, RolloutController>>,
  ) {}

  start(): void {
    this.state.startedAt = this.host.now();
    for (const role of PD_ROLES) this.roles[role].start();
  }

  sync(): boolean {
    let wrote = false;
    for (const role of PD_ROLES) if (this.roles[role].sync()) wrote = true;
    this.settle(false);
    return wrote;
  }

  finish(): void {
    for (const role of PD_ROLES) this.roles[role].finish();
    this.settle(true);
  }

  promote(): void {
    // A RollingUpdate has no pause to promote.
  }

  abort(reason: string): void {
    for (const role of PD_ROLES) this.roles[role].abort(reason);
  }

  /** Both roles finished: the rollout finished then, with the worse outcome; else the first role's trouble shows. */
  private settle(atEnd: boolean): void {
    if (this.state.finishedAt !== null) return;
    const states = PD_ROLES.map((role) => ({ role, state: this.roles[role].state }));
    const troubled = states.find(({ state }) => state.outcome !== 'completed' && (state.outcome !== 'none' || atEnd));
    this.state.outcome = troubled?.state.outcome ?? 'none';
    this.state.reason = troubled?.state.reason === undefined ? undefined : `${troubled.role}: ${troubled.state.reason}`;
    if (states.every(({ state }) => state.finishedAt !== null)) {
      this.state.finishedAt = Math.max(...states.map(({ state }) => state.finishedAt as number));
      this.state.outcome = troubled?.state.outcome ?? 'completed';
    }
  }
}

interface CoordinatedRole {
  readonly workload: PdRoleWorkload;
  readonly surges: boolean;
  newRS: ReplicaSet | null;
}

/**
 * `coordinated`: one controller steps both roles' new ReplicaSets together, as LWS's DisaggregatedSet does: at
 * step i each role's new ReplicaSet has ⌈i × replicas / steps⌉ pods (pd-arithmetic.ts) and its old one gives up the
 * pods the previous step replaced (with surge: the old pods go once the step's new ones are available; without:
 * at once, within maxUnavailable). The next step starts when every role's new pods of this step are available, so
 * each version keeps the fleet's prefill:decode ratio within one step's rounding. An abort scales the new
 * ReplicaSets to 0 and the old ones back to their replicas. No progress deadline is modelled.
 */
export class CoordinatedPdController extends ControllerBase {
  readonly strategy = 'rollingUpdate';
  readonly steps: number;
  /** The shared step in progress (1..steps; steps + 1 once the last one is done). */
  private step = 0;
  private readonly roles: Readonly<Record<PdRole, CoordinatedRole>>;

  constructor(host: RolloutHost, workloads: PdWorkloads) {
    super(host);
    const role = (w: PdRoleWorkload): CoordinatedRole => {
      const f = resolveFenceposts(w.maxSurge, w.maxUnavailable, w.replicas);
      return { workload: w, surges: f.surge > 0, newRS: null };
    };
    this.roles = { prefill: role(workloads.prefill), decode: role(workloads.decode) };
    this.steps = coordinatedStepCount(
      PD_ROLES.map((r) => {
        const w = workloads[r];
        const f = resolveFenceposts(w.maxSurge, w.maxUnavailable, w.replicas);
        return { replicas: w.replicas, batch: rollingBatch(f.surge, Math.min(f.unavailable, w.replicas)) };
      }),
    );
  }

  start(): void {
    this.state.startedAt = this.host.now();
    this.enterPhase('coordinated rolling update');
    for (const role of PD_ROLES) {
      const r = this.roles[role];
      r.newRS = r.workload.host.createReplicaSet('new');
    }
    this.step = 1;
    this.host.log('RolloutStarted', `coordinated prefill/decode, ${this.steps} steps`);
  }

  sync(): boolean {
    if (!this.inProgress()) return false;
    const aborting = this.abortedAt !== null;
    for (const role of PD_ROLES) {
      const r = this.roles[role];
      const { newCount, oldCount } = aborting ? { newCount: 0, oldCount: r.workload.replicas } : this.counts(r);
      if (this.write(r, this.newRS(r), newCount) || this.write(r, r.workload.stable, oldCount)) return true;
    }
    if (aborting) {
      if (PD_ROLES.every((role) => this.available(this.roles[role].workload.stable) >= this.roles[role].workload.replicas)) this.completeAbort();
      return false;
    }
    if (this.step > this.steps) {
      if (PD_ROLES.every((role) => this.finished(this.roles[role]))) this.complete('completed', undefined);
      return false;
    }
    if (!PD_ROLES.every((role) => this.available(this.newRS(this.roles[role])) >= this.target(this.roles[role], this.step))) return false;
    this.step++;
    if (this.step <= this.steps) this.host.log('StepAdvanced', `step ${this.step} of ${this.steps}`);
    return true;
  }

  private counts(r: CoordinatedRole): { newCount: number; oldCount: number } {
    const replicas = r.workload.replicas;
    if (this.step > this.steps) return { newCount: replicas, oldCount: 0 };
    return { newCount: this.target(r, this.step), oldCount: replicas - this.target(r, r.surges ? this.step - 1 : this.step) };
  }

  private target(r: CoordinatedRole, step: number): number {
    return coordinatedTarget(r.workload.replicas, this.steps, step);
  }

  private write(r: CoordinatedRole, rs: ReplicaSet, replicas: number): boolean {
    if (rs.spec === replicas) return false;
    r.workload.host.setReplicas(rs, replicas);
    return true;
  }

  private newRS(r: CoordinatedRole): ReplicaSet {
    if (r.newRS === null) throw new InternalError('coordinated rollout: a role has no new ReplicaSet before start');
    return r.newRS;
  }

  private available(rs: ReplicaSet): number {
    return this.host.status(rs).availableReplicas;
  }

  private finished(r: CoordinatedRole): boolean {
    return this.available(this.newRS(r)) >= r.workload.replicas && this.host.status(r.workload.stable).replicas === 0;
  }
}
