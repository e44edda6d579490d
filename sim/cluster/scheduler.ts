import type { Node, NodePoolSpec } from './nodes.js';
import type { Pod } from './pod.js';
import type { PodTemplate } from './template.js';

/** What a pod asks of a node. */
export interface PodRequirements {
  readonly gpus: number;
  readonly memory: number;
  readonly gpu: string;
  readonly selector: Readonly<Record<string, string>>;
  /** Nodes the pod must not share (pod anti-affinity with the other members of its multi-node replica). */
  readonly avoid?: readonly Node[];
}

export function requirementsOf(t: PodTemplate): PodRequirements {
  return { gpus: t.tensorParallel, memory: t.resources.hostMemoryRequest, gpu: t.gpu, selector: t.nodeSelector };
}

/**
 * What one pod asks: its template's requirements and, for a member of a multi-node replica whose members repel
 * each other (leaderWorkerSet.onePodPerNode), the nodes its other members are bound to.
 */
export function podRequirements(pod: Pod): PodRequirements {
  const req = requirementsOf(pod.template);
  const leader = pod.leader ?? pod;
  if (leader.template.group?.onePodPerNode !== true) return req;
  const avoid: Node[] = [];
  for (const member of [leader, ...leader.workers]) if (member !== pod && member.node !== null && member.stage !== 'Gone') avoid.push(member.node);
  return avoid.length === 0 ? req : { ...req, avoid };
}

/** The pool's nodes carry the pod's GPU and every label of its nodeSelector. */
export function poolMatches(pool: NodePoolSpec, req: PodRequirements): boolean {
  if (pool.gpu !== req.gpu) return false;
  for (const key in req.selector) if (pool.labels[key] !== req.selector[key]) return false;
  return true;
}

/** A node the scheduler can see: registered with the API server (a provisioning VM is not a node yet). */
function registered(node: Node): boolean {
  return node.state === 'ready' || node.state === 'allocatable';
}

function tainted(node: Node, now: number): boolean {
  return node.pressureUntil > now;
}

/** Requests a trial placement has put on nodes without binding (a gang's members placed so far). */
export type TrialReservations = ReadonlyMap<Node, { readonly gpus: number; readonly memory: number }>;

function fits(node: Node, req: PodRequirements, trial?: TrialReservations): boolean {
  const held = trial?.get(node);
  return node.gpusFree - (held?.gpus ?? 0) >= req.gpus && node.memoryFree - (held?.memory ?? 0) >= req.memory;
}

/**
 * NodeResourcesFit with the MostAllocated strategy (bin-packing, what GPU clusters configure): the mean over
 * GPUs and memory of the fraction allocated after placing the pod.
 */
export function mostAllocatedScore(node: Node, req: PodRequirements): number {
  const gpu = (node.gpusUsed + req.gpus) / node.pool.gpusPerNode;
  const memory = (node.memoryRequested + req.memory) / node.pool.hostMemory;
  return (gpu + memory) / 2;
}

/** The best feasible node, or null. Ties go to the lowest node id (kube-scheduler picks at random among them). */
export function findNode(nodes: readonly Node[], req: PodRequirements, now: number, trial?: TrialReservations): Node | null {
  let best: Node | null = null;
  let bestScore = -Infinity;
  for (const node of nodes) {
    if (!registered(node) || !poolMatches(node.pool, req) || tainted(node, now) || !fits(node, req, trial) || req.avoid?.includes(node)) continue;
    const score = mostAllocatedScore(node, req);
    if (score > bestScore) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

/** kube-scheduler's FailedScheduling message: "0/3 nodes are available: 2 Insufficient nvidia.com/gpu, …". */
export function unschedulableMessage(nodes: readonly Node[], req: PodRequirements, now: number): string {
  const counts = new Map<string, number>();
  const add = (reason: string): void => void counts.set(reason, (counts.get(reason) ?? 0) + 1);
  let total = 0;
  for (const node of nodes) {
    if (!registered(node)) continue;
    total++;
    if (!poolMatches(node.pool, req)) add("node(s) didn't match selector");
    else if (tainted(node, now)) add(`node(s) had untolerated taint {node.kubernetes.io/${node.pressureKind}-pressure: }`);
    else if (req.avoid?.includes(node)) add("node(s) didn't match pod anti-affinity rules");
    else {
      if (node.gpusFree < req.gpus) add('Insufficient nvidia.com/gpu');
      if (node.memoryFree < req.memory) add('Insufficient memory');
    }
  }
  const reasons = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([reason, n]) => `${n} ${reason}`);
  return `0/${total} nodes are available${reasons.length > 0 ? `: ${reasons.join(', ')}` : ''}.`;
}

export interface SchedulerListener {
  bound(pod: Pod, node: Node): void;
  /** Called on every failed attempt; the listener decides what to log. */
  unschedulable(pod: Pod, message: string): void;
}

/**
 * The scheduling queue: pending pods in creation order, tried whenever capacity may have appeared (a pod
 * created, a pod fully gone, a node allocatable, a taint lifted). A pod that does not fit stays Pending with
 * the reason. Binding reserves the pod's GPUs and memory request until it is fully gone.
 */
export class Scheduler {
  private readonly queue: Pod[] = [];
  private passing = false;
  private again = false;

  constructor(
    private readonly nodes: readonly Node[],
    private readonly now: () => number,
    private readonly listener: SchedulerListener,
  ) {}

  get pending(): readonly Pod[] {
    return this.queue;
  }

  enqueue(pod: Pod): void {
    this.queue.push(pod);
  }

  /** Drops a pod from the queue (deleted while Pending); false if it was not queued. */
  remove(pod: Pod): boolean {
    const i = this.queue.indexOf(pod);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  /** One pass over the queue, oldest first; a pass requested during a pass runs right after it. */
  schedule(): void {
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = true;
    try {
      do {
        this.again = false;
        this.pass();
      } while (this.again);
    } finally {
      this.passing = false;
    }
  }

  /** Reserves the pod's requests on the node (also used to place the initial fleet). */
  reserve(pod: Pod, node: Node): void {
    const req = requirementsOf(pod.template);
    node.gpusUsed += req.gpus;
    node.memoryRequested += req.memory;
    node.pods.push(pod.podId);
    node.emptySince = NaN;
    pod.node = node;
  }

  /** Frees what the pod reserved (it is fully gone). */
  release(pod: Pod): void {
    const node = pod.node;
    if (node === null) return;
    const req = requirementsOf(pod.template);
    node.gpusUsed -= req.gpus;
    node.memoryRequested -= req.memory;
    node.pods.splice(node.pods.indexOf(pod.podId), 1);
    if (node.pods.length === 0) node.emptySince = this.now();
  }

  /**
   * A gang-scheduled group (a PodGroup with minMember = size, as LWS creates for Volcano or the coscheduling
   * plugin): its pending members are placed on trial, each after the others; all bind at once, or none and each
   * stays Pending with the reason. False when the gang does not fit.
   */
  private bindGang(pod: Pod, now: number): boolean {
    const leader = pod.leader ?? pod;
    const members = [leader, ...leader.workers].filter((m) => this.queue.includes(m));
    const trial = new Map<Node, { gpus: number; memory: number }>();
    const chosen: Node[] = [];
    const spread = leader.template.group?.onePodPerNode === true;
    for (const member of members) {
      const req = podRequirements(member);
      const node = findNode(this.nodes, spread ? { ...req, avoid: [...(req.avoid ?? []), ...chosen] } : req, now, trial);
      if (node === null) {
        const message = `${unschedulableMessage(this.nodes, req, now)} (gang-scheduled: none of the group's ${members.length} pending pods binds until all fit)`;
        for (const m of members) this.listener.unschedulable(m, message);
        return false;
      }
      const held = trial.get(node) ?? { gpus: 0, memory: 0 };
      trial.set(node, { gpus: held.gpus + req.gpus, memory: held.memory + req.memory });
      chosen.push(node);
    }
    members.forEach((member, k) => {
      this.queue.splice(this.queue.indexOf(member), 1);
      this.reserve(member, chosen[k]);
      this.listener.bound(member, chosen[k]);
    });
    return true;
  }

  private pass(): void {
    const now = this.now();
    // Pods of one template ask for the same thing: once one fails in a pass, the rest fail the same way.
    const failed = new Map<PodTemplate, string>();
    let i = 0;
    while (i < this.queue.length) {
      const pod = this.queue[i];
      const known = failed.get(pod.template);
      if (known !== undefined) {
        this.listener.unschedulable(pod, known);
        i++;
        continue;
      }
      if ((pod.leader ?? pod).template.group?.gangScheduling === true) {
        // A bound gang may take members from before i out of the queue: scan again from the front.
        if (this.bindGang(pod, now)) i = 0;
        else i++;
        continue;
      }
      const req = podRequirements(pod);
      const node = findNode(this.nodes, req, now);
      if (node === null) {
        const message = unschedulableMessage(this.nodes, req, now);
        // A pod kept off its group's nodes fails for reasons of its own.
        if (req.avoid === undefined) failed.set(pod.template, message);
        this.listener.unschedulable(pod, message);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.reserve(pod, node);
      this.listener.bound(pod, node);
    }
  }
}
