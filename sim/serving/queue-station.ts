import type { Distribution } from '../engine/distributions.js';
import type { Rng } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { InputError, InternalError } from '../errors.js';
import type { DropCause, RejectCause, Request, RequestSink } from '../traffic/request.js';
import type { Server } from './server.js';

/**
 * A FIFO queue with removal from anywhere (a removed entry leaves a hole that the head skips) and insertion at
 * the front (where the replica puts preempted requests back). A ring buffer indexed by absolute positions.
 * Pushes and shifts are O(1) and touch no map: removal scans from the head, which is where a client's time-out
 * finds its request, since the longest-waiting requests time out first.
 */
export class FifoQueue<T extends object> {
  private buffer: (T | undefined)[] = new Array<T | undefined>(16);
  private count = 0;
  /** Absolute positions [head, tail) span the live entries and the holes between them. */
  private head = 0;
  private tail = 0;

  get size(): number {
    return this.count;
  }

  pushBack(item: T): void {
    this.makeRoom();
    this.buffer[this.slot(this.tail++)] = item;
    this.count++;
  }

  pushFront(item: T): void {
    this.makeRoom();
    this.buffer[this.slot(--this.head)] = item;
    this.count++;
  }

  peek(): T | undefined {
    this.skipHoles();
    return this.head < this.tail ? this.buffer[this.slot(this.head)] : undefined;
  }

  shift(): T | undefined {
    const item = this.peek();
    if (item === undefined) return undefined;
    this.buffer[this.slot(this.head++)] = undefined;
    this.count--;
    return item;
  }

  /** Removes the item if queued; returns whether it was. */
  remove(item: T): boolean {
    for (let p = this.head; p < this.tail; p++) {
      const slot = this.slot(p);
      if (this.buffer[slot] !== item) continue;
      this.buffer[slot] = undefined;
      this.count--;
      return true;
    }
    return false;
  }

  /** Calls `fn` on each queued item, oldest first, until it returns true; returns that item (undefined if none). */
  find(fn: (item: T) => boolean): T | undefined {
    for (let p = this.head; p < this.tail; p++) {
      const item = this.buffer[this.slot(p)];
      if (item !== undefined && fn(item)) return item;
    }
    return undefined;
  }

  /**
   * Positions for a walk from the head that may remove entries on the way (the scheduler's LoRA skip): valid
   * until the next push. `itemAt` is undefined at a hole.
   */
  get headPosition(): number {
    return this.head;
  }

  get tailPosition(): number {
    return this.tail;
  }

  itemAt(position: number): T | undefined {
    return this.buffer[this.slot(position)];
  }

  removeAt(position: number): void {
    const slot = this.slot(position);
    if (this.buffer[slot] === undefined) return;
    this.buffer[slot] = undefined;
    this.count--;
  }

  /** Empties the queue, appending the items in FIFO order to `into`. */
  drainInto(into: T[]): void {
    for (let item = this.shift(); item !== undefined; item = this.shift()) into.push(item);
    this.head = 0;
    this.tail = 0;
  }

  private slot(position: number): number {
    return wrap(position, this.buffer.length);
  }

  private skipHoles(): void {
    while (this.head < this.tail && this.buffer[this.slot(this.head)] === undefined) this.head++;
  }

  private makeRoom(): void {
    this.skipHoles();
    if (this.tail - this.head < this.buffer.length) return;
    const old = this.buffer;
    const oldLength = old.length;
    this.buffer = new Array<T | undefined>(oldLength * 2);
    for (let p = this.head; p < this.tail; p++) {
      this.buffer[this.slot(p)] = old[wrap(p, oldLength)];
    }
  }
}

/**
 * A position (possibly negative, after insertions at the front) as an index into a ring of `length` slots.
 * Lengths are powers of two, so the two's-complement mask is the non-negative remainder (positions stay far
 * inside the int32 range: one per push).
 */
function wrap(position: number, length: number): number {
  return position & (length - 1);
}

/** The listeners of Server.onIdle and the "had work since the last notice" flag that makes each drop to 0 fire once. */
export class IdleNotifier {
  private readonly listeners: (() => void)[] = [];
  private busy = false;

  add(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Work arrived. */
  markBusy(): void {
    this.busy = true;
  }

  /** Fires the listeners if there was work and none is left. */
  check(outstanding: number): void {
    if (!this.busy || outstanding > 0) return;
    this.busy = false;
    for (const listener of this.listeners) listener();
  }
}

export interface QueueStationConfig {
  /** Drawn once per request when its service starts. */
  serviceTime: Distribution;
  /** Servers working in parallel. */
  concurrency: number;
  /** Bound on requests waiting (not in service); beyond it arrivals are rejected 'queue-full'. Unbounded if absent. */
  maxWaiting?: number;
}

/**
 * The queueing mode of a model server: an n-server FIFO station (M/G/c, or M/G/c/K with maxWaiting), used to
 * validate the engine, routing and statistics against exact queueing results (queueing.md).
 *
 * Token semantics, chosen so the LLM metrics keep a meaning: the first token is streamed the instant service
 * starts (TTFT = waiting time in queue), the rest at the end of service (E2E = wait + service time). A request
 * cut during service is dropped with 1 token streamed; one cut while waiting is rejected.
 */
export class QueueStation implements Server {
  private readonly serving: (Request | null)[];
  private readonly completionEvent: number[];
  private readonly freeServers: number[] = [];
  private readonly serverOf = new Map<Request, number>();
  private readonly waiting = new FifoQueue<Request>();
  private readonly idle = new IdleNotifier();
  private readonly completionHandler: number;
  private readonly concurrency: number;
  private readonly maxWaiting: number;

  constructor(
    private readonly sim: Simulator,
    private readonly sink: RequestSink,
    private readonly config: QueueStationConfig,
    private readonly rng: Rng,
  ) {
    const { concurrency, maxWaiting } = config;
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new InputError({ expected: 'a whole number of servers, 1 or more', got: String(concurrency) }, 'server.concurrency');
    }
    if (maxWaiting !== undefined && !(Number.isInteger(maxWaiting) && maxWaiting >= 0)) {
      throw new InputError({ expected: 'a whole number of waiting requests, 0 or more', got: String(maxWaiting) }, 'server.maxWaiting');
    }
    this.concurrency = concurrency;
    this.maxWaiting = maxWaiting ?? Infinity;
    this.serving = new Array<Request | null>(concurrency).fill(null);
    this.completionEvent = new Array<number>(concurrency).fill(-1);
    // Highest index on top of the stack: an idle station hands out server 0 first.
    for (let s = concurrency - 1; s >= 0; s--) this.freeServers.push(s);
    this.completionHandler = sim.handler((server) => this.complete(server));
  }

  submit(req: Request): void {
    if (this.serverOf.has(req)) throw new InternalError(`request ${req.id} submitted twice to the same station`);
    if (this.freeServers.length > 0) {
      this.idle.markBusy();
      this.start(req, this.freeServers.pop()!);
    } else if (this.waiting.size >= this.maxWaiting) {
      this.sink.rejected(req, this.sim.now, 'queue-full');
    } else {
      this.idle.markBusy();
      this.waiting.pushBack(req);
    }
  }

  cancel(req: Request): void {
    const server = this.serverOf.get(req);
    if (server !== undefined) {
      this.sim.cancel(this.completionEvent[server]);
      this.vacate(server);
      this.startNext(server);
    } else if (!this.waiting.remove(req)) {
      return;
    }
    this.idle.check(this.outstanding());
  }

  abortAll(dropCause: DropCause, rejectCause: RejectCause): void {
    const now = this.sim.now;
    const cut: Request[] = [];
    for (let server = 0; server < this.concurrency; server++) {
      const req = this.serving[server];
      if (req === null) continue;
      this.sim.cancel(this.completionEvent[server]);
      this.vacate(server);
      this.freeServers.push(server);
      cut.push(req);
    }
    const queued: Request[] = [];
    this.waiting.drainInto(queued);
    for (const req of cut) this.sink.dropped(req, now, dropCause);
    for (const req of queued) this.sink.rejected(req, now, rejectCause);
    this.idle.check(this.outstanding());
  }

  outstanding(): number {
    return this.serverOf.size + this.waiting.size;
  }

  pace(): null {
    return null;
  }

  forEachRequest(visit: (req: Request) => void): void {
    for (const req of this.serving) if (req !== null) visit(req);
    this.waiting.find((req) => {
      visit(req);
      return false;
    });
  }

  waitingCount(): number {
    return this.waiting.size;
  }

  runningCount(): number {
    return this.serverOf.size;
  }

  kvUsage(): number {
    return 0;
  }

  hasRoom(): boolean {
    return this.freeServers.length > 0;
  }

  /** A station has no prefix cache. */
  hasPrefix(_group: number): boolean {
    return false;
  }

  onIdle(listener: () => void): void {
    this.idle.add(listener);
  }

  materialise(): void {
    // Every change happens at an event: nothing to bring up to date.
  }

  private start(req: Request, server: number): void {
    const now = this.sim.now;
    this.serving[server] = req;
    this.serverOf.set(req, server);
    this.completionEvent[server] = this.sim.at(now + this.config.serviceTime.sample(this.rng), this.completionHandler, server);
    req.firstTokenAt = now;
    req.tokensStreamed = Math.min(1, req.outputTokens);
    this.sink.firstToken(req, now);
  }

  private complete(server: number): void {
    const req = this.serving[server]!;
    const now = this.sim.now;
    this.vacate(server);
    req.finishedAt = now;
    req.tokensStreamed = req.outputTokens;
    // The next customer takes the server before the sink hears of the completion: a request the sink submits in
    // response must queue behind those already waiting.
    this.startNext(server);
    this.sink.completed(req, now);
    this.idle.check(this.outstanding());
  }

  private vacate(server: number): void {
    this.serverOf.delete(this.serving[server]!);
    this.serving[server] = null;
    this.completionEvent[server] = -1;
  }

  private startNext(server: number): void {
    const next = this.waiting.shift();
    if (next === undefined) this.freeServers.push(server);
    else this.start(next, server);
  }
}
