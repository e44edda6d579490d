import { InputError, InternalError } from '../errors.js';
import { PrefixCache } from './prefix-cache.js';

/**
 * The paged KV cache of one replica (serving-model.md §2.3), as block counts: blocks owned by one request
 * ("private"), blocks of cached shared prefixes (owned by the prefix cache, pinned while referenced), and free
 * blocks. Allocation takes free blocks first and evicts unreferenced prefix blocks (LRU) only when it needs room.
 */
export class KvCache {
  readonly prefix = new PrefixCache();
  private privateBlocks = 0;

  constructor(
    readonly totalBlocks: number,
    readonly blockSize: number,
  ) {
    if (!(Number.isInteger(totalBlocks) && totalBlocks >= 1)) {
      throw new InputError({ expected: 'a whole number of KV blocks, 1 or more', got: String(totalBlocks) }, 'server.kvBlocks');
    }
    if (!(Number.isInteger(blockSize) && blockSize >= 1)) {
      throw new InputError({ expected: 'a whole block size in tokens, 1 or more', got: String(blockSize) }, 'server.blockSize');
    }
  }

  /** Blocks needed to hold `tokens` tokens of KV. */
  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  /**
   * Blocks beyond `held` needed to hold `tokens` tokens; 0 when they fit. Asked for every running request at
   * every step, and most of the time they fit: a multiplication tells, without the division of blocksFor.
   */
  blocksBeyond(tokens: number, held: number): number {
    return tokens <= held * this.blockSize ? 0 : this.blocksFor(tokens) - held;
  }

  /** Full blocks in `tokens` tokens (what a prefix cache can hold of them). */
  fullBlocks(tokens: number): number {
    return Math.floor(tokens / this.blockSize);
  }

  /** Blocks holding nothing at all. */
  get freeBlocks(): number {
    return this.totalBlocks - this.privateBlocks - this.prefix.cachedBlocks;
  }

  /** Blocks an allocation can get: free ones plus unreferenced cached prefix blocks. */
  get availableBlocks(): number {
    return this.totalBlocks - this.privateBlocks - this.prefix.pinnedBlocks;
  }

  /** Share of blocks in use by running requests (vLLM's kv_cache_usage: cached-but-free blocks count as free). */
  usage(): number {
    return (this.privateBlocks + this.prefix.pinnedBlocks) / this.totalBlocks;
  }

  /** Allocates `count` private blocks, evicting cached prefixes if needed; false (and no change) if they do not fit. */
  tryAllocate(count: number): boolean {
    if (count > this.availableBlocks) return false;
    const shortfall = count - this.freeBlocks;
    if (shortfall > 0) this.prefix.evict(shortfall);
    this.privateBlocks += count;
    return true;
  }

  /** Allocation the caller has already proved to fit. */
  allocate(count: number): void {
    if (!this.tryAllocate(count)) {
      throw new InternalError(`KV allocation of ${count} blocks failed with ${this.availableBlocks} available`);
    }
  }

  release(count: number): void {
    this.privateBlocks -= count;
  }

  /** `count` private blocks just filled with a shared prefix become the prefix cache's (the entry is referenced). */
  publish(entry: number, count: number): void {
    this.privateBlocks -= count;
    this.prefix.publish(entry, count);
  }
}
