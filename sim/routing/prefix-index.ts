import type { Request } from '../traffic/request.js';
import type { Endpoint } from './endpoint.js';

/** The approximate prefix index of the EPP's prefix-cache scorer (its `prefix-cache-scorer` parameters). */
export interface PrefixIndexOptions {
  /** Index entries (hash blocks) kept per pod, least recently used evicted first (lruCapacityPerServer). */
  capacityBlocks: number;
  /** Prompt tokens per hash block: the EPP hashes 64 characters per block, about 16 tokens at 4 characters each. */
  hashBlockTokens: number;
  /** Hash blocks of a prompt looked at, at most (maxPrefixBlocksToMatch). */
  maxPrefixBlocks: number;
}

/** One pod's part of the index. */
class PodEntries {
  /** Hash blocks added to this pod's LRU so far. */
  clock = 0;
  /** Per prefix group: the clock just after the group's blocks were last added. */
  readonly touched = new Map<number, number>();
  /** Scrape generation in which the pod was last among the endpoints. */
  seen = 0;
}

/**
 * What the gateway believes each pod's prefix cache holds. Like the EPP's prefix-cache scorer, it never asks
 * the pods: after each pick it records that the chosen pod now holds every hash block of the request's prompt,
 * and it matches a request's blocks against those records. A pod it has not routed to is unknown to it (a new
 * pod of a rollout wave starts with no entries, however warm its cache), and a pod it believes warm may have
 * evicted the prefix since.
 *
 * The per-pod LRU is kept per prefix group, not per block: a group's entries are the oldest when
 * `capacityBlocks` blocks have been added to the pod after the group was last touched. A request's prompt
 * beyond the shared prefix is unique, so its blocks are distinct entries; counting a re-touched prefix of
 * another group again slightly overstates how soon a group is evicted.
 */
export class PrefixIndex {
  private readonly pods = new Map<number, PodEntries>();
  private generation = 0;

  constructor(readonly options: PrefixIndexOptions) {}

  /** Hash blocks of the request's prompt the index looks at (the score's denominator). */
  promptBlocks(req: Request): number {
    return Math.min(Math.floor(req.promptTokens / this.options.hashBlockTokens), this.options.maxPrefixBlocks);
  }

  /** Blocks of the request's prompt the pod is believed to hold: its whole shared prefix, or nothing. */
  matchedBlocks(podId: number, req: Request): number {
    const group = req.prefixGroup;
    if (group < 0) return 0;
    const pod = this.pods.get(podId);
    if (pod === undefined) return 0;
    const touched = pod.touched.get(group);
    if (touched === undefined) return 0;
    if (pod.clock - touched >= this.options.capacityBlocks) {
      pod.touched.delete(group);
      return 0;
    }
    const { hashBlockTokens, maxPrefixBlocks } = this.options;
    return Math.min(Math.floor(Math.min(req.prefixTokens, req.promptTokens) / hashBlockTokens), maxPrefixBlocks);
  }

  /** The request was sent to the pod: every block of its prompt becomes that pod's most recent entries. */
  record(podId: number, req: Request): void {
    let pod = this.pods.get(podId);
    if (pod === undefined) {
      pod = new PodEntries();
      pod.seen = this.generation;
      this.pods.set(podId, pod);
    }
    pod.clock += this.promptBlocks(req);
    if (req.prefixGroup >= 0) pod.touched.set(req.prefixGroup, pod.clock);
  }

  /** Forgets the pods that left the pool (the EPP drops a deleted pod's entries): call with every current endpoint. */
  retainOnly(...endpointLists: readonly (readonly Endpoint[])[]): void {
    const generation = ++this.generation;
    for (const endpoints of endpointLists) {
      for (let i = 0; i < endpoints.length; i++) {
        const pod = this.pods.get(endpoints[i].podId);
        if (pod !== undefined) pod.seen = generation;
      }
    }
    for (const [podId, pod] of this.pods) if (pod.seen !== generation) this.pods.delete(podId);
  }

  /** Pods the index holds entries for. */
  get size(): number {
    return this.pods.size;
  }
}
