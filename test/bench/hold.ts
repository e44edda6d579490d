import { performance } from 'node:perf_hooks';
import { RandomStreams } from '../../sim/engine/random.js';
import { Simulator } from '../../sim/engine/simulator.js';

/** One hold-model measurement: the public engine next to the bare-loop ceiling, medians of `repeats`. */
export interface HoldFigures {
  pending: number;
  eventsPerSecond: number;
  ceilingEventsPerSecond: number;
  /** eventsPerSecond / ceilingEventsPerSecond. */
  ratio: number;
}

export interface HoldOptions {
  /** Events processed before the clock starts (JIT warm-up and a steady heap shape). */
  warmupEvents: number;
  /** Events timed per measurement. */
  measuredEvents: number;
  repeats: number;
}

/** Exp(1) increments, drawn once and shared by both loops so they see the same event times. */
const INCREMENT_BITS = 16;
const increments = (() => {
  const rng = new RandomStreams('bench').stream('hold');
  const table = new Float64Array(1 << INCREMENT_BITS);
  for (let i = 0; i < table.length; i++) table[i] = -Math.log(1 - rng.next());
  return table;
})();
const MASK = increments.length - 1;

/**
 * The classic hold model (Vaucher & Duval 1975): N pending events; each event pops and pushes one at now + Exp(1).
 * With N pending and mean increment 1, simulated time advances by 1/N per event, so running for a span of
 * H/N processes about H events; both loops stop at the same simulated time bound.
 */
export function measureHold(pending: number, options: HoldOptions): HoldFigures {
  const engine: number[] = [];
  const ceiling: number[] = [];
  for (let r = 0; r < options.repeats; r++) {
    engine.push(holdSimulator(pending, options));
    ceiling.push(holdBareHeap(pending, options));
  }
  const eventsPerSecond = median(engine);
  const ceilingEventsPerSecond = median(ceiling);
  return { pending, eventsPerSecond, ceilingEventsPerSecond, ratio: eventsPerSecond / ceilingEventsPerSecond };
}

/** Through the public API: one handler registered once; each event schedules its successor with `after`. */
function holdSimulator(pending: number, options: HoldOptions): number {
  const sim = new Simulator();
  let k = 0;
  const hold = sim.handler(() => {
    sim.after(increments[k++ & MASK], hold);
  });
  for (let i = 0; i < pending; i++) sim.at(increments[k++ & MASK], hold);
  sim.run(options.warmupEvents / pending);
  const before = sim.eventsProcessed;
  const start = performance.now();
  sim.run(sim.now + options.measuredEvents / pending);
  const seconds = (performance.now() - start) / 1000;
  return (sim.eventsProcessed - before) / seconds;
}

/**
 * The ceiling: the same (time, seq) binary heap written inline over typed arrays in one function (locals only:
 * no class, no closure, no handler call, no guards); pop the minimum, then push its successor.
 */
function holdBareHeap(pending: number, options: HoldOptions): number {
  const times = new Float64Array(pending + 1);
  const seqs = new Float64Array(pending + 1);
  const payload = new Int32Array(pending + 1);
  let size = 0;
  let nextSeq = 0;
  let k = 0;
  let now = 0;
  let processed = 0;
  let measuredFrom = 0;
  let start = 0;
  const warmupEnd = options.warmupEvents / pending;
  const end = warmupEnd + options.measuredEvents / pending;
  // Phase 0 fills the heap, phase 1 warms up to warmupEnd, phase 2 is timed up to end.
  for (let phase = 0; phase < 3; phase++) {
    if (phase === 2) {
      measuredFrom = processed;
      start = performance.now();
    }
    const until = phase === 1 ? warmupEnd : end;
    for (;;) {
      let time: number;
      let value: number;
      if (phase === 0) {
        if (size === pending) break;
        time = increments[k++ & MASK];
        value = 0;
      } else {
        if (size === 0 || times[0] > until) break;
        // Pop: take the root, sift the last element down from it.
        now = times[0];
        value = payload[0];
        const last = --size;
        const lastTime = times[last];
        const lastSeq = seqs[last];
        const lastValue = payload[last];
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
          if (lastTime < ct || (lastTime === ct && lastSeq < seqs[child])) break;
          times[i] = ct;
          seqs[i] = seqs[child];
          payload[i] = payload[child];
          i = child;
        }
        times[i] = lastTime;
        seqs[i] = lastSeq;
        payload[i] = lastValue;
        processed++;
        time = now + increments[k++ & MASK];
      }
      // Push: sift the new event up from the end.
      const seq = nextSeq++;
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const pt = times[parent];
        if (pt < time || (pt === time && seqs[parent] < seq)) break;
        times[i] = pt;
        seqs[i] = seqs[parent];
        payload[i] = payload[parent];
        i = parent;
      }
      times[i] = time;
      seqs[i] = seq;
      payload[i] = value;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return (processed - measuredFrom) / seconds;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
