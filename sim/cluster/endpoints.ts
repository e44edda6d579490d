import type { Distribution } from '../engine/distributions.js';
import type { RandomStreams, Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import type { Endpoint, EndpointJoins, EndpointSource } from '../routing/endpoint.js';
import type { VersionRole } from '../traffic/request.js';
import type { Pod } from './pod.js';

/**
 * How long the gateway takes to learn of an endpoint change (EndpointSlice → kube-proxy / gateway). No
 * documented bound (rollout-semantics.md §2.2: "sleep 3 is generally sufficient", kubernetes#43576):
 * UNCONFIRMED knobs, seconds.
 */
export interface EndpointPropagation {
  readonly add: Distribution;
  readonly remove: Distribution;
}

/**
 * Each version's endpoint list as the gateway sees it: a Ready, non-terminating pod joins `add` seconds after it
 * became Ready; a pod that is deleted, NotReady or gone leaves `remove` seconds later, and in between the gateway
 * may still send it requests (the pod refuses them: the race a preStop sleep covers). A change that reverses a
 * pending one cancels it. The router's own discovery (routing/discovery.ts) is a second table over the same pods
 * with its own delays and membership rule.
 */
export class EndpointTable implements EndpointSource, EndpointJoins {
  private readonly lists: Record<VersionRole, Pod[]> = { old: [], new: [] };
  private readonly pendingChange = new Map<number, number>();
  private readonly pods = new Map<number, Pod>();
  /** When each present endpoint joined; absent for the initial fleet (joined before the run). */
  private readonly joined = new Map<number, number>();
  private readonly rng: Rng;
  private readonly onChange: number;
  lastJoinAt = -Infinity;

  constructor(
    private readonly sim: Simulator,
    streams: RandomStreams,
    private readonly propagation: EndpointPropagation,
    private readonly changed: (version: VersionRole) => void,
    private readonly wanted: (pod: Pod) => boolean = serviceWants,
    stream = 'cluster.endpoints',
  ) {
    this.rng = streams.stream(stream);
    this.onChange = sim.handler((podId) => this.apply(podId));
  }

  get joins(): EndpointJoins {
    return this;
  }

  joinedAt(podId: number): number {
    return this.joined.get(podId) ?? -Infinity;
  }

  endpoints(version: VersionRole): readonly Endpoint[] {
    return this.lists[version];
  }

  count(version: VersionRole): number {
    return this.lists[version].length;
  }

  /** Re-reads whether the pod should be an endpoint and schedules the change after the propagation delay. */
  update(pod: Pod): void {
    const want = this.wanted(pod);
    // A pending change always points away from the present membership: wanting the present state cancels it,
    // wanting the other state lets it land as scheduled.
    if (want === this.has(pod)) {
      this.cancelPending(pod);
      return;
    }
    if (this.pendingChange.has(pod.podId)) return;
    const delay = (want ? this.propagation.add : this.propagation.remove).sample(this.rng);
    this.pods.set(pod.podId, pod);
    this.pendingChange.set(pod.podId, this.sim.after(Math.max(0, delay), this.onChange, pod.podId));
  }

  /** Adds a pod at once, dropping any pending change (the initial fleet is in the endpoints at t=0). */
  addNow(pod: Pod): void {
    this.cancelPending(pod);
    if (this.has(pod)) return;
    this.lists[pod.version].push(pod);
    this.changed(pod.version);
  }

  private apply(podId: number): void {
    this.pendingChange.delete(podId);
    const pod = this.pods.get(podId) as Pod;
    this.pods.delete(podId);
    const list = this.lists[pod.version];
    const i = list.indexOf(pod);
    if (i >= 0) {
      list.splice(i, 1);
      this.joined.delete(podId);
    } else {
      list.push(pod);
      this.joined.set(podId, this.sim.now);
      this.lastJoinAt = this.sim.now;
    }
    this.changed(pod.version);
  }

  private cancelPending(pod: Pod): void {
    const pending = this.pendingChange.get(pod.podId);
    if (pending === undefined) return;
    this.sim.cancel(pending);
    this.pendingChange.delete(pod.podId);
    this.pods.delete(pod.podId);
  }

  private has(pod: Pod): boolean {
    return this.lists[pod.version].includes(pod);
  }
}

/** A Service's EndpointSlice counts a pod that is Ready and not terminating. */
function serviceWants(pod: Pod): boolean {
  return pod.ready && !pod.deleting && pod.stage !== 'Gone';
}
