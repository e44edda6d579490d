import type { Rng } from '../engine/random.js';
import { InputError, InternalError } from '../errors.js';
import type { TraceArrivals } from './trace.js';

/** One LoRA adapter clients ask for, and the share of requests that name it (traffic.adapters; no share with a trace column). */
export interface AdapterShare {
  readonly name: string;
  readonly share?: number;
}

/** Where each new request's adapter comes from: an id into the run's adapter names, -1 for the base model. */
export interface AdapterSource {
  next(): number;
  describe(): string;
}

/**
 * The run's adapter names, each once: the ids requests carry are indexes into it. The traffic's adapters come
 * first, in their order; `extra` adds names only a rollout uses (the version an adapter is rewritten to).
 */
export function adapterNames(shares: readonly AdapterShare[], extra: readonly string[]): string[] {
  const names = shares.map((a) => a.name);
  for (const name of extra) if (!names.includes(name)) names.push(name);
  return names;
}

/**
 * Draws the adapter of each new request from the shares (ids 0..n-1 in their order; -1, the base model, for the
 * share left over). One draw per request from its own stream, so adapters never shift another model's numbers.
 */
export class AdapterDraw implements AdapterSource {
  private readonly cumulative: Float64Array;

  constructor(
    shares: readonly AdapterShare[],
    private readonly rng: Rng,
    path: string,
  ) {
    this.cumulative = new Float64Array(shares.length);
    let sum = 0;
    shares.forEach((a, i) => {
      if (a.share === undefined) throw new InternalError(`adapter ${a.name} has no share (the schema requires one)`);
      sum += a.share;
      this.cumulative[i] = sum;
    });
    // A little slack for shares written as decimals (0.7 + 0.2 + 0.1 is 1.0000000000000002).
    if (sum > 1 + 1e-9) throw new InputError({ problem: `the adapters' shares add up to ${sum}`, expected: 'at most 1 (the rest goes to the base model)' }, path);
  }

  next(): number {
    const u = this.rng.next();
    const c = this.cumulative;
    for (let i = 0; i < c.length; i++) if (u < c[i]) return i;
    return -1;
  }

  describe(): string {
    return `${this.cumulative.length} LoRA adapter(s)`;
  }
}

/**
 * The adapter each replayed trace row names (traffic.adapterColumn): an empty cell is the base model; a name
 * traffic.adapters does not list is an error at its row.
 */
export class TraceAdapters implements AdapterSource {
  private readonly ids: ReadonlyMap<string, number>;

  constructor(
    private readonly trace: TraceArrivals,
    adapters: readonly AdapterShare[],
    private readonly column: string,
  ) {
    this.ids = new Map(adapters.map((a, i) => [a.name, i]));
  }

  next(): number {
    const name = this.trace.adapter;
    if (name === '') return -1;
    const id = this.ids.get(name);
    if (id === undefined) throw this.trace.rowError(this.column, `an adapter listed in traffic.adapters (${[...this.ids.keys()].join(', ')}) or an empty cell`, name);
    return id;
  }

  describe(): string {
    return `LoRA adapters from the trace column ${this.column}`;
  }
}
