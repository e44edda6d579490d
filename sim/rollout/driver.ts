import type { Cluster } from '../cluster/cluster.js';
import type { PodEvent } from '../cluster/event-log.js';
import type { ReplicaSet } from '../cluster/replicaset.js';
import type { Simulator } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import type { Telemetry } from '../metrics/recorder.js';
import type { PreviewTraffic } from '../routing/preview-traffic.js';
import type { GatewayPropagation } from '../routing/propagation.js';
import type { Router } from '../routing/router.js';
import type { VersionRole } from '../traffic/request.js';
import type { RolloutController } from './controller.js';
import type { RolloutHost } from './host.js';

/** A named stretch of the rollout (e.g. "surge", "analysis", "soak"), shaded on the charts. */
export interface RolloutPhase {
  name: string;
  start: number;
  end: number;
}

/** When the operator acts: start the rollout, `kubectl argo rollouts promote` and `abort`. */
export interface RolloutSchedule {
  readonly at: number;
  readonly promoteAt: readonly number[];
  readonly abortAt: number | undefined;
}

/** The world a controller acts on, as the run built it. */
export interface RolloutWorld {
  readonly cluster: Cluster;
  readonly router: Router;
  readonly gateway: GatewayPropagation;
  /** rollout.previewTraffic; null when the scenario has none. */
  readonly previewTraffic: PreviewTraffic | null;
  createReplicaSet(version: VersionRole): ReplicaSet;
  telemetry(source: VersionRole | 'all' | 'shadow', from: number, to: number): Telemetry;
  log(event: PodEvent): void;
}

/** A controller that keeps changing things at one instant is a bug; stop rather than spin. */
const MAX_SYNCS_PER_INSTANT = 10_000;

/**
 * Drives a rollout controller the way Kubernetes drives its controllers: level-triggered. Any status change of
 * the cluster asks for one sync at the current instant, run after every other event of that instant (the
 * simulator's late lane), and the controller then syncs to a fixpoint, one write per pass. A controller asks to
 * be woken at a later time (pauses, delays) through its host. The driver also keeps what only it sees: the
 * rollout's phases, the fewest ready replicas while it ran, and the GPUs held when it started.
 */
export class RolloutDriver {
  readonly phases: RolloutPhase[] = [];
  /** Fewest ready replicas (both versions) between the rollout's start and finish; null before it starts. */
  minReadyReplicas: number | null = null;
  /** GPUs held when the rollout started; null before it starts. */
  gpusAtStart: number | null = null;
  private controller: RolloutController | null = null;
  /** The controller scheduled to start (it owns the workload's spec.replicas from the beginning). */
  private scheduled: RolloutController | null = null;
  private syncPending = false;
  private readonly wakeTimes = new Set<number>();
  private readonly syncHandler: number;

  constructor(
    private readonly sim: Simulator,
    private readonly world: RolloutWorld,
  ) {
    this.syncHandler = sim.handler(() => this.syncToFixpoint());
  }

  /** The host controllers act through: the cluster's ReplicaSets, the gateway (after its delay), telemetry, timers. */
  host(): RolloutHost {
    const { sim, world } = this;
    return {
      now: () => sim.now,
      createReplicaSet: (version) => world.createReplicaSet(version),
      setReplicas: (rs, n) => world.cluster.setReplicas(rs, n),
      deletePod: (rs, pod) => world.cluster.deletePodOf(rs, pod),
      status: (rs) => world.cluster.status(rs),
      setSplit: (split) => world.gateway.apply(() => world.router.setSplit(split)),
      setMirror: (mirror) => world.gateway.apply(() => world.router.setMirror(mirror)),
      setPreviewTraffic: (on) => {
        if (world.previewTraffic === null) throw new InternalError('preview traffic switched without rollout.previewTraffic');
        world.previewTraffic.setRunning(on);
      },
      setRewriteWeight: (weight) => world.gateway.apply(() => world.router.setRewriteWeight(weight)),
      gatewayDelay: world.gateway.delay,
      telemetry: (source, from, to) => world.telemetry(source, from, to),
      wakeAt: (t) => this.wakeAt(t),
      beginPhase: (name) => this.beginPhase(name),
      log: (event, reason) => world.log({ t: sim.now, pod: '', version: 'new', node: '', event, reason }),
    };
  }

  /** Starts `controller` at `schedule.at` and applies the operator's promotes and abort at their times. */
  schedule(controller: RolloutController, schedule: RolloutSchedule): void {
    const { sim } = this;
    this.scheduled = controller;
    sim.at(
      schedule.at,
      sim.handler(() => {
        this.gpusAtStart = this.world.cluster.stats().gpusHeld;
        this.controller = controller;
        controller.start();
        this.trackReady();
        this.requestSync();
      }),
    );
    const promote = sim.handler(() => this.controller?.promote());
    for (const t of schedule.promoteAt) sim.at(t, promote);
    if (schedule.abortAt !== undefined) {
      sim.at(schedule.abortAt, sim.handler(() => this.controller?.abort('aborted by the operator (spec.rollout.abortAt)')));
    }
  }

  /** The HPA wrote spec.replicas: the controller resizes its ReplicaSets (now, or at its next sync). */
  scale(replicas: number): void {
    const controller = this.scheduled;
    if (!controller?.scale) throw new InternalError(`the ${controller?.strategy ?? 'missing'} controller does not follow spec.replicas`);
    controller.scale(replicas);
    this.requestSync();
  }

  /** The cluster changed: sync once at this instant, after every other event of it. */
  readonly requestSync = (): void => {
    if (this.syncPending || !this.controller) return;
    this.syncPending = true;
    this.sim.atLate(this.sim.now, this.syncHandler);
  };

  /** The run is over: settle the controller's outcome and close the phases still open. */
  finish(end: number): void {
    this.controller?.finish();
    for (const phase of this.phases) if (Number.isNaN(phase.end)) phase.end = end;
  }

  get state(): RolloutController['state'] | null {
    return this.controller?.state ?? null;
  }

  private syncToFixpoint(): void {
    const { sim, controller } = this;
    this.syncPending = false;
    this.wakeTimes.delete(sim.now);
    if (!controller) return;
    let passes = 0;
    while (controller.sync()) {
      if (++passes > MAX_SYNCS_PER_INSTANT) {
        throw new InternalError(`rollout controller did not settle at t=${sim.now}s after ${passes} syncs`);
      }
    }
    this.trackReady();
  }

  private wakeAt(t: number): void {
    if (this.wakeTimes.has(t)) return;
    this.wakeTimes.add(t);
    this.sim.atLate(t, this.syncHandler);
  }

  private beginPhase(name: string): () => void {
    const phase = { name, start: this.sim.now, end: Number.NaN };
    this.phases.push(phase);
    return () => {
      if (Number.isNaN(phase.end)) phase.end = this.sim.now;
    };
  }

  private trackReady(): void {
    const state = this.controller?.state;
    if (!state || state.startedAt === null || state.finishedAt !== null) return;
    const s = this.world.cluster.stats();
    const ready = s.readyOld + s.readyNew;
    if (this.minReadyReplicas === null || ready < this.minReadyReplicas) this.minReadyReplicas = ready;
  }
}
