import type { Request } from '../traffic/request.js';

/**
 * FIFO lanes of requests held at the gateway. A cancelled request is only forgotten (lazy removal: O(1)) and
 * skipped when it reaches the head of its lane.
 */
export class CentralQueue {
  /** A taken request's slot is cleared so it can be collected before its lane is compacted. */
  private readonly lanes: (Request | null)[][];
  private readonly heads: number[];
  private readonly waiting = new Set<number>();

  constructor(laneCount: number) {
    this.lanes = Array.from({ length: laneCount }, () => []);
    this.heads = new Array<number>(laneCount).fill(0);
  }

  /** Requests waiting, over all lanes. */
  get size(): number {
    return this.waiting.size;
  }

  push(lane: number, req: Request): void {
    this.lanes[lane].push(req);
    this.waiting.add(req.id);
  }

  /** The oldest waiting request of the lane, or null. */
  peek(lane: number): Request | null {
    const queue = this.lanes[lane];
    let head = this.heads[lane];
    while (head < queue.length && !this.waiting.has((queue[head] as Request).id)) head++;
    this.heads[lane] = head;
    if (head >= queue.length) {
      queue.length = 0;
      this.heads[lane] = 0;
      return null;
    }
    return queue[head] as Request;
  }

  /** Takes the request `peek` returned. */
  shift(lane: number): void {
    const queue = this.lanes[lane];
    const head = this.heads[lane];
    this.waiting.delete((queue[head] as Request).id);
    queue[head] = null;
    this.heads[lane] = head + 1;
    if (head + 1 > 1024 && head + 1 > queue.length / 2) {
      queue.splice(0, head + 1);
      this.heads[lane] = 0;
    }
  }

  /** Forgets a waiting request; false if it was not waiting. */
  remove(req: Request): boolean {
    return this.waiting.delete(req.id);
  }
}
