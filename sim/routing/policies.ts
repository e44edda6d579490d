import type { Rng } from '../engine/random.js';
import type { Request } from '../traffic/request.js';
import type { Endpoint } from './endpoint.js';

/** A load-balancing policy: which of the (non-empty) candidates gets `req`, as an index. */
export interface EndpointPicker {
  pick(candidates: readonly Endpoint[], req: Request): number;
}

/** A picker that can hold a request at the gateway instead (flow control: the router's central queue). */
export interface HoldingPicker extends EndpointPicker {
  /** The candidate to send `req` to now, or -1 to hold it until the gateway may dispatch again. */
  pickOrHold(candidates: readonly Endpoint[], req: Request): number;
}

/**
 * The candidate with the fewest outstanding requests (only among those with room, if asked; -1 if none).
 * The scan starts at `start` (in [0, candidates.length)) and keeps the first minimum, so rotating `start` spreads
 * ties instead of always loading the first pod of an idle fleet.
 */
export function leastOutstanding(candidates: readonly Endpoint[], start: number, requireRoom: boolean): number {
  const n = candidates.length;
  let best = -1;
  let bestLoad = Infinity;
  // start..n-1, then 0..start-1: the order of (start + k) % n without a division per candidate.
  let i = start;
  let end = n;
  for (;;) {
    for (; i < end; i++) {
      const endpoint = candidates[i];
      if (requireRoom && !endpoint.hasRoom()) continue;
      const load = endpoint.outstanding();
      if (load < bestLoad) {
        best = i;
        bestLoad = load;
      }
    }
    if (end === start) return best;
    i = 0;
    end = start;
  }
}

export class RoundRobinPicker implements EndpointPicker {
  private turn = 0;
  pick(candidates: readonly Endpoint[]): number {
    return this.turn++ % candidates.length;
  }
}

export class RandomPicker implements EndpointPicker {
  constructor(private readonly rng: Rng) {}
  pick(candidates: readonly Endpoint[]): number {
    return Math.floor(this.rng.next() * candidates.length);
  }
}

export class LeastOutstandingPicker implements EndpointPicker {
  private turn = 0;
  pick(candidates: readonly Endpoint[]): number {
    return leastOutstanding(candidates, this.turn++ % candidates.length, false);
  }
}

/** Policy central-queue: the least loaded endpoint with room, else hold (pick: the least loaded, room or not). */
export class RoomAwarePicker implements HoldingPicker {
  private turn = 0;
  private pickTurn = 0;
  pick(candidates: readonly Endpoint[]): number {
    return leastOutstanding(candidates, this.pickTurn++ % candidates.length, false);
  }
  pickOrHold(candidates: readonly Endpoint[]): number {
    return leastOutstanding(candidates, this.turn++ % candidates.length, true);
  }
}

/** Power of two choices: two distinct random candidates, the less loaded wins (Mitzenmacher). */
export class PowerOfTwoPicker implements EndpointPicker {
  constructor(private readonly rng: Rng) {}
  pick(candidates: readonly Endpoint[]): number {
    const n = candidates.length;
    if (n === 1) return 0;
    const a = Math.floor(this.rng.next() * n);
    let b = Math.floor(this.rng.next() * (n - 1));
    if (b >= a) b++;
    return candidates[b].outstanding() < candidates[a].outstanding() ? b : a;
  }
}

/**
 * Prefix affinity, as KV-aware gateways do it: a request of a prefix group goes to the least loaded endpoint that
 * has the group's prefix cached, else to the endpoint the group hashes to; but if that endpoint has more than
 * `maxImbalance` requests above the least loaded one, load wins (AIBrix's prefix-cache router falls back to
 * least-request past an absolute imbalance, 8 by default). Requests without a group go to the least loaded.
 */
export class PrefixAwarePicker implements EndpointPicker {
  private turn = 0;
  constructor(private readonly maxImbalance: number) {}

  pick(candidates: readonly Endpoint[], req: Request): number {
    const least = leastOutstanding(candidates, this.turn++ % candidates.length, false);
    const group = req.prefixGroup;
    if (group < 0) return least;
    let affinity = cachedLeastLoaded(candidates, group);
    if (affinity < 0) affinity = rendezvous(candidates, group);
    const excess = candidates[affinity].outstanding() - candidates[least].outstanding();
    return excess > this.maxImbalance ? least : affinity;
  }
}

function cachedLeastLoaded(candidates: readonly Endpoint[], group: number): number {
  let best = -1;
  let bestLoad = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const endpoint = candidates[i];
    if (endpoint.hasPrefix === undefined || !endpoint.hasPrefix(group)) continue;
    const load = endpoint.outstanding();
    if (load < bestLoad) {
      best = i;
      bestLoad = load;
    }
  }
  return best;
}

/**
 * Rendezvous (highest random weight) hashing of a group onto pod ids: when pods come and go during a rollout,
 * only the groups of the pods that changed move.
 */
export function rendezvous(candidates: readonly Endpoint[], group: number): number {
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < candidates.length; i++) {
    const score = mix32(group, candidates[i].podId);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/** A 32-bit hash of two integers (murmur3's finaliser over a combined key). */
function mix32(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
