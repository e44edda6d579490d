import type { RandomStreams, Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InputError, InternalError } from '../errors.js';
import { mirrorOf } from '../traffic/attempt.js';
import type { RequestTarget } from '../traffic/clients.js';
import type { ShadowListener } from '../traffic/outcome.js';
import type { DropCause, RejectCause, Request, RequestSink, VersionRole } from '../traffic/request.js';
import { AdapterRewrite, type AdapterRewriteRule } from './adapter-rewrite.js';
import { CentralQueue } from './central-queue.js';
import type { Endpoint, EndpointSource } from './endpoint.js';
import {
  LeastOutstandingPicker,
  PowerOfTwoPicker,
  PrefixAwarePicker,
  RandomPicker,
  RoundRobinPicker,
  leastOutstanding,
  type EndpointPicker,
} from './policies.js';
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
] as const;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

export interface RouterOptions {
  policy: RoutingPolicy;
  /** Central queue (policy 'central-queue'): at most maxSize waiting, each at most maxWait s (Infinity: no bound). */
  centralQueue: { maxSize: number; maxWait: number };
  /** Prefix-aware, LoRA affinity: how many more outstanding requests than the least loaded endpoint affinity may cost. */
  maxImbalance: number;
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
  private readonly picker: EndpointPicker;
  private readonly mirrorPicker: EndpointPicker;
  /** Endpoint of each client attempt in service, to cancel it there. */
  private readonly dispatched = new Map<number, Endpoint>();
  private readonly queue: CentralQueue | null;
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
    this.picker = makePicker(options, streams.stream('routing.pick'));
    // Mirrors are fire-and-forget copies (as Envoy's): they bypass the gateway queue, to the least loaded pod.
    this.mirrorPicker = options.policy === 'central-queue' ? new LeastOutstandingPicker() : this.picker;
    const { maxSize, maxWait } = options.centralQueue;
    if (!(maxSize >= 1)) {
      throw new InputError({ expected: 'a queue bound of 1 or more', got: String(maxSize) }, 'routing.centralQueue.maxSize');
    }
    if (!(maxWait > 0)) {
      throw new InputError({ expected: 'a wait above 0 seconds', got: String(maxWait) }, 'routing.centralQueue.maxWait');
    }
    this.queue = options.policy === 'central-queue' ? new CentralQueue(LANES.length) : null;
    this.onQueueExpiry = sim.handler((lane) => this.expireWaiting(lane));
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
    const endpoint = this.dispatched.get(req.id);
    if (endpoint === undefined) return;
    this.dispatched.delete(req.id);
    endpoint.cancel(req);
    this.notifyCapacity();
  }

  /** A request finished or endpoints changed: dispatch what the central queue holds, oldest first. */
  notifyCapacity(): void {
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
    return true;
  }

  private route(req: Request, service: Service): void {
    const candidates = this.candidates(service);
    if (candidates.length === 0) {
      this.rejectHere(req, 'no-endpoint');
      return;
    }
    const queue = this.queue;
    if (queue === null) {
      this.dispatch(req, candidates, this.picker.pick(candidates, req), service);
      return;
    }
    const lane = LANES.indexOf(service);
    if (queue.peek(lane) === null) {
      const free = leastOutstanding(candidates, this.turn++ % candidates.length, true);
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

  private sendMirror(req: Request, version: VersionRole): void {
    const now = this.sim.now;
    const copy = mirrorOf(req, --this.lastMirrorId, now); // negative ids: never clash with the clients' counter
    this.shadow?.mirrored(copy, now);
    const candidates = this.endpoints.endpoints(version);
    if (candidates.length === 0) this.rejectHere(copy, 'no-endpoint');
    else this.dispatch(copy, candidates, this.mirrorPicker.pick(candidates, copy), version);
  }

  private dispatch(req: Request, candidates: readonly Endpoint[], index: number, service: Service): void {
    const endpoint = candidates[index];
    req.version = service === 'pods' ? (index < this.unionOldCount ? 'old' : 'new') : service;
    req.podId = endpoint.podId;
    this.rewrite?.onDispatch(req, req.version);
    if (!req.shadow) this.dispatched.set(req.id, endpoint);
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

  private candidates(service: Service): readonly Endpoint[] {
    if (service !== 'pods') return this.endpoints.endpoints(service);
    // Overwritten in place: emptying the array first would free its storage and reallocate it on every request.
    const union = this.union;
    const old = this.endpoints.endpoints('old');
    const added = this.endpoints.endpoints('new');
    let n = 0;
    for (let i = 0; i < old.length; i++) union[n++] = old[i];
    this.unionOldCount = n;
    for (let i = 0; i < added.length; i++) union[n++] = added[i];
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
      const index = candidates.length === 0 ? -1 : leastOutstanding(candidates, this.turn++ % candidates.length, true);
      if (index < 0 && candidates.length > 0) return;
      queue.shift(lane);
      if (index < 0) this.rejectHere(head, 'no-endpoint');
      else this.dispatch(head, candidates, index, service);
      head = queue.peek(lane);
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

function makePicker(options: RouterOptions, rng: Rng): EndpointPicker {
  switch (options.policy) {
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
    case 'central-queue':
      return new LeastOutstandingPicker();
  }
}
