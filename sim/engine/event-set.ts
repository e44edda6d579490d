/**
 * Pending-event set: an implicit binary heap in structure-of-arrays form (typed arrays for keys and payload),
 * ordered by (time, seq). `seq` is a strictly increasing insertion counter, so events at equal times pop in
 * FIFO order. Nothing is allocated per event (des-engine.md §7: one object or closure per event costs 3-4× at
 * 100k pending events); the arrays double when full.
 *
 * `pop()` leaves the popped event in the `top*` fields instead of returning an object.
 */
export class EventSet {
  private times: Float64Array;
  private seqs: Float64Array;
  private handlers: Int32Array;
  private args: Float64Array;
  private count = 0;

  topTime = 0;
  topSeq = 0;
  topHandler = 0;
  topArg = 0;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(16, initialCapacity);
    this.times = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.handlers = new Int32Array(capacity);
    this.args = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  peekTime(): number {
    return this.count > 0 ? this.times[0] : Infinity;
  }

  push(time: number, seq: number, handler: number, arg: number): void {
    if (this.count === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const handlers = this.handlers;
    const args = this.args;
    let i = this.count++;
    // Sift up: move parents down until the new key's place is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      handlers[i] = handlers[parent];
      args[i] = args[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    handlers[i] = handler;
    args[i] = arg;
  }

  /** Removes the earliest event into the top* fields. Returns false when empty. */
  pop(): boolean {
    return this.popUntil(Infinity);
  }

  /**
   * Removes the earliest event into the top* fields if it is due at or before `until`; false (and no change)
   * otherwise or when empty. One call per event for the simulator's loop instead of size, peekTime and pop.
   */
  popUntil(until: number): boolean {
    const n = this.count;
    if (n === 0) return false;
    if (this.times[0] > until) return false;
    const times = this.times;
    const seqs = this.seqs;
    const handlers = this.handlers;
    const args = this.args;
    this.topTime = times[0];
    this.topSeq = seqs[0];
    this.topHandler = handlers[0];
    this.topArg = args[0];
    const last = n - 1;
    this.count = last;
    if (last === 0) return true;
    const time = times[last];
    const seq = seqs[last];
    const handler = handlers[last];
    const arg = args[last];
    // Sift down the former last element from the root.
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      const right = child + 1;
      if (right < last) {
        const ct = times[child];
        const rt = times[right];
        if (rt < ct || (rt === ct && seqs[right] < seqs[child])) child = right;
      }
      const ct = times[child];
      if (time < ct || (time === ct && seq < seqs[child])) break;
      times[i] = ct;
      seqs[i] = seqs[child];
      handlers[i] = handlers[child];
      args[i] = args[child];
      i = child;
    }
    times[i] = time;
    seqs[i] = seq;
    handlers[i] = handler;
    args[i] = arg;
    return true;
  }

  /** Calls fn with the seq of every pending event (used only to compact the cancellation set). */
  forEachSeq(fn: (seq: number) => void): void {
    for (let i = 0; i < this.count; i++) fn(this.seqs[i]);
  }

  /** Bytes held by the arrays, for the memory guard. */
  bytes(): number {
    return this.times.length * (8 + 8 + 4 + 8);
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    times.set(this.times);
    const seqs = new Float64Array(capacity);
    seqs.set(this.seqs);
    const handlers = new Int32Array(capacity);
    handlers.set(this.handlers);
    const args = new Float64Array(capacity);
    args.set(this.args);
    this.times = times;
    this.seqs = seqs;
    this.handlers = handlers;
    this.args = args;
  }
}
