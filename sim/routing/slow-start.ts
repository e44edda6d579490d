import type { Rng } from '../engine/random.js';
import type { Request } from '../traffic/request.js';
import type { Endpoint, EndpointJoins } from './endpoint.js';
import type { EndpointPicker } from './policies.js';

/**
 * Envoy's `slow_start_config` (Istio: `warmupDurationSecs`, or `warmup: { duration, minimumPercent, aggression }`):
 * an endpoint that joined less than `window` seconds ago gets a reduced load-balancing weight.
 */
export interface SlowStartSpec {
  /** Seconds after joining during which the weight is reduced. */
  readonly window: number;
  /** Shape of the ramp: 1 linear, above 1 faster early on, below 1 slower early on (Envoy's default 1). */
  readonly aggression: number;
  /** Floor of the weight, percent of the full weight (Envoy's default 10). */
  readonly minWeightPercent: number;
}

/**
 * The weight factor, in (0, 1], of an endpoint `sinceJoin` seconds after it joined (Envoy's load_balancing
 * slow_start docs): max(minWeightPercent/100, timeFactor^(1/aggression)) with
 * timeFactor = max(sinceJoin, 1) / window; 1 once the window is over.
 */
export function slowStartFactor(spec: SlowStartSpec, sinceJoin: number): number {
  if (!(sinceJoin < spec.window)) return 1;
  const timeFactor = Math.max(sinceJoin, 1) / spec.window;
  const ramp = spec.aggression === 1 ? timeFactor : Math.pow(timeFactor, 1 / spec.aggression);
  return Math.min(1, Math.max(spec.minWeightPercent / 100, ramp));
}

/** How a policy uses weights while some endpoint is in slow start. */
export type WeightedPolicy = 'round-robin' | 'random' | 'least-outstanding' | 'power-of-two';

/**
 * Wraps a policy's picker with slow-start weights. While no candidate is in its window it defers to the plain
 * picker (so results match a run without slow start); otherwise it picks by weight, as Envoy does:
 * - round-robin: weighted round-robin (smooth WRR; Envoy uses an EDF schedule of the same proportions);
 * - random: a draw proportional to weight;
 * - least-outstanding: the fewest (outstanding + 1) / weight (Envoy's least-request with unequal weights scores
 *   hosts by weight / (active + 1)^bias, bias 1 by default; here the whole list is scanned, not sampled);
 * - power-of-two: two random candidates compared by (outstanding + 1) / weight.
 */
export class SlowStartPicker implements EndpointPicker {
  private weights = new Float64Array(16);
  /** Smooth weighted round-robin credit per pod id. */
  private readonly credit = new Map<number, number>();
  private turn = 0;

  constructor(
    private readonly inner: EndpointPicker,
    private readonly policy: WeightedPolicy,
    private readonly spec: SlowStartSpec,
    private readonly joins: EndpointJoins,
    private readonly now: () => number,
    private readonly rng: Rng,
  ) {}

  pick(candidates: readonly Endpoint[], req: Request): number {
    const now = this.now();
    if (!(now - this.joins.lastJoinAt < this.spec.window) || !this.fillWeights(candidates, now)) {
      if (this.credit.size > 0) this.credit.clear();
      return this.inner.pick(candidates, req);
    }
    const w = this.weights;
    switch (this.policy) {
      case 'round-robin':
        return this.weightedRoundRobin(candidates);
      case 'random':
        return weightedDraw(w, candidates.length, this.rng.next());
      case 'least-outstanding':
        return leastOutstandingWeighted(candidates, w, this.turn++ % candidates.length);
      case 'power-of-two': {
        const n = candidates.length;
        if (n === 1) return 0;
        const a = Math.floor(this.rng.next() * n);
        let b = Math.floor(this.rng.next() * (n - 1));
        if (b >= a) b++;
        return (candidates[b].outstanding() + 1) / w[b] < (candidates[a].outstanding() + 1) / w[a] ? b : a;
      }
    }
  }

  /** Fills the weights of the candidates; false when every weight is 1 (no candidate in its window). */
  private fillWeights(candidates: readonly Endpoint[], now: number): boolean {
    const n = candidates.length;
    if (this.weights.length < n) this.weights = new Float64Array(Math.max(n, this.weights.length * 2));
    let reduced = false;
    for (let i = 0; i < n; i++) {
      const factor = slowStartFactor(this.spec, now - this.joins.joinedAt(candidates[i].podId));
      this.weights[i] = factor;
      if (factor < 1) reduced = true;
    }
    return reduced;
  }

  private weightedRoundRobin(candidates: readonly Endpoint[]): number {
    const w = this.weights;
    let total = 0;
    let best = 0;
    let bestCredit = -Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const id = candidates[i].podId;
      const credit = (this.credit.get(id) ?? 0) + w[i];
      this.credit.set(id, credit);
      total += w[i];
      if (credit > bestCredit) {
        best = i;
        bestCredit = credit;
      }
    }
    this.credit.set(candidates[best].podId, bestCredit - total);
    return best;
  }
}

/** The index a uniform draw `u` in [0, 1) falls on when [0, 1) is cut in proportion to the weights. */
export function weightedDraw(weights: ArrayLike<number>, n: number, u: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i];
  let target = u * total;
  for (let i = 0; i < n - 1; i++) {
    target -= weights[i];
    if (target < 0) return i;
  }
  return n - 1;
}

/**
 * The candidate with the fewest (outstanding + 1) / weight, weights in (0, 1]: least-outstanding when some
 * endpoints count for less. Scans from `start` like `leastOutstanding`, keeping the first minimum.
 */
export function leastOutstandingWeighted(candidates: readonly Endpoint[], weights: ArrayLike<number>, start: number): number {
  const n = candidates.length;
  let best = start;
  let bestScore = Infinity;
  for (let k = 0, i = start; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
    const score = (candidates[i].outstanding() + 1) / weights[i];
    if (score < bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}
