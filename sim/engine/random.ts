import seedrandom from 'seedrandom';
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
      // alea: fast, passes BigCrush, and seeds well from short strings that differ only in their suffix.
      rng = { next: seedrandom.alea(`${this.seed}/${name}`) };
      this.streams.set(name, rng);
    }
    return rng;
  }
}
