import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InputError, InternalError } from '../errors.js';
import type { Endpoint, EndpointSource } from '../routing/endpoint.js';
import { routerWants, type DiscoverySpec } from '../routing/discovery.js';
import { constant } from '../engine/distributions.js';
import type { PodEvent } from './event-log.js';
import type { RequestSink, VersionRole } from '../traffic/request.js';
import { ClusterAccounting } from './accounting.js';
import { GpuAdmission, kueueCapacity, type KueueConfig, type QuotaConfig } from './admission.js';
import { ClusterAutoscaler, type AutoscalerConfig } from './autoscaler.js';
import { EndpointTable, type EndpointPropagation } from './endpoints.js';
import { PodEventLog } from './event-log.js';
import { PressureMonitor, type EvictionConfig } from './eviction.js';
import { Kubelet } from './kubelet.js';
import type { StartupSummary } from '../metrics/summary-types.js';
import { Node, type NodePoolSpec } from './nodes.js';
import { Pod, type PodContext } from './pod.js';
import { restartRecreatesGroup, workerTemplateOf } from './pod-groups.js';
import { ReplacementGate } from './group-replacement.js';
import { ReplicaSet, syncReplicaSet, type PodActions, type ReplicaSetStatus } from './replicaset.js';
import { Scheduler, findNode, poolMatches, requirementsOf, unschedulableMessage, type PodRequirements } from './scheduler.js';
import type { StoreLimits, WeightSource } from './storage.js';
import type { PodTemplate } from './template.js';

export interface ClusterConfig {
  readonly nodePools: readonly NodePoolSpec[];
  readonly autoscaler: AutoscalerConfig;
  readonly endpointPropagation: EndpointPropagation;
  readonly eviction: EvictionConfig;
  readonly storage: Readonly<Record<WeightSource, StoreLimits>>;
  /** The namespace ResourceQuota on requests.nvidia.com/gpu (absent: none). */
  readonly resourceQuota?: QuotaConfig | null;
  /** The Kueue ClusterQueue the workload's pods queue in (absent: none). */
  readonly kueue?: KueueConfig | null;
}

/** What holds pods back at this instant: the facts a stalled rollout's verdict is read from. */
export interface ClusterBlockage {
  /** ReplicaSets missing pods because the ResourceQuota refused their creation. */
  readonly quotaRefused: number;
  /** Pods Kueue has not admitted (SchedulingGated). */
  readonly gatedPods: number;
  /** Pods waiting for a node. */
  readonly unschedulablePods: number;
  /** Some pool those pods could grow into had a VM request refused for want of cloud capacity recently. */
  readonly stockedOut: boolean;
  /** Active pods whose container keeps dying (restarted, not Ready). */
  readonly crashLooping: number;
  /** Active pods pulling their image. */
  readonly pullingImages: number;
}

export interface ClusterHooks {
  /** A ReplicaSet's status may have changed: controllers should sync (the run schedules one atLate sync). */
  statusChanged(): void;
  /** A version's endpoint list changed (the router's central queue re-dispatches). */
  endpointsChanged(version: VersionRole): void;
  podEvent(event: PodEvent): void;
  /** A pod's termination began (deletedAt is now): what its server still holds can be read. */
  deleting?(pod: Pod): void;
}

/** Gauges for the time series. */
export interface ClusterStats {
  /** GPUs held by pods that are not terminating and do not serve yet (start-up, crash loop). */
  gpusStarting: number;
  /** GPUs held by pods whose engine serves, not terminating. */
  gpusServing: number;
  /** GPUs held by terminating pods. */
  gpusDraining: number;
  /** All GPUs held by pods (the three above). */
  gpusHeld: number;
  /** GPUs pods can bind to: nodes whose nvidia.com/gpu is allocatable. */
  gpusAllocatable: number;
  pendingPods: number;
  /** Nodes that exist (provisioning ones included). */
  nodes: number;
  /** Active (non-terminating) pods per version. */
  podsOld: number;
  podsNew: number;
  readyOld: number;
  readyNew: number;
  endpointsOld: number;
  endpointsNew: number;
}

/** Totals for the summary's capacity block. */
export interface ClusterSummary {
  /** Allocatable GPUs at t=0. */
  clusterGpus: number;
  /** Most GPUs held by pods at once. */
  peakGpus: number;
  pendingPodSeconds: number;
  /** GPU-hours held by pods (binding → fully gone). */
  podGpuHours: number;
  /** GPU-hours of existing nodes (VM request → removal): the bill. */
  nodeGpuHours: number;
  nodesAdded: number;
  startup: StartupSummary;
}

/**
 * The Kubernetes side of a run: node pools and the cluster autoscaler, the scheduler, ReplicaSets and their
 * controller, the kubelet (start-up, probes, restarts, termination), node-pressure eviction, and each version's
 * endpoints. Controllers only call the ReplicaSet API; the router reads `endpoints(version)`.
 */
export class Cluster implements EndpointSource, PodActions {
  private readonly nodeList: Node[] = [];
  private readonly podList: Pod[] = [];
  private readonly replicaSets: ReplicaSet[] = [];
  private readonly context: PodContext;
  private readonly log: PodEventLog;
  private readonly scheduler: Scheduler;
  private readonly kubelet: Kubelet;
  private readonly endpointTable: EndpointTable;
  /** The router's own discovery of pods, when it has one (routing.discovery). */
  private routerTable: EndpointTable | null = null;
  private readonly streams: RandomStreams;
  private readonly pressure: PressureMonitor;
  private readonly autoscaler: ClusterAutoscaler;
  private readonly accounting: ClusterAccounting;
  private readonly initialGpus: number;
  private readonly admission: GpuAdmission;
  /** ReplicaSets the quota refused a pod: retried when quota is released. */
  private readonly quotaRefused = new Set<ReplicaSet>();
  /** Worker pods of multi-node replicas not yet gone (ReplicaSets count only their leaders). */
  private readonly liveWorkers = new Set<Pod>();
  /** LWS hash mode's group replacement gate (PostTermination). */
  private readonly replacementGate = new ReplacementGate(
    (leader) => this.admitGroup(leader),
    (leader, event, reason) => this.log.pod(leader, event, reason),
  );

  constructor(
    private readonly sim: Simulator,
    streams: RandomStreams,
    private readonly config: ClusterConfig,
    private readonly hooks: ClusterHooks,
  ) {
    validatePools(config.nodePools);
    this.streams = streams;
    this.context = { sim, sink: null };
    this.log = new PodEventLog(sim, (e) => hooks.podEvent(e));
    this.accounting = new ClusterAccounting(sim.now);
    this.admission = new GpuAdmission(config.resourceQuota ?? null, config.kueue ?? null);
    const pod = (id: number): Pod => this.podList[id];
    this.scheduler = new Scheduler(this.nodeList, () => sim.now, {
      bound: (p, node) => this.bound(p, node),
      unschedulable: (p, message) => this.unschedulable(p, message),
    });
    this.kubelet = new Kubelet(sim, streams, config.storage, pod, {
      readinessChanged: (p) => this.readinessChanged(p),
      becameAvailable: () => hooks.statusChanged(),
      podGone: (p) => this.podGone(p),
      usageChanged: (node) => this.pressure.usageChanged(node),
      groupMemberDied: (p) => this.groupMemberDied(p),
    }, this.log);
    this.endpointTable = new EndpointTable(sim, streams, config.endpointPropagation, (v) => hooks.endpointsChanged(v));
    this.pressure = new PressureMonitor(sim, config.eviction, this.nodeList, pod, {
      evict: (p, reason) => this.kubelet.evict(p, reason),
      taintLifted: () => this.scheduler.schedule(),
    }, this.log);
    for (const pool of config.nodePools) {
      for (let i = 0; i < pool.nodes; i++) this.addNode(pool, 'allocatable');
    }
    this.initialGpus = this.nodeList.reduce((sum, n) => sum + n.gpusAllocatable, 0);
    this.autoscaler = new ClusterAutoscaler(sim, streams, config.autoscaler, config.nodePools, this.nodeList, () => this.scheduler.pending, {
      addNode: (pool) => this.addNode(pool, 'provisioning'),
      nodeAllocatable: () => this.scheduler.schedule(),
      nodeRemoved: (node) => this.nodeRemoved(node),
    }, this.log);
  }

  /** Where pods report requests they refuse (the router). Must be set before traffic starts. */
  setRequestSink(sink: RequestSink): void {
    this.context.sink = sink;
  }

  // ReplicaSet API

  /** A ReplicaSet with spec.replicas = 0. Throws an InputError when no node pool could ever run its pods. */
  createReplicaSet(template: PodTemplate): ReplicaSet {
    checkPodFitsSomePool(this.config.nodePools, requirementsOf(template), `template ${template.name}`);
    const rs = new ReplicaSet(this.replicaSets.length, template.name, template);
    this.replicaSets.push(rs);
    return rs;
  }

  setReplicas(rs: ReplicaSet, replicas: number): void {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new InputError(`${replicas} replicas requested for ${rs.name}; expected a whole number of 0 or more`, 'replicas');
    }
    rs.spec = replicas;
    syncReplicaSet(rs, this, this.sim.now);
    this.scheduler.schedule();
    this.hooks.statusChanged();
  }

  status(rs: ReplicaSet): ReplicaSetStatus {
    return rs.status(this.sim.now);
  }

  /**
   * Brings up `replicas` pods of `rs` at the current time (t=0), already Ready, warm and serving, with their
   * images, weights and compile caches on their nodes; `cold` starts them through the normal pipeline instead.
   */
  initialFleet(rs: ReplicaSet, replicas: number, options: { cold?: boolean } = {}): void {
    if (options.cold) {
      this.setReplicas(rs, replicas);
      return;
    }
    rs.spec = replicas;
    const req = requirementsOf(rs.template);
    const groupSize = rs.template.group?.size ?? 1;
    const unit = groupSize > 1 ? `groups of ${groupSize} pods` : 'pods';
    for (let i = rs.activePods().length; i < replicas; i++) {
      const nodes: Node[] = [];
      const members: Pod[] = [];
      for (let m = 0; m < groupSize; m++) {
        const spread = rs.template.group?.onePodPerNode === true && nodes.length > 0;
        const node = findNode(this.nodeList, spread ? { ...req, avoid: nodes } : req, this.sim.now);
        if (node === null) {
          throw new InputError(
            `the initial fleet of ${replicas} ${rs.name} ${unit} does not fit the node pools (replica ${i + 1}: ` +
              `${unschedulableMessage(this.nodeList, req, this.sim.now)}); add nodes or lower the replicas`,
            'spec.cluster.nodePools',
          );
        }
        if (!this.admission.mayCreate(rs.template.tensorParallel)) {
          throw new InputError(
            `the initial fleet of ${replicas} ${rs.name} ${unit} needs more than the ResourceQuota's ${this.admission.quota?.hardGpus} GPUs ` +
              `(replica ${i + 1}); raise the quota or lower the replicas`,
            'spec.cluster.resourceQuota.gpus',
          );
        }
        const pod = m === 0 ? this.newPod(rs) : this.newWorker(members[0]);
        this.admission.placed(pod);
        this.scheduler.reserve(pod, node);
        this.accounting.change(this.sim.now, pod.gpus, 0, 0);
        this.log.pod(pod, 'Scheduled', node.name);
        nodes.push(node);
        members.push(pod);
      }
      // Workers first: the leader's engine starts with every rank up.
      for (let m = groupSize - 1; m >= 0; m--) this.kubelet.runWarm(members[m], nodes[m]);
      this.endpointTable.addNow(members[0]);
      this.routerTable?.addNow(members[0]);
    }
    this.hooks.statusChanged();
  }

  endpoints(version: VersionRole): readonly Endpoint[] {
    return this.endpointTable.endpoints(version);
  }

  /**
   * The endpoints as the router sees them: the Service's, or with `discovery` the router's own watch of the pods
   * (its own delays; Terminating pods kept unless it honours them). Call before the initial fleet is placed.
   */
  routerView(discovery: DiscoverySpec | null): EndpointSource {
    if (discovery === null) return this.endpointTable;
    if (this.podList.length > 0) throw new InternalError('Cluster.routerView must be set up before any pod exists');
    const { admissionDelay, removalDelay, honorsTerminating } = discovery;
    const watch = (pod: Pod): boolean => routerWants({ ready: pod.ready, deleting: pod.deleting, gone: pod.stage === 'Gone' }, honorsTerminating);
    const propagation = { add: constant(admissionDelay), remove: constant(removalDelay) };
    this.routerTable = new EndpointTable(this.sim, this.streams, propagation, (v) => this.hooks.endpointsChanged(v), watch, 'routing.discovery');
    return this.routerTable;
  }

  get nodes(): readonly Node[] {
    return this.nodeList;
  }

  /** Every pod ever created, by id (gone ones included). */
  get pods(): readonly Pod[] {
    return this.podList;
  }

  stats(): ClusterStats {
    const s: ClusterStats = {
      gpusStarting: 0,
      gpusServing: 0,
      gpusDraining: 0,
      gpusHeld: 0,
      gpusAllocatable: 0,
      pendingPods: this.scheduler.pending.length,
      nodes: 0,
      podsOld: 0,
      podsNew: 0,
      readyOld: 0,
      readyNew: 0,
      endpointsOld: this.endpointTable.count('old'),
      endpointsNew: this.endpointTable.count('new'),
    };
    for (const node of this.nodeList) {
      if (!node.exists) continue;
      s.nodes++;
      s.gpusAllocatable += node.gpusAllocatable;
    }
    for (const rs of this.replicaSets) {
      for (const pod of rs.pods) {
        const old = pod.version === 'old';
        if (pod.active) {
          if (old) s.podsOld++;
          else s.podsNew++;
          if (pod.ready) {
            if (old) s.readyOld++;
            else s.readyNew++;
          }
        }
        addGpus(s, pod, pod.admitting);
      }
    }
    for (const worker of this.liveWorkers) addGpus(s, worker, (worker.leader as Pod).admitting);
    return s;
  }

  summary(): ClusterSummary {
    const a = this.accounting;
    a.advance(this.sim.now);
    return {
      clusterGpus: this.initialGpus,
      peakGpus: a.peakGpus,
      pendingPodSeconds: a.pendingPodSeconds,
      podGpuHours: a.podGpuSeconds / 3600,
      nodeGpuHours: a.nodeGpuSeconds / 3600,
      nodesAdded: this.autoscaler.nodesAdded,
      startup: this.kubelet.startup.stats.summary(),
    };
  }

  // PodActions (the ReplicaSet controller's)

  createPod(rs: ReplicaSet): void {
    const gpus = rs.template.tensorParallel * (rs.template.group?.size ?? 1);
    if (!this.admission.mayCreate(gpus)) {
      this.refuseCreate(rs, gpus);
      return;
    }
    const leader = this.newPod(rs);
    if (rs.template.group?.hash?.replacement === 'PostTermination') {
      this.replacementGate.hold(leader);
      return;
    }
    this.admitGroup(leader);
  }

  /** The leader and (LWS startupPolicy LeaderCreated: its workers' StatefulSet comes with it) its workers. */
  private admitGroup(leader: Pod): void {
    this.admit(leader);
    for (let m = 1; m < (leader.template.group?.size ?? 1); m++) this.admit(this.newWorker(leader));
  }

  private admit(pod: Pod): void {
    if (this.admission.created(pod)) this.toScheduler(pod);
    else {
      const capacity = kueueCapacity(this.admission.kueue as KueueConfig);
      this.log.pod(pod, 'SchedulingGated', `Kueue: ${this.admission.kueueUsed} of ${capacity} nvidia.com/gpu admitted, the pod asks ${pod.gpus}`);
    }
  }

  /** A StatefulSet-style scale-down by one chosen pod: spec.replicas − 1 and that pod deleted (the LWS controller's). */
  deletePodOf(rs: ReplicaSet, pod: Pod): void {
    if (pod.replicaSetId !== rs.id || pod.leader !== null) throw new InternalError(`pod ${pod.name} is not a replica of ${rs.name}`);
    rs.spec = Math.max(0, rs.spec - 1);
    if (!pod.deleting && pod.stage !== 'Gone') this.deletePod(pod);
    this.scheduler.schedule();
    this.hooks.statusChanged();
  }

  /** What holds pods back now (read when a rollout ends stalled). */
  blockage(): ClusterBlockage {
    let quotaRefused = 0;
    for (const rs of this.quotaRefused) if (rs.activePods().length < rs.spec) quotaRefused++;
    let crashLooping = 0;
    let pullingImages = 0;
    for (const rs of this.replicaSets) {
      for (const pod of rs.pods) {
        if (!pod.active) continue;
        if (pod.restarts > 0 && !pod.ready) crashLooping++;
        if (pod.stage === 'Starting' && pod.phase === 'imagePull') pullingImages++;
      }
    }
    const pending = this.scheduler.pending;
    const stockedOut = this.config.nodePools.some(
      (pool) => pending.some((pod) => poolMatches(pool, requirementsOf(pod.template))) && this.autoscaler.recentlyStockedOut(pool),
    );
    return { quotaRefused, gatedPods: this.admission.gated.length, unschedulablePods: pending.length, stockedOut, crashLooping, pullingImages };
  }

  /** The quota admission plugin refused the create: FailedCreate on the ReplicaSet, retried when quota frees. */
  private refuseCreate(rs: ReplicaSet, gpus: number): void {
    this.admission.quotaDenials++;
    if (this.quotaRefused.has(rs)) return;
    this.quotaRefused.add(rs);
    const quota = this.admission.quota;
    const used = this.admission.quotaUsed + (quota?.usedElsewhere ?? 0);
    this.log.other(
      rs.name,
      rs.template.version,
      'FailedCreate',
      `exceeded quota: requests.nvidia.com/gpu, requested: ${gpus}, used: ${used}, limited: ${quota?.hardGpus}`,
    );
  }

  /** Quota was released: the ReplicaSet controller's requeued syncs create what the quota refused before. */
  private retryRefusedCreates(): void {
    for (const rs of [...this.quotaRefused]) {
      this.quotaRefused.delete(rs);
      syncReplicaSet(rs, this, this.sim.now);
    }
  }

  private toScheduler(pod: Pod): void {
    this.accounting.change(this.sim.now, 0, 1, 0);
    this.scheduler.enqueue(pod);
  }

  deletePod(pod: Pod): void {
    if (pod.template.group?.hash != null) this.replacementGate.deleted(pod);
    if (pod.node === null && this.scheduler.remove(pod)) this.accounting.change(this.sim.now, 0, -1, 0);
    this.kubelet.delete(pod);
    this.hooks.deleting?.(pod);
    this.endpointsMayChange(pod);
    // The leader owns its workers' StatefulSet: the garbage collector deletes them with it. An evicted worker is
    // already on its way out.
    for (const worker of [...pod.workers]) if (!worker.deleting && worker.failedReason === null && worker.stage !== 'Gone') this.deleteWorker(worker);
  }

  private deleteWorker(worker: Pod): void {
    if (worker.node === null && this.scheduler.remove(worker)) this.accounting.change(this.sim.now, 0, -1, 0);
    this.kubelet.delete(worker);
  }

  colocated(pod: Pod): number {
    const node = pod.node;
    if (node === null) return 0;
    let n = 0;
    for (const id of node.pods) if (this.podList[id].active) n++;
    return n;
  }

  // Reactions

  private newPod(rs: ReplicaSet): Pod {
    const pod = new Pod(this.podList.length, rs.id, rs.template, this.context);
    this.podList.push(pod);
    rs.pods.push(pod);
    this.log.pod(pod, 'Created');
    return pod;
  }

  /** A worker pod of `leader`'s group: outside the ReplicaSet (which counts replicas), deleted with its leader. */
  private newWorker(leader: Pod): Pod {
    // LWS names a group's workers after their leader and index: <leader>-1, <leader>-2, ...; a replacement takes
    // one past the highest index still in use.
    const index = 1 + leader.workers.reduce((most, w) => Math.max(most, w.groupIndex), 0);
    const worker = new Pod(this.podList.length, leader.replicaSetId, workerTemplateOf(leader.template), this.context, `${leader.name}-${index}`);
    worker.leader = leader;
    worker.groupIndex = index;
    leader.workers.push(worker);
    this.podList.push(worker);
    this.liveWorkers.add(worker);
    this.log.pod(worker, 'Created', `worker of ${leader.name}`);
    return worker;
  }

  /**
   * A member's container died outside termination: under RecreateGroupOnPodRestart (or RecreateGroupAfterStart
   * once no member is Pending) LWS deletes the leader, the workers go with it, and the ReplicaSet (the leader
   * StatefulSet) creates the group again; true then. Under None the pod restarts alone.
   */
  private groupMemberDied(pod: Pod): boolean {
    const leader = pod.leader ?? pod;
    if (leader.deleting || leader.stage === 'Gone') return true;
    if (!restartRecreatesGroup(leader)) return false;
    this.log.pod(leader, 'GroupRecreate', `${pod === leader ? 'the leader' : `worker ${pod.name}`} restarted: ${leader.template.group?.restartPolicy}`);
    this.deletePod(leader);
    syncReplicaSet(this.replicaSets[leader.replicaSetId], this, this.sim.now);
    this.scheduler.schedule();
    this.hooks.statusChanged();
    return true;
  }

  private addNode(pool: NodePoolSpec, state: 'allocatable' | 'provisioning'): Node {
    const index = this.nodeList.filter((n) => n.pool === pool).length;
    const node = new Node(this.nodeList.length, `${pool.name}-${index}`, pool, state, this.sim.now);
    this.nodeList.push(node);
    this.accounting.change(this.sim.now, 0, 0, pool.gpusPerNode);
    return node;
  }

  private nodeRemoved(node: Node): void {
    this.accounting.change(this.sim.now, 0, 0, -node.pool.gpusPerNode);
    this.log.node(node, 'NodeRemoved');
  }

  private bound(pod: Pod, node: Node): void {
    this.accounting.change(this.sim.now, pod.gpus, -1, 0);
    this.log.pod(pod, 'Scheduled', node.name);
    this.kubelet.run(pod);
  }

  private unschedulable(pod: Pod, message: string): void {
    if (message === pod.unschedulableMessage) return;
    pod.unschedulableMessage = message;
    this.log.pod(pod, 'FailedScheduling', message);
  }

  private endpointsMayChange(pod: Pod): void {
    // Workers serve no traffic: only a leader is behind the Service.
    if (pod.leader !== null) return;
    this.endpointTable.update(pod);
    this.routerTable?.update(pod);
  }

  private readinessChanged(pod: Pod): void {
    this.endpointsMayChange(pod);
    this.hooks.statusChanged();
  }

  private podGone(pod: Pod): void {
    if (pod.node === null) {
      if (this.scheduler.remove(pod)) this.accounting.change(this.sim.now, 0, -1, 0);
    } else {
      this.scheduler.release(pod);
      this.accounting.change(this.sim.now, -pod.gpus, 0, 0);
    }
    this.endpointsMayChange(pod);
    const leader = pod.leader;
    const rs = this.replicaSets[pod.replicaSetId];
    if (leader === null) rs.pods.splice(rs.pods.indexOf(pod), 1);
    else {
      this.liveWorkers.delete(pod);
      leader.workers.splice(leader.workers.indexOf(pod), 1);
    }
    this.replacementGate.podGone(leader ?? pod);
    for (const admitted of this.admission.gone(pod)) {
      this.log.pod(admitted, 'Admitted', 'Kueue admitted the workload: scheduling gate removed');
      this.toScheduler(admitted);
    }
    // A failed (evicted) pod is replaced (a worker of a live group by its StatefulSet, restartPolicy None); a deleted
    // one was already discounted at deletion.
    if (pod.failedReason !== null && !pod.deleting) {
      if (leader === null) syncReplicaSet(rs, this, this.sim.now);
      else if (!leader.deleting && leader.stage !== 'Gone') this.admit(this.newWorker(leader));
    }
    this.retryRefusedCreates();
    this.scheduler.schedule();
    this.hooks.statusChanged();
  }
}

/** Adds a pod's GPUs to the gauges: held, and draining, serving (its replica's engine) or starting. */
function addGpus(s: ClusterStats, pod: Pod, serving: boolean): void {
  if (!pod.holdsResources) return;
  s.gpusHeld += pod.gpus;
  if (pod.deleting) s.gpusDraining += pod.gpus;
  else if (serving) s.gpusServing += pod.gpus;
  else s.gpusStarting += pod.gpus;
}

function validatePools(pools: readonly NodePoolSpec[]): void {
  if (pools.length === 0) throw new InputError('no node pools; declare at least one', 'spec.cluster.nodePools');
  const names = new Set<string>();
  pools.forEach((pool, i) => {
    const path = `cluster.nodePools[${i}]`;
    if (names.has(pool.name)) throw new InputError(`pool name "${pool.name}" is used twice; names must be unique`, `${path}.name`);
    names.add(pool.name);
    if (!Number.isInteger(pool.gpusPerNode) || pool.gpusPerNode < 1) {
      throw new InputError(`gpusPerNode is ${pool.gpusPerNode}; expected a whole number of 1 or more`, `${path}.gpusPerNode`);
    }
    if (!(pool.minNodes <= pool.nodes && pool.nodes <= pool.maxNodes)) {
      throw new InputError(
        `expected minNodes ≤ nodes ≤ maxNodes, got ${pool.minNodes} ≤ ${pool.nodes} ≤ ${pool.maxNodes}`,
        `${path}.nodes`,
      );
    }
  });
}

/** A pod that no node of any pool could ever hold is a configuration error, not a Pending pod. */
export function checkPodFitsSomePool(pools: readonly NodePoolSpec[], req: PodRequirements, path: string): void {
  const matching = pools.filter((p) => poolMatches(p, req));
  if (matching.length === 0) {
    const selector = Object.keys(req.selector).length > 0 ? ` with labels ${JSON.stringify(req.selector)}` : '';
    throw new InputError(
      `no node pool has GPU "${req.gpu}"${selector}; pools: ${pools.map((p) => `${p.name} (${p.gpu})`).join(', ')}`,
      path,
    );
  }
  const biggest = Math.max(...matching.map((p) => p.gpusPerNode));
  if (biggest < req.gpus) {
    throw new InputError(`a pod needs ${req.gpus} GPUs but the largest matching node has ${biggest}; lower tensorParallel or use bigger nodes`, `${path}.tensorParallel`);
  }
  if (!matching.some((p) => p.gpusPerNode >= req.gpus && p.hostMemory >= req.memory)) {
    throw new InputError(`a pod requests ${req.memory} bytes of host memory, more than any matching node has`, `${path}.resources.hostMemory`);
  }
}
