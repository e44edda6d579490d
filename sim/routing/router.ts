import type { RandomStreams, Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InputError, InternalError } from '../errors.js';
import { mirrorOf, testRequest } from '../traffic/attempt.js';
import type { RequestTarget } from '../traffic/clients.js';
import type { ShadowListener } from '../traffic/outcome.js';
import type { DropCause, RejectCause, Request, RequestSink, VersionRole } from '../traffic/request.js';
import { AdapterRewrite, type AdapterRewriteRule } from './adapter-rewrite.js';
import { CentralQueue } from './central-queue.js';
import { EndpointWait } from './endpoint-wait.js';
import { PassiveEjection, refusedAsUnavailable } from './ejection.js';
import { GatewayFleet, type GatewaySpec } from './gateway-fleet.js';
import { RoutableTime, type RoutableTimeStats } from './routable-time.js';
import type { Endpoint, EndpointSource } from './endpoint.js';
import { InferenceEndpointPicker, type EndpointPickerOptions } from './endpoint-picker.js';
import {
  LeastOutstandingPicker,
  PowerOfTwoPicker,
  PrefixAwarePicker,
  RandomPicker,
  RoomAwarePicker,
  RoundRobinPicker,
  type EndpointPicker,
  type HoldingPicker,
} from './policies.js';
import { SlowStartPicker, type SlowStartSpec } from './slow-start.js';
import { LoraAffinityPicker } from './lora-affinity.js';
import { VersionSplit, type Service, type Split } from './split.js';

export const ROUTING_POLICIES = [
  'least-outstanding',
  'round-robin',
  'random',
  'power-of-two',
  'prefix-aware',
  'lora-affinity',
  'central-queue',
  'endpoint-picker',
] as const;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

export interface RouterOptions {
  policy: RoutingPolicy;
  /** Central queue (policy 'central-queue'): at most maxSize waiting, each at most maxWait s (Infinity: no bound). */
  centralQueue: { maxSize: number; maxWait: number };
  /** Prefix-aware, LoRA affinity: how many more outstanding requests than the least loaded endpoint affinity may cost. */
  maxImbalance: number;
  /** Policy 'endpoint-picker': scorers, scrape interval, saturation detector, prefix index. */
  endpointPicker: EndpointPickerOptions;
  /** Slow start of newly joined endpoints (policies round-robin, random, least-outstanding, power-of-two). */
  slowStart: SlowStartSpec | null;
  /** Seconds a request is held for a routable endpoint before it is refused `no-endpoint` (0: refused at once). */
  waitForEndpoint: number;
  /** The router's own Deployment (replicas, grace period, rollout), or null: it never restarts. */
  gateway: GatewaySpec | null;
}

/** What the gateway itself saw in a run (the summary's `gateway` block). */
export interface GatewayStats extends RoutableTimeStats {
  /** Client attempts held for a routable endpoint (routing.waitForEndpoint), and those refused when it ran out. */
  readonly waitedForEndpoint: number;
  readonly waitExpired: number;
  /** Client attempts a pod refused as not serving and the router sent again (waitForEndpoint). */
  readonly rerouted: number;
}

export interface MirrorSpec {
  version: VersionRole;
  /** Fraction of client attempts copied to the mirror. */
  share: number;
}

/**
 * A request that waited its maxWait in the central queue is refused as the gateway does when the queue is full.
 * request.ts has no separate cause for it yet ('gateway-queue-timeout' would be clearer in the break-downs).
 */
const QUEUE_WAIT_EXPIRED: RejectCause = 'gateway-queue-full';

const LANES: readonly Service[] = ['old', 'new', 'pods'];
const NO_TIMER = -1;
const NONE: readonly Endpoint[] = [];

/**
 * The gateway / Service: picks a version (split) and an endpoint (policy) for each client attempt, optionally
 * mirrors a share to a shadow version, and proxies the servers' reports back: servers report to the Router as
 * their RequestSink, it frees what it holds and forwards client requests to the client layer and mirrored copies
 * to the ShadowListener (their answers never reach the client).
 */
export class Router implements RequestTarget, RequestSink {
  private readonly split = new VersionSplit([{ version: 'old', weight: 100 }]);
  private mirror: MirrorSpec | null = null;
  private readonly splitRng: Rng;
  private readonly mirrorRng: Rng;
  private picker: EndpointPicker;
  private readonly mirrorPicker: EndpointPicker;
  /** The picker that may hold requests in the central queue (policies central-queue and endpoint-picker). */
  private readonly gate: HoldingPicker | null;
  /** Endpoint of each client attempt in service, to cancel it there. */
  private readonly dispatched = new Map<number, Endpoint>();
  private readonly queue: CentralQueue | null;
  private readonly wait: EndpointWait | null;
  private releasing = false;
  /** Pods that refused a request as unavailable (only while requests may wait for an endpoint). */
  private readonly ejection = new PassiveEjection();
  /** Rerouted requests: refused by a pod that stopped serving, sent again within their wait. */
  private rerouted = 0;
  private readonly gateway: GatewayFleet | null;
  private readonly routable: RoutableTime;
  private readonly expiryTimers = LANES.map(() => NO_TIMER);
  private readonly onQueueExpiry: number;
  private draining = false;
  private lastMirrorId = 0;
  /** Pods mode: both versions' endpoints, old first; reused to avoid an array per request. */
  private readonly union: Endpoint[] = [];
  private unionOldCount = 0;
  private turn = 0;
  /** An adapter rollout's rewrite (docs/lora.md); null without one. */
  private rewrite: AdapterRewrite | null = null;
  private readonly streams: RandomStreams;

  constructor(
    private readonly sim: Simulator,
    streams: RandomStreams,
    private readonly endpoints: EndpointSource,
    private readonly client: RequestSink,
    private readonly options: RouterOptions,
    private readonly shadow: ShadowListener | null = null,
  ) {
    this.streams = streams;
    this.splitRng = streams.stream('routing.split');
    this.mirrorRng = streams.stream('routing.mirror');
    const pickRng = streams.stream('routing.pick');
    const policy = options.policy;
    if (policy === 'endpoint-picker') {
      const picker = new InferenceEndpointPicker(sim, pickRng, endpoints, options.endpointPicker, () => this.notifyCapacity());
      this.picker = picker;
      this.gate = picker;
    } else if (policy === 'central-queue') {
      const picker = new RoomAwarePicker();
      this.picker = picker;
      this.gate = picker;
    } else {
      this.picker = makePicker(policy, options, pickRng);
      this.gate = null;
    }
    if (options.slowStart !== null) this.picker = this.slowStart(options.slowStart, streams);
    // Mirrors are fire-and-forget copies (as Envoy's): they bypass the gateway queue, to the least loaded pod.
    this.mirrorPicker = options.policy === 'central-queue' ? new LeastOutstandingPicker() : this.picker;
    const { maxSize, maxWait } = options.centralQueue;
    if (!(maxSize >= 1)) {
      throw new InputError({ expected: 'a queue bound of 1 or more', got: String(maxSize) }, 'routing.centralQueue.maxSize');
    }
    if (!(maxWait > 0)) {
      throw new InputError({ expected: 'a wait above 0 seconds', got: String(maxWait) }, 'routing.centralQueue.maxWait');
    }
    this.queue = this.gate === null ? null : new CentralQueue(LANES.length);
    this.onQueueExpiry = sim.handler((lane) => this.expireWaiting(lane));
    this.routable = new RoutableTime(sim.now);
    this.gateway = options.gateway === null ? null : new GatewayFleet(sim, options.gateway, (req) => this.cutByGateway(req));
    this.wait =
      options.waitForEndpoint > 0 ? new EndpointWait(sim, LANES.length, options.waitForEndpoint, (req) => this.rejectHere(req, 'no-endpoint')) : null;
  }

  private slowStart(spec: SlowStartSpec, streams: RandomStreams): EndpointPicker {
    const joins = this.endpoints.joins;
    const policy = this.options.policy;
    if (joins === undefined) throw new InternalError('slow start needs an endpoint source that knows when endpoints joined');
    if (policy === 'prefix-aware' || policy === 'central-queue' || policy === 'endpoint-picker' || policy === 'lora-affinity') {
      throw new InputError(`slow start does not apply with policy ${policy}`, 'routing.slowStart');
    }
    return new SlowStartPicker(this.picker, policy, spec, joins, () => this.sim.now, streams.stream('routing.slow-start'));
  }

  setSplit(split: Split): void {
    this.split.set(split);
  }

  /** The adapter rollout's rule, set once when the run is built; its weight starts at 0. */
  setAdapterRewrite(rule: AdapterRewriteRule): void {
    this.rewrite = new AdapterRewrite(rule, this.streams.stream('routing.rewrite'));
  }

  /** Percent of the rule's `from` requests served by `to` (an in-pool rewrite step). */
  setRewriteWeight(weight: number): void {
    if (this.rewrite === null) throw new InternalError('a rewrite weight without an adapter rewrite rule');
    this.rewrite.setWeight(weight);
  }

  setMirror(mirror: MirrorSpec | null): void {
    if (mirror !== null && !(mirror.share >= 0 && mirror.share <= 1)) {
      throw new InputError({ expected: 'a share between 0 and 1', got: String(mirror.share) }, 'mirror.share');
    }
    this.mirror = mirror;
  }

  /** Requests waiting in the central queue. */
  get queued(): number {
    return this.queue === null ? 0 : this.queue.size;
  }

  accept(req: Request): void {
    if (req.shadow) throw new InternalError(`Router.accept got shadow request ${req.id}; mirrors are made here`);
    this.rewrite?.onArrival(req);
    this.route(req, this.split.choose(this.splitRng.next()));
    const mirror = this.mirror;
    if (mirror !== null && this.mirrorRng.next() < mirror.share) this.sendMirror(req, mirror.version);
  }

  cancel(req: Request): void {
    if (this.queue !== null && this.queue.remove(req)) return;
    if (this.wait !== null && this.wait.remove(req)) return;
    const endpoint = this.dispatched.get(req.id);
    if (endpoint === undefined) return;
    this.dispatched.delete(req.id);
    this.gateway?.release(req);
    endpoint.cancel(req);
    this.notifyCapacity();
  }

  /** The router's view of the endpoints changed. */
  endpointsChanged(): void {
    this.routable.update(this.sim.now, this.endpoints.endpoints('old').length + this.endpoints.endpoints('new').length);
    this.notifyCapacity();
  }

  stats(): GatewayStats {
    const waited = this.wait === null ? { held: 0, expired: 0 } : this.wait;
    return { ...this.routable.stats(this.sim.now), waitedForEndpoint: waited.held, waitExpired: waited.expired, rerouted: this.rerouted };
  }

  /** A request finished or endpoints changed: dispatch what the central queue holds, oldest first. */
  notifyCapacity(): void {
    // Not from inside drainLane, whose candidate list the release would overwrite.
    if (this.wait !== null && this.wait.size > 0 && !this.draining) this.releaseWaiting(this.wait);
    const queue = this.queue;
    if (queue === null || queue.size === 0 || this.draining) return;
    this.draining = true;
    try {
      for (let lane = 0; lane < LANES.length; lane++) this.drainLane(queue, lane);
    } finally {
      this.draining = false;
    }
  }

  firstToken(req: Request, at: number): void {
    if (!req.shadow) this.client.firstToken(req, at);
    else if (Number.isNaN(req.firstTokenAt)) req.firstTokenAt = at;
  }

  completed(req: Request, at: number): void {
    if (this.settle(req, at)) this.client.completed(req, at);
    else this.shadow?.completed(req, at);
    this.notifyCapacity();
  }

  dropped(req: Request, at: number, cause: DropCause): void {
    if (this.settle(req, at)) this.client.dropped(req, at, cause);
    else this.shadow?.failed(req, at, 'dropped', cause);
    this.notifyCapacity();
  }

  rejected(req: Request, at: number, cause: RejectCause): void {
    if (this.rerouteRefused(req, at, cause)) return;
    if (this.settle(req, at)) this.client.rejected(req, at, cause);
    else this.shadow?.failed(req, at, 'rejected', cause);
    this.notifyCapacity();
  }

  /** Forgets an ended request; true if it is a client's (false: a mirrored copy). */
  private settle(req: Request, at: number): boolean {
    if (req.shadow) {
      if (Number.isNaN(req.finishedAt)) req.finishedAt = at;
      return false;
    }
    this.dispatched.delete(req.id);
    this.gateway?.release(req);
    return true;
  }

  /** The router replica the stream went through was killed: the client's stream ends, the server stops work on it. */
  private cutByGateway(req: Request): void {
    const endpoint = this.dispatched.get(req.id);
    if (endpoint === undefined) return;
    this.dispatched.delete(req.id);
    endpoint.cancel(req);
    this.client.dropped(req, this.sim.now, 'gateway-terminated');
    this.notifyCapacity();
  }

  private route(req: Request, service: Service): void {
    const candidates = this.candidates(service);
    if (candidates.length === 0) {
      if (this.wait === null) this.rejectHere(req, 'no-endpoint');
      else this.wait.hold(LANES.indexOf(service), req);
      return;
    }
    const queue = this.queue;
    const gate = this.gate;
    if (queue === null || gate === null) {
      this.dispatch(req, candidates, this.picker.pick(candidates, req), service);
      return;
    }
    const lane = LANES.indexOf(service);
    if (queue.peek(lane) === null) {
      const free = gate.pickOrHold(candidates, req);
      if (free >= 0) {
        this.dispatch(req, candidates, free, service);
        return;
      }
    }
    if (queue.size >= this.options.centralQueue.maxSize) {
      this.rejectHere(req, 'gateway-queue-full');
      return;
    }
    queue.push(lane, req);
    this.armExpiry(lane);
  }

  /**
   * A test request straight to one version's Service (preview traffic): it bypasses the split and the gateway
   * queue like a mirrored copy, and reports to the same ShadowListener.
   */
  sendTest(promptTokens: number, outputTokens: number, version: VersionRole): void {
    this.sendShadow(testRequest(--this.lastMirrorId, this.sim.now, promptTokens, outputTokens), version);
  }

  private sendMirror(req: Request, version: VersionRole): void {
    // Negative ids: never clash with the clients' counter.
    this.sendShadow(mirrorOf(req, --this.lastMirrorId, this.sim.now), version);
  }

  private sendShadow(copy: Request, version: VersionRole): void {
    this.shadow?.mirrored(copy, this.sim.now);
    const candidates = this.endpoints.endpoints(version);
    if (candidates.length === 0) this.rejectHere(copy, 'no-endpoint');
    else this.dispatch(copy, candidates, this.mirrorPicker.pick(candidates, copy), version);
  }

  private dispatch(req: Request, candidates: readonly Endpoint[], index: number, service: Service): void {
    const endpoint = candidates[index];
    req.version = service === 'pods' ? (index < this.unionOldCount ? 'old' : 'new') : service;
    req.podId = endpoint.podId;
    this.rewrite?.onDispatch(req, req.version);
    if (!req.shadow) {
      this.dispatched.set(req.id, endpoint);
      this.gateway?.assign(req);
    }
    endpoint.accept(req);
  }

  private rejectHere(req: Request, cause: RejectCause): void {
    const now = this.sim.now;
    if (req.shadow) {
      req.finishedAt = now;
      this.shadow?.failed(req, now, 'rejected', cause);
    } else {
      this.client.rejected(req, now, cause);
    }
  }

  /**
   * With waitForEndpoint, a client request a pod refuses because it does not serve (gone, not started, draining)
   * is sent again, around that pod, while its wait lasts; true if it was.
   */
  private rerouteRefused(req: Request, at: number, cause: RejectCause): boolean {
    const wait = this.wait;
    if (wait === null || req.shadow || !refusedAsUnavailable(cause) || !(at - req.arrival < wait.maxWait)) return false;
    this.ejection.eject(req.podId, at);
    this.dispatched.delete(req.id);
    this.gateway?.release(req);
    this.rerouted++;
    const service: Service = this.split.isPods ? 'pods' : (req.version as VersionRole);
    this.route(req, service);
    return true;
  }

  private candidates(service: Service): readonly Endpoint[] {
    const ejecting = this.ejection.size > 0;
    if (service !== 'pods' && !ejecting) return this.endpoints.endpoints(service);
    // Overwritten in place: emptying the array first would free its storage and reallocate it on every request.
    const union = this.union;
    const old = service === 'new' ? NONE : this.endpoints.endpoints('old');
    const added = service === 'old' ? NONE : this.endpoints.endpoints('new');
    const now = this.sim.now;
    let n = 0;
    for (let i = 0; i < old.length; i++) if (!ejecting || !this.ejection.isEjected(old[i].podId, now)) union[n++] = old[i];
    this.unionOldCount = n;
    for (let i = 0; i < added.length; i++) if (!ejecting || !this.ejection.isEjected(added[i].podId, now)) union[n++] = added[i];
    if (union.length !== n) union.length = n; // setting it, even unchanged, is a runtime call
    return union;
  }

  private drainLane(queue: CentralQueue, lane: number): void {
    let head = queue.peek(lane);
    if (head === null) return;
    const service = LANES[lane];
    const candidates = this.candidates(service);
    while (head !== null) {
      // Without endpoints the request is refused as at arrival, rather than held for a version that may not return.
      const index = candidates.length === 0 ? -1 : (this.gate as HoldingPicker).pickOrHold(candidates, head);
      if (index < 0 && candidates.length > 0) return;
      queue.shift(lane);
      if (index < 0) this.rejectHere(head, 'no-endpoint');
      else this.dispatch(head, candidates, index, service);
      head = queue.peek(lane);
    }
  }

  /** Routes the requests waiting for an endpoint of a service that has endpoints again. */
  private releaseWaiting(wait: EndpointWait): void {
    if (this.releasing) return;
    this.releasing = true;
    try {
      for (let lane = 0; lane < LANES.length; lane++) {
        const service = LANES[lane];
        const routable = (): boolean => this.candidates(service).length > 0;
        if (wait.waiting(lane) && routable()) wait.release(lane, (req) => this.route(req, service), routable);
      }
    } finally {
      this.releasing = false;
    }
  }

  private armExpiry(lane: number): void {
    const maxWait = this.options.centralQueue.maxWait;
    if (this.expiryTimers[lane] !== NO_TIMER || maxWait === Infinity) return;
    const head = (this.queue as CentralQueue).peek(lane);
    // The client sends an attempt the moment it arrives, so its arrival is when it joined the queue.
    if (head !== null) this.expiryTimers[lane] = this.sim.at(head.arrival + maxWait, this.onQueueExpiry, lane);
  }

  /** One timer per lane, for its head: waits expire in FIFO order, so no per-request event is needed. */
  private expireWaiting(lane: number): void {
    this.expiryTimers[lane] = NO_TIMER;
    const queue = this.queue as CentralQueue;
    const maxWait = this.options.centralQueue.maxWait;
    let head = queue.peek(lane);
    // The same sum as the timer's time, so the head that armed it always counts as expired.
    while (head !== null && head.arrival + maxWait <= this.sim.now) {
      queue.shift(lane);
      this.rejectHere(head, QUEUE_WAIT_EXPIRED);
      head = queue.peek(lane);
    }
    this.armExpiry(lane);
  }
}

/** The pickers of the policies that never hold a request at the gateway. */
function makePicker(policy: Exclude<RoutingPolicy, 'central-queue' | 'endpoint-picker'>, options: RouterOptions, rng: Rng): EndpointPicker {
  switch (policy) {
    case 'round-robin':
      return new RoundRobinPicker();
    case 'random':
      return new RandomPicker(rng);
    case 'power-of-two':
      return new PowerOfTwoPicker(rng);
    case 'prefix-aware':
      return new PrefixAwarePicker(options.maxImbalance);
    case 'lora-affinity':
      return new LoraAffinityPicker(options.maxImbalance);
    case 'least-outstanding':
      return new LeastOutstandingPicker();
  }
}
