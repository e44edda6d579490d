import { BudgetExceededError, InternalError } from '../errors.js';
import { EventSet } from './event-set.js';

export type Handler = (arg: number) => void;

export interface SimulatorLimits {
  /** Stop with an error after this many processed events. */
  maxEvents: number;
  /** Stop with an error when the JS heap exceeds this many bytes (checked every 65,536 events). */
  maxHeapBytes: number;
  /** Stop with an error when this many events are pending at once. */
  maxPendingEvents: number;
}

export const DEFAULT_LIMITS: SimulatorLimits = {
  maxEvents: 2_000_000_000,
  maxHeapBytes: 3 * 1024 ** 3,
  maxPendingEvents: 20_000_000,
};

/**
 * "Late" events run after every normal event of the same instant: their seq is offset by 2^52, which keeps
 * (time, seq) a single ordering and costs nothing per comparison. Controllers use it to see all of an
 * instant's changes before they act (Kubernetes' level-triggered sync, rollout-semantics.md §0.3).
 */
const LATE_LANE = 2 ** 52;
const MEMORY_CHECK_MASK = 0xffff;
/** Cancelled ids are counted per slot of their low bits (the late lane's offset is a multiple of 2^32). */
const CANCEL_SLOT_MASK = 0xfff;

/**
 * The discrete-event loop. Models register handlers once (`handler(fn)` → id) and schedule integer-tagged
 * events against them, so scheduling allocates nothing. Cancellation is lazy: a cancelled id is skipped when it
 * reaches the top of the heap.
 */
export class Simulator {
  now = 0;
  private processed = 0;
  private nextSeq = 0;
  private readonly events = new EventSet();
  private readonly handlers: Handler[] = [];
  private readonly cancelled = new Set<number>();
  /**
   * How many ids in `cancelled` fall in each slot: a popped event is looked up in the set only when its slot
   * counts one, so the common pop (nothing cancelled near its id) costs an array read instead of a hash lookup.
   */
  private readonly cancelledPerSlot = new Int32Array(CANCEL_SLOT_MASK + 1);
  private stopped = false;
  private readonly limits: SimulatorLimits;
  /** limits.maxPendingEvents, read on every schedule. */
  private readonly maxPending: number;

  constructor(limits: Partial<SimulatorLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.maxPending = this.limits.maxPendingEvents;
  }

  get eventsProcessed(): number {
    return this.processed;
  }

  /** Events still pending (cancelled ones not yet skipped included). */
  get pending(): number {
    return this.events.size;
  }

  handler(fn: Handler): number {
    this.handlers.push(fn);
    return this.handlers.length - 1;
  }

  at(time: number, handler: number, arg = 0): number {
    return this.schedule(time, this.nextSeq++, handler, arg);
  }

  after(delay: number, handler: number, arg = 0): number {
    return this.schedule(this.now + delay, this.nextSeq++, handler, arg);
  }

  atLate(time: number, handler: number, arg = 0): number {
    return this.schedule(time, LATE_LANE + this.nextSeq++, handler, arg);
  }

  cancel(eventId: number): void {
    if (eventId < 0 || this.cancelled.has(eventId)) return;
    this.cancelled.add(eventId);
    this.cancelledPerSlot[eventId & CANCEL_SLOT_MASK]++;
    // Ids of events that already fired never reach the heap top again; drop them now and then.
    if (this.cancelled.size > 2 * this.events.size + 1024) this.compactCancelled();
  }

  stop(): void {
    this.stopped = true;
  }

  /** Runs events in order until `until` (inclusive), no events remain, or stop(). The clock ends at `until`. */
  run(until = Infinity): void {
    this.stopped = false;
    const events = this.events;
    const handlers = this.handlers;
    const cancelled = this.cancelled;
    const cancelledPerSlot = this.cancelledPerSlot;
    const maxEvents = this.limits.maxEvents;
    while (events.popUntil(until)) {
      const slot = events.topSeq & CANCEL_SLOT_MASK;
      if (cancelledPerSlot[slot] !== 0 && cancelled.delete(events.topSeq)) {
        cancelledPerSlot[slot]--;
        continue;
      }
      this.now = events.topTime;
      handlers[events.topHandler](events.topArg);
      const processed = ++this.processed;
      if ((processed & MEMORY_CHECK_MASK) === 0) this.checkMemory();
      if (processed >= maxEvents) {
        throw new BudgetExceededError(
          `simulation stopped after ${processed} events at t=${this.now.toFixed(1)}s (event budget ${maxEvents}); ` +
            'shorten spec.duration, lower the traffic rate, or raise the budget with --max-events',
        );
      }
      if (this.stopped) break;
    }
    if (!this.stopped && until !== Infinity && this.now < until) this.now = until;
  }

  private schedule(time: number, seq: number, handler: number, arg: number): number {
    if (!(time >= this.now)) {
      throw new InternalError(`event scheduled at t=${time}, before the current time ${this.now}`);
    }
    if (handler < 0 || handler >= this.handlers.length) {
      throw new InternalError(`unknown event handler ${handler}`);
    }
    if (this.events.size >= this.maxPending) {
      throw new BudgetExceededError(
        `simulation stopped with ${this.events.size} pending events at t=${this.now.toFixed(1)}s ` +
          `(budget ${this.maxPending}); the scenario is too large for one run`,
      );
    }
    this.events.push(time, seq, handler, arg);
    return seq;
  }

  private checkMemory(): void {
    const used = process.memoryUsage().heapUsed;
    if (used > this.limits.maxHeapBytes) {
      throw new BudgetExceededError(
        `simulation stopped at t=${this.now.toFixed(1)}s: heap ${(used / 1024 ** 2).toFixed(0)} MiB exceeds the ` +
          `memory budget of ${(this.limits.maxHeapBytes / 1024 ** 2).toFixed(0)} MiB; shorten spec.duration or ` +
          'lower the traffic rate, or raise the budget with --max-memory',
      );
    }
  }

  private compactCancelled(): void {
    const live = new Set<number>();
    const cancelled = this.cancelled;
    this.events.forEachSeq((seq) => {
      if (cancelled.has(seq)) live.add(seq);
    });
    cancelled.clear();
    this.cancelledPerSlot.fill(0);
    for (const seq of live) {
      cancelled.add(seq);
      this.cancelledPerSlot[seq & CANCEL_SLOT_MASK]++;
    }
  }
}
