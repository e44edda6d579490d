import { InputError } from '../errors.js';

/** A source of uniform numbers in [0, 1). */
export interface Rng {
  next(): number;
}

/**
 * Independent named random streams derived from one seed. Each model draws from its own stream, so adding or
 * removing a draw in one model never shifts the numbers another model sees.
 */
export class RandomStreams {
  private readonly seed: string;
  private readonly streams = new Map<string, Rng>();

  constructor(seed: number | string) {
    if (typeof seed === 'number' ? !Number.isFinite(seed) : typeof seed !== 'string') {
      throw new InputError(`seed must be a finite number or a string, got ${String(seed)}`, 'seed');
    }
    this.seed = String(seed);
  }

  /** The stream for `name`; the same object on every call, so its position carries over between callers. */
  stream(name: string): Rng {
    let rng = this.streams.get(name);
    if (rng === undefined) {
      // Alea: fast, passes BigCrush, and seeds well from short strings that differ only in their suffix.
      rng = new Alea(`${this.seed}/${name}`);
      this.streams.set(name, rng);
    }
    return rng;
  }
}

/** 2^-32. */
const INV_2_32 = 2.3283064365386963e-10;

/**
 * Johannes Baagøe's Alea generator (2010, MIT), seeded with his Mash hash: the algorithm the `seedrandom` package
 * exports as `alea`, producing the same numbers for the same seed (test/engine/random.test.ts checks it), so
 * results recorded before this class existed still reproduce. A class with its state in fields rather than a
 * closure: `next()` is then one monomorphic method V8 inlines at every draw site, where a call through a
 * per-stream closure could not be inlined and returned each draw as a freshly allocated number.
 */
class Alea implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private c = 1;

  constructor(seed: string) {
    const mash = new Mash();
    this.s0 = mash.hash(' ');
    this.s1 = mash.hash(' ');
    this.s2 = mash.hash(' ');
    this.s0 -= mash.hash(seed);
    if (this.s0 < 0) this.s0 += 1;
    this.s1 -= mash.hash(seed);
    if (this.s1 < 0) this.s1 += 1;
    this.s2 -= mash.hash(seed);
    if (this.s2 < 0) this.s2 += 1;
  }

  next(): number {
    const t = 2091639 * this.s0 + this.c * INV_2_32;
    this.s0 = this.s1;
    this.s1 = this.s2;
    this.c = t | 0;
    this.s2 = t - this.c;
    return this.s2;
  }
}

/** Baagøe's Mash: a string hash into [0, 1) whose state carries over between calls (Alea's seeding uses that). */
class Mash {
  private n = 0xefc8249d;

  hash(data: string): number {
    let n = this.n;
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    this.n = n;
    return (n >>> 0) * INV_2_32;
  }
}
