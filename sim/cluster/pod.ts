import type { Simulator } from '../engine/simulator.js';
import { InternalError } from '../errors.js';
import type { Endpoint } from '../routing/endpoint.js';
import type { Server } from '../serving/server.js';
import type { RejectCause, Request, RequestSink, VersionRole } from '../traffic/request.js';
import type { Node } from './nodes.js';
import type { RankPhase } from './pod-ranking.js';
import type { StartupPhase } from './startup-spec.js';
import type { SharedStore, TransferStep } from './storage.js';
import type { PodTemplate } from './template.js';

/**
 * Where a pod is in its life. Pending: not bound to a node. Starting: bound, running the start-up pipeline
 * (image pull first: the Kubernetes phase stays Pending until a container has started). Running: the engine
 * serves. BackOff: the container died and waits out CrashLoopBackOff. Gone: fully terminated, every resource
 * freed (deleted, or Failed after an eviction). Deletion is the separate `deleting` flag: a Terminating pod
 * keeps its stage until it is gone.
 */
export type PodStage = 'Pending' | 'Starting' | 'Running' | 'BackOff' | 'Gone';

/** Shared by every pod of a cluster: the clock and where refused requests are reported. */
export interface PodContext {
  readonly sim: Simulator;
  sink: RequestSink | null;
}

const NO_EVENT = -1;

/**
 * One model-server pod and the endpoint the gateway sends requests to. The cluster's drivers (start-up
 * pipeline, prober, terminator, eviction) move it through its stages; this class holds the state and answers
 * the gateway: a request is handed to the server only while it admits work, otherwise refused with the cause a
 * real client would see.
 */
export class Pod implements Endpoint {
  readonly name: string;
  readonly version: VersionRole;
  readonly createdAt: number;
  stage: PodStage = 'Pending';
  node: Node | null = null;
  /** Start-up phase in progress while Starting. */
  phase: StartupPhase | null = null;
  /** Bound to a node (the kubelet took it); NaN while Pending. */
  boundAt = NaN;
  /** First time Ready; NaN before. */
  firstReadyAt = NaN;
  /** Start of the current (or last) container; NaN before the first one. */
  containerStartedAt = NaN;
  /** The server's port accepts connections. */
  listening = false;
  server: Server | null = null;
  /** The server takes new requests: it exists and has not been told to stop. */
  admitting = false;
  /** SIGTERM received in drain mode: still listening, refusing new work, finishing in-flight work. */
  draining = false;
  /** Kernels warm, as probes see it: a warm-up ran or a probe inference already went through. */
  warm = false;
  ready = false;
  /** Ready condition's last transition to True; NaN while not ready. */
  readySince = NaN;
  /** When Ready has lasted minReadySeconds (Infinity while not ready). */
  availableAt = Infinity;
  /** Container restarts (the status restartCount) and consecutive deaths for the back-off. */
  restarts = 0;
  consecutiveDeaths = 0;
  deleting = false;
  deletedAt = NaN;
  /** Time SIGTERM was sent; NaN before. */
  sigtermAt = NaN;
  /** Set when the pod ended Failed (e.g. 'Evicted') rather than deleted. */
  failedReason: string | null = null;
  /** Working set and ephemeral storage on the node, bytes. */
  memoryUsage = 0;
  diskUsage = 0;
  /** Last message logged as FailedScheduling (logged again only when it changes). */
  unschedulableMessage = '';

  // Driver state (one pending event per concern, so a driver can cancel its own).
  phaseTimer = NO_EVENT;
  restartTimer = NO_EVENT;
  terminationTimer = NO_EVENT;
  availableTimer = NO_EVENT;
  loadSteps: readonly TransferStep[] = [];
  loadStep = 0;
  loadStore: SharedStore | null = null;
  /** The serving peer the current container's weights (and compiled artefacts) came from; null: none. */
  copiedFrom: Pod | null = null;

  // Multi-node replicas (template.group): the leader serves, its workers hold the other ranks.
  /** A worker's leader; null for a leader or a single-pod replica. */
  leader: Pod | null = null;
  /** Its index in its group (LWS's worker index): 0 for a leader or a single pod. */
  groupIndex = 0;
  /** A leader's worker pods not yet gone. */
  readonly workers: Pod[] = [];
  /** A worker finished its start-up: its rank has joined the leader's engine. */
  rankUp = false;
  /** A leader whose own start-up is done waits for its workers' ranks before its engine serves. */
  awaitingRanks = false;
  /** A hash-mode leader whose readiness probe passed while its group-ready readiness gate still held it. */
  readinessGated = false;

  constructor(
    readonly podId: number,
    readonly replicaSetId: number,
    readonly template: PodTemplate,
    private readonly context: PodContext,
    name?: string,
  ) {
    this.name = name ?? `${template.name}-${podId}`;
    this.version = template.version;
    this.createdAt = context.sim.now;
  }

  /** Counted by its ReplicaSet: not terminating and not finished (IsPodActive). */
  get active(): boolean {
    return !this.deleting && this.stage !== 'Gone';
  }

  /** Holds GPUs and host memory on its node: bound and not fully gone. */
  get holdsResources(): boolean {
    return this.node !== null && this.stage !== 'Gone';
  }

  /** The engine serves (what a health probe sees). */
  get servable(): boolean {
    return this.admitting;
  }

  /** Kubernetes pod phase for the deletion ranking: Running once a container has started. */
  get rankPhase(): RankPhase {
    return Number.isNaN(this.containerStartedAt) ? 'Pending' : 'Running';
  }

  get gpus(): number {
    return this.template.tensorParallel;
  }

  /** Every rank of the replica is up: a single pod, or a leader whose size − 1 workers have all joined. */
  get ranksUp(): boolean {
    return this.everyWorker((w) => w.rankUp);
  }

  /** The group is ready as LeaderWorkerSet reads it: the leader and every worker Ready. */
  get groupReady(): boolean {
    return this.ready && this.everyWorker((w) => w.ready);
  }

  /** The container runs (it started, or its image pull is done and it is starting), whatever its engine does. */
  get containerRunning(): boolean {
    return this.stage === 'Running' || (this.stage === 'Starting' && this.phase !== 'imagePull');
  }

  /** A single pod, or a leader whose group has all its workers, none terminating, each passing `test`. */
  private everyWorker(test: (worker: Pod) => boolean): boolean {
    const group = this.template.group;
    if (group === null) return true;
    if (this.workers.length !== group.size - 1) return false;
    for (const w of this.workers) if (w.deleting || !test(w)) return false;
    return true;
  }

  /** Ready for minReadySeconds (availableAt ≤ now, "recent versions use <= now", rollout-semantics.md §1.3). */
  isAvailable(now: number): boolean {
    return this.ready && this.availableAt <= now;
  }

  accept(req: Request): void {
    if (this.admitting) {
      (this.server as Server).submit(req);
      return;
    }
    const sink = this.context.sink;
    if (sink === null) throw new InternalError(`pod ${this.name} refused request ${req.id} before the cluster had a request sink`);
    sink.rejected(req, this.context.sim.now, this.refusal());
  }

  cancel(req: Request): void {
    this.server?.cancel(req);
  }

  outstanding(): number {
    return this.server === null ? 0 : this.server.outstanding();
  }

  /**
   * A gateway cannot see into a pod that does not admit work (still starting, draining, gone): it assumes
   * room, and the request is refused on arrival, which is what happens to traffic sent there too early or late.
   */
  hasRoom(): boolean {
    return this.admitting ? (this.server as Server).hasRoom() : true;
  }

  hasPrefix(group: number): boolean {
    return this.admitting ? (this.server as Server).hasPrefix(group) : false;
  }

  /** What a scrape of the server's metrics reads (0 before the server starts: nothing queued, nothing held). */
  waitingCount(): number {
    return this.server === null ? 0 : this.server.waitingCount();
  }

  kvUsage(): number {
    return this.server === null ? 0 : this.server.kvUsage();
  }

  hasAdapter(adapter: number): boolean {
    return this.admitting ? ((this.server as Server).hasAdapter?.(adapter) ?? false) : false;
  }

  freeAdapterSlots(): number {
    return this.admitting ? ((this.server as Server).freeAdapterSlots?.() ?? 0) : 0;
  }

  private refusal(): RejectCause {
    if (this.draining) return 'server-draining';
    return this.listening ? 'server-not-ready' : 'connection-refused';
  }
}
