import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import type { DropCause } from '../traffic/request.js';
import type { PodEventLog } from './event-log.js';
import type { Node } from './nodes.js';
import type { Pod } from './pod.js';
import { Prober, type ProberListener } from './prober.js';
import { nextCrashLoop } from './probes.js';
import type { StartupPhase } from './startup-spec.js';
import { StartupPipeline, type StartupListener } from './startup.js';
import type { StoreLimits, WeightSource } from './storage.js';
import { Terminator, type TerminationListener } from './termination.js';

/** What the kubelet tells the rest of the cluster. */
export interface KubeletHooks {
  /** Ready flipped (either way): endpoints and ReplicaSet status follow. */
  readinessChanged(pod: Pod): void;
  /** minReadySeconds elapsed for a Ready pod. */
  becameAvailable(pod: Pod): void;
  /** The pod is fully gone: its GPUs and memory are free. */
  podGone(pod: Pod): void;
  /**
   * A container of a multi-node replica died (not while terminating): true when the cluster recreates the whole
   * group (LWS restartPolicy), so the container is not restarted on its own.
   */
  groupMemberDied(pod: Pod): boolean;
  /** Memory or disk use on the node changed (eviction checks it). */
  usageChanged(node: Node): void;
}

const NO_EVENT = -1;

/**
 * The node agent for every node: starts containers (start-up pipeline), probes them, restarts dead ones with
 * CrashLoopBackOff, terminates deleted pods and kills evicted ones. It owns the pod's container-level state;
 * scheduling, endpoints and ReplicaSets react through KubeletHooks.
 */
export class Kubelet implements StartupListener, ProberListener, TerminationListener {
  readonly startup: StartupPipeline;
  private readonly prober: Prober;
  private readonly terminator: Terminator;
  private readonly onRestart: number;
  private readonly onAvailable: number;

  constructor(
    private readonly sim: Simulator,
    streams: RandomStreams,
    storage: Readonly<Record<WeightSource, StoreLimits>>,
    private readonly pods: (podId: number) => Pod,
    private readonly hooks: KubeletHooks,
    private readonly log: PodEventLog,
  ) {
    this.startup = new StartupPipeline(sim, streams, storage, pods, this, log);
    this.prober = new Prober(sim, this);
    this.terminator = new Terminator(sim, pods, this, log);
    this.onRestart = sim.handler((podId) => this.restart(this.pods(podId)));
    this.onAvailable = sim.handler((podId) => this.available(this.pods(podId)));
  }

  /** The scheduler bound the pod to a node. */
  run(pod: Pod): void {
    pod.boundAt = this.sim.now;
    this.startup.start(pod);
  }

  /** A pod of the initial fleet: already running, warm and Ready on its node at t=0 (workers before their leader). */
  runWarm(pod: Pod, node: Node): void {
    this.startup.prime(pod, node);
    pod.stage = 'Starting';
    pod.containerStartedAt = this.sim.now;
    pod.memoryUsage = pod.template.resources.hostMemoryUsage;
    pod.warm = true;
    if (pod.leader !== null) {
      pod.stage = 'Running';
      pod.rankUp = true;
    } else {
      this.listening(pod);
      this.startServer(pod);
    }
    this.setReady(pod, true, this.sim.now - pod.template.minReadySeconds);
  }

  delete(pod: Pod): void {
    this.prober.stop(pod);
    this.sim.cancel(pod.restartTimer);
    pod.restartTimer = NO_EVENT;
    this.terminator.begin(pod);
  }

  /** Hard eviction (grace 0): the pod ends Failed and everything in flight is dropped. */
  evict(pod: Pod, reason: string): void {
    pod.failedReason = 'Evicted';
    this.log.pod(pod, 'Evicted', reason);
    this.sim.cancel(pod.restartTimer);
    this.sim.cancel(pod.terminationTimer);
    pod.restartTimer = NO_EVENT;
    pod.terminationTimer = NO_EVENT;
    pod.draining = false;
    this.stopContainer(pod, 'eviction');
    this.gone(pod);
  }

  // StartupListener

  containerStarted(pod: Pod): void {
    this.log.pod(pod, 'Started', pod.restarts > 0 ? `restart ${pod.restarts}` : '');
    this.prober.containerStarted(pod);
  }

  listening(pod: Pod): void {
    // A multi-node engine initialises with all its ranks: its HTTP port opens only once they have joined.
    if (pod.template.listenAt === 'engine-ready' && !pod.ranksUp) return;
    pod.listening = true;
  }

  servable(pod: Pod): void {
    if (pod.leader !== null) {
      this.rankJoined(pod);
      return;
    }
    if (!pod.ranksUp) {
      pod.awaitingRanks = true;
      this.log.pod(pod, 'WaitingForWorkers', `${pod.workers.filter((w) => w.rankUp && !w.deleting).length} of ${pod.workers.length} worker ranks up`);
      return;
    }
    this.startServer(pod);
    this.log.pod(pod, 'EngineReady', pod.warm ? 'warm' : 'cold kernels');
  }

  crashed(pod: Pod, phase: StartupPhase): void {
    this.containerDied(pod, `process exited during ${phase}`, 'crash');
  }

  usageChanged(node: Node): void {
    this.hooks.usageChanged(node);
  }

  // ProberListener

  becameReady(pod: Pod): void {
    // A worker has no probe: Ready at container start, which is not the replica's start-up.
    if (Number.isNaN(pod.firstReadyAt) && pod.leader === null) {
      pod.firstReadyAt = this.sim.now;
      this.startup.stats.ready(pod.version, this.sim.now - pod.boundAt);
    }
    // LWS hash mode's group-ready readiness gate: the leader's Ready condition waits for its whole group.
    if (pod.template.group?.hash != null && !pod.ranksUp) {
      pod.readinessGated = true;
      return;
    }
    this.setReady(pod, true, this.sim.now);
  }

  probeFailed(pod: Pod, probe: 'startup' | 'liveness', detail: string): void {
    this.log.pod(pod, 'Unhealthy', `${probe}: ${detail}`);
    this.containerDied(pod, `${probe} probe failed`, 'crash');
  }

  // TerminationListener

  stopContainer(pod: Pod, cause: DropCause | null): void {
    const server = pod.server;
    // Flags first: whatever the abort triggers (client retries) must find the pod refusing.
    pod.admitting = false;
    pod.listening = false;
    pod.awaitingRanks = false;
    pod.readinessGated = false;
    pod.server = null;
    this.startup.stop(pod);
    this.prober.stop(pod);
    pod.memoryUsage = 0;
    if (pod.ready) this.setReady(pod, false, NaN);
    if (server !== null && cause !== null) server.abortAll(cause, 'aborted-before-start');
    if (pod.node !== null) this.hooks.usageChanged(pod.node);
    if (pod.leader !== null) this.rankLost(pod);
  }

  gone(pod: Pod): void {
    this.sim.cancel(pod.availableTimer);
    pod.availableTimer = NO_EVENT;
    pod.stage = 'Gone';
    pod.diskUsage = 0;
    this.log.pod(pod, 'Gone', pod.failedReason ?? '');
    this.hooks.podGone(pod);
  }

  private startServer(pod: Pod): void {
    pod.stage = 'Running';
    const server = pod.template.createServer(pod.podId, { warm: pod.warm });
    pod.server = server;
    pod.admitting = true;
    server.onIdle(() => this.terminator.idle(pod));
  }

  /**
   * A container died (crash, failed probe, a lost rank): restart it after the back-off, unless the pod is
   * terminating or the group it belongs to is recreated instead.
   */
  private containerDied(pod: Pod, reason: string, cause: DropCause): void {
    if (pod.deleting) {
      this.terminator.containerDied(pod, cause);
      return;
    }
    const ran = this.sim.now - pod.containerStartedAt;
    // Stage first: a group recreated from within stopContainer finds this container already dead.
    pod.stage = 'BackOff';
    this.stopContainer(pod, cause);
    pod.restarts++;
    if ((pod.leader !== null || pod.template.group !== null) && this.hooks.groupMemberDied(pod)) {
      this.log.pod(pod, 'ContainerDied', `${reason}; the group is recreated`);
      return;
    }
    const { deaths, delay } = nextCrashLoop(pod.consecutiveDeaths, ran);
    pod.consecutiveDeaths = deaths;
    this.log.pod(pod, 'BackOff', `${reason}; back-off ${delay}s restarting failed container`);
    pod.restartTimer = this.sim.after(delay, this.onRestart, pod.podId);
  }

  /** A worker's rank finished its start-up; the leader's engine starts once every rank is up. */
  private rankJoined(worker: Pod): void {
    worker.stage = 'Running';
    worker.rankUp = true;
    const leader = worker.leader as Pod;
    if (!leader.ranksUp) return;
    if (leader.awaitingRanks) {
      leader.awaitingRanks = false;
      this.listening(leader);
      this.startServer(leader);
      this.log.pod(leader, 'EngineReady', `${leader.warm ? 'warm' : 'cold kernels'}; the last worker rank joined`);
    }
    this.releaseReadinessGate(leader);
  }

  /** The group is whole: a leader whose probe already passed becomes Ready now. */
  private releaseReadinessGate(leader: Pod): void {
    if (!leader.readinessGated || !leader.ranksUp) return;
    leader.readinessGated = false;
    this.becameReady(leader);
  }

  /**
   * A worker's process ended (exit at SIGTERM, crash, eviction): the leader's engine loses that rank and dies with
   * whatever it was generating, unless it has already stopped.
   */
  private rankLost(worker: Pod): void {
    worker.rankUp = false;
    const leader = worker.leader as Pod;
    if (!leader.containerRunning) return;
    const reason = `worker ${worker.name} exited: the engine lost a rank`;
    this.log.pod(leader, 'RankLost', reason);
    this.containerDied(leader, reason, 'worker-lost');
  }

  private restart(pod: Pod): void {
    pod.restartTimer = NO_EVENT;
    this.startup.start(pod);
  }

  private setReady(pod: Pod, ready: boolean, since: number): void {
    pod.ready = ready;
    this.sim.cancel(pod.availableTimer);
    pod.availableTimer = NO_EVENT;
    if (!ready) {
      pod.readySince = NaN;
      pod.availableAt = Infinity;
      this.log.pod(pod, 'NotReady');
    } else {
      pod.readySince = since;
      pod.availableAt = since + pod.template.minReadySeconds;
      this.log.pod(pod, 'Ready');
      if (pod.availableAt > this.sim.now) pod.availableTimer = this.sim.at(pod.availableAt, this.onAvailable, pod.podId);
    }
    this.hooks.readinessChanged(pod);
  }

  private available(pod: Pod): void {
    pod.availableTimer = NO_EVENT;
    this.log.pod(pod, 'Available');
    this.hooks.becameAvailable(pod);
  }
}
