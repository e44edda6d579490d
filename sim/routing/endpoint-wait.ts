import type { Simulator } from '../engine/simulator.js';
import type { Request } from '../traffic/request.js';
import { CentralQueue } from './central-queue.js';

const NO_TIMER = -1;

/**
 * `routing.waitForEndpoint`: a request whose service has no routable endpoint is held up to `maxWait` seconds
 * for one to appear instead of being refused at once (vllm-project/router#141 asked for this as
 * `--engine-wait-timeout-secs`). Lanes are the router's services; waits expire in FIFO order, so one timer per
 * lane (for its head) is enough.
 */
export class EndpointWait {
  private readonly queue: CentralQueue;
  private readonly timers: number[];
  private readonly onExpiry: number;
  /** Requests ever held, and those refused when their wait ran out. */
  held = 0;
  expired = 0;

  constructor(
    private readonly sim: Simulator,
    laneCount: number,
    readonly maxWait: number,
    /** A request that waited out `maxWait`. */
    private readonly refuse: (req: Request) => void,
  ) {
    this.queue = new CentralQueue(laneCount);
    this.timers = new Array<number>(laneCount).fill(NO_TIMER);
    this.onExpiry = sim.handler((lane) => this.expire(lane));
  }

  get size(): number {
    return this.queue.size;
  }

  /** Holds a request that arrived now (its wait is measured from its arrival). */
  hold(lane: number, req: Request): void {
    this.queue.push(lane, req);
    this.held++;
    this.arm(lane);
  }

  /** Forgets a waiting request (the client gave up); false if it was not waiting. */
  remove(req: Request): boolean {
    return this.queue.remove(req);
  }

  /**
   * Hands the requests waiting in `lane` to `route`, oldest first, while `routable()` (endpoints appeared; a
   * request routed to a pod that refuses it may empty the choice again and be held anew).
   */
  release(lane: number, route: (req: Request) => void, routable: () => boolean): void {
    let head = this.queue.peek(lane);
    while (head !== null && routable()) {
      this.queue.shift(lane);
      route(head);
      head = this.queue.peek(lane);
    }
  }

  /** Whether `lane` holds a request. */
  waiting(lane: number): boolean {
    return this.queue.peek(lane) !== null;
  }

  private arm(lane: number): void {
    if (this.timers[lane] !== NO_TIMER) return;
    const head = this.queue.peek(lane);
    if (head !== null) this.timers[lane] = this.sim.at(head.arrival + this.maxWait, this.onExpiry, lane);
  }

  private expire(lane: number): void {
    this.timers[lane] = NO_TIMER;
    let head = this.queue.peek(lane);
    // The same sum as the timer's time, so the head that armed it always counts as expired.
    while (head !== null && head.arrival + this.maxWait <= this.sim.now) {
      this.queue.shift(lane);
      this.expired++;
      this.refuse(head);
      head = this.queue.peek(lane);
    }
    this.arm(lane);
  }
}
