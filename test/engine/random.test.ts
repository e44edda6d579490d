import { describe, expect, it } from 'vitest';
import { RandomStreams, type Rng } from '../../sim/engine/random.js';
import { InputError } from '../../sim/errors.js';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

describe('RandomStreams', () => {
  it('gives the same sequence for the same seed and name', () => {
    expect(draws(new RandomStreams(42).stream('traffic.arrivals'), 100)).toEqual(
      draws(new RandomStreams(42).stream('traffic.arrivals'), 100),
    );
    expect(draws(new RandomStreams('run-7').stream('x'), 10)).toEqual(draws(new RandomStreams('run-7').stream('x'), 10));
  });

  it('gives different sequences for different names and for different seeds', () => {
    const a = draws(new RandomStreams(42).stream('traffic.arrivals'), 20);
    const b = draws(new RandomStreams(42).stream('traffic.lengths'), 20);
    const c = draws(new RandomStreams(43).stream('traffic.arrivals'), 20);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
    // Not merely shifted copies of each other.
    expect(a.filter((x) => b.includes(x))).toEqual([]);
  });

  it('keeps a stream unaffected by draws on another', () => {
    const quiet = new RandomStreams(9);
    const expected = draws(quiet.stream('cluster.startup'), 50);

    const busy = new RandomStreams(9);
    const other = busy.stream('traffic.arrivals');
    const mine = busy.stream('cluster.startup');
    const got: number[] = [];
    for (let i = 0; i < 50; i++) {
      for (let j = 0; j < 37; j++) other.next();
      got.push(mine.next());
    }
    expect(got).toEqual(expected);
  });

  it('returns the same Rng for the same name, so its position carries over', () => {
    const streams = new RandomStreams(1);
    const first = streams.stream('a');
    expect(streams.stream('a')).toBe(first);
    const fresh = draws(new RandomStreams(1).stream('a'), 4);
    expect([first.next(), first.next(), streams.stream('a').next(), streams.stream('a').next()]).toEqual(fresh);
  });

  it('draws uniformly from [0, 1)', () => {
    const rng = new RandomStreams(5).stream('u');
    const n = 100_000;
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (u < 0 || u >= 1) outside++;
      else buckets[Math.floor(u * 10)]++;
    }
    expect(outside).toBe(0);
    // Each bucket expects 10,000 with sd ~95; 500 is more than 5 sd.
    for (const count of buckets) expect(Math.abs(count - n / 10)).toBeLessThan(500);
  });

  it('rejects a seed that is not a finite number or a string', () => {
    expect(() => new RandomStreams(Number.NaN)).toThrow(InputError);
    expect(() => new RandomStreams(Number.NaN)).toThrow(/seed/);
  });
});
