import type { Distribution } from '../engine/distributions.js';
import type { Rng } from '../engine/random.js';
import { InputError } from '../errors.js';

/** Picks one of n ranks with P(k) ∝ 1/(k+1)^s (s = 0 is uniform), by binary search in the cumulative table. */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(n: number, s: number) {
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / Math.pow(k + 1, s);
      this.cumulative[k] = total;
    }
    for (let k = 0; k < n; k++) this.cumulative[k] /= total;
  }

  /** The rank for a uniform u in [0, 1). */
  rank(u: number): number {
    const c = this.cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < c[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

export interface PrefixGroupOptions {
  /** Fraction of requests that carry a shared system prompt. */
  share: number;
  groups: number;
  /** Length of each group's shared prompt, drawn once per group. */
  prefixTokens: Distribution;
  /** Zipf exponent of group popularity (group 0 the most popular); 0 = all groups equally likely. */
  zipf: number;
}

/**
 * Shared system prompts: a share of requests belong to one of N groups whose prompts start with the same prefix,
 * which a server's prefix cache (and a prefix-aware router) can exploit.
 */
export class PrefixGroups {
  private readonly lengths: Int32Array;
  private readonly popularity: ZipfSampler;

  constructor(
    private readonly options: PrefixGroupOptions,
    private readonly rng: Rng,
    path = 'prefix',
  ) {
    const { share, groups, zipf } = options;
    if (!(share >= 0 && share <= 1)) throw new InputError({ expected: 'a share between 0 and 1', got: String(share) }, `${path}.share`);
    if (!(Number.isInteger(groups) && groups >= 1)) {
      throw new InputError({ expected: 'a whole number of groups, 1 or more', got: String(groups) }, `${path}.groups`);
    }
    if (!(zipf >= 0) || !Number.isFinite(zipf)) {
      throw new InputError({ expected: 'a Zipf exponent of 0 or more', got: String(zipf) }, `${path}.popularity.zipf`);
    }
    // One length per group, fixed for the run: the same system prompt always has the same length.
    this.lengths = new Int32Array(groups);
    for (let g = 0; g < groups; g++) this.lengths[g] = Math.max(1, Math.round(options.prefixTokens.sample(rng)));
    this.popularity = new ZipfSampler(groups, zipf);
  }

  /** The group of the next request, or -1 when it has no shared prefix. */
  drawGroup(): number {
    if (!(this.rng.next() < this.options.share)) return -1;
    return this.popularity.rank(this.rng.next());
  }

  /** Shared tokens of a request in `group`: never more than its prompt. */
  prefixTokens(group: number, promptTokens: number): number {
    return group < 0 ? 0 : Math.min(this.lengths[group], promptTokens);
  }

  /** The `count` most popular groups (at most every group), most popular first, with their prefix lengths. */
  mostPopular(count: number): { group: number; tokens: number }[] {
    const n = Math.min(count, this.lengths.length);
    return Array.from({ length: n }, (_, group) => ({ group, tokens: this.lengths[group] }));
  }

  describe(): string {
    const { share, groups, zipf, prefixTokens } = this.options;
    return `${share * 100}% of requests in ${groups} prefix groups (zipf s=${zipf}), prefixes ${prefixTokens.describe()}`;
  }
}
