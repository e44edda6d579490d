import type { Request } from '../traffic/request.js';
import type { Endpoint } from './endpoint.js';
import { leastOutstanding, type EndpointPicker } from './policies.js';

/**
 * LoRA affinity, as the Gateway API Inference Extension's endpoint picker does it (its lora-affinity filter and
 * scorer, pkg/epp/scheduling): a pod that has the request's adapter active or waiting is preferred, then a pod
 * with a free adapter slot (fewer adapters than max_loras among its active and waiting ones), and a pod with
 * neither is the last resort, since the request would wait there for a slot and then for a load.
 */

/** The EPP's grades: the adapter is there; it can be loaded without waiting for a slot; it cannot. */
export const LORA_AFFINITY_SCORE = { affine: 1, freeSlot: 0.8, none: 0 } as const;

/**
 * The LoRA-affinity score of a pod for a request, in [0, 1]: a pure function for any policy to weigh with its
 * other scorers. A request without an adapter (the base model) scores every pod 1: affinity does not apply.
 */
export function loraAffinityScore(adapter: number, hasAdapter: boolean, freeSlots: number): number {
  if (adapter < 0 || hasAdapter) return LORA_AFFINITY_SCORE.affine;
  return freeSlots > 0 ? LORA_AFFINITY_SCORE.freeSlot : LORA_AFFINITY_SCORE.none;
}

/** The score of one endpoint, read from what it exposes (an endpoint without LoRA never has the adapter). */
export function endpointLoraAffinity(endpoint: Endpoint, adapter: number): number {
  if (adapter < 0) return LORA_AFFINITY_SCORE.affine;
  return loraAffinityScore(adapter, endpoint.hasAdapter?.(adapter) ?? false, endpoint.freeAdapterSlots?.() ?? 0);
}

/**
 * Routing policy `lora-affinity`: the least loaded pod among those with the best LoRA-affinity score; but if it
 * has more than `maxImbalance` outstanding requests above the least loaded pod of all, load wins (as the
 * prefix-aware policy bounds its affinity). Requests without an adapter go to the least loaded pod.
 */
export class LoraAffinityPicker implements EndpointPicker {
  private turn = 0;
  constructor(private readonly maxImbalance: number) {}

  pick(candidates: readonly Endpoint[], req: Request): number {
    const start = this.turn++ % candidates.length;
    const least = leastOutstanding(candidates, start, false);
    const adapter = req.adapter;
    if (adapter < 0) return least;
    const n = candidates.length;
    let best = -1;
    let bestScore = -1;
    let bestLoad = Infinity;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      const endpoint = candidates[i];
      const score = endpointLoraAffinity(endpoint, adapter);
      const load = endpoint.outstanding();
      if (score > bestScore || (score === bestScore && load < bestLoad)) {
        best = i;
        bestScore = score;
        bestLoad = load;
      }
    }
    return bestLoad - candidates[least].outstanding() > this.maxImbalance ? least : best;
  }
}
