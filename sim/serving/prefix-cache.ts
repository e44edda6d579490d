import { InternalError } from '../errors.js';

const NONE = -1;

/**
 * The prefix cache of one replica, kept at the granularity of prefix groups: for each group, how many full
 * KV blocks of its shared prefix are resident (always a prefix of the group's block chain, as vLLM's hash chain
 * makes a hit contiguous from the first block), and how many running requests reference the group.
 *
 * A referenced group is pinned whole; an unreferenced one sits in an LRU list ordered by when its last
 * reference went away (vLLM appends freed blocks to the tail of its free queue and evicts from the head).
 * Eviction takes blocks from the tail of the chain of the least recently used group, as vLLM frees a request's
 * blocks tail first so a chain is evicted from its end. Pinning the whole group rather than the blocks each
 * request hit is a simplification: all requests of a group share one prefix length, so they reference the same
 * blocks except while the chain is still growing.
 *
 * Entries are interned into dense slots (typed arrays) and recycled once empty and unreferenced, so memory
 * stays bounded by the groups in use, not by the groups ever seen.
 */
export class PrefixCache {
  /** Resident blocks over all groups. */
  cachedBlocks = 0;
  /** Resident blocks of referenced groups (in use, not evictable). */
  pinnedBlocks = 0;

  private readonly entryOfGroup = new Map<number, number>();
  private groupOfEntry = new Float64Array(16);
  private blocks = new Int32Array(16);
  private refs = new Int32Array(16);
  private lruPrev = new Int32Array(16);
  private lruNext = new Int32Array(16);
  private lruHead = NONE;
  private lruTail = NONE;
  private readonly freeEntries: number[] = [];
  private entryCount = 0;

  get evictableBlocks(): number {
    return this.cachedBlocks - this.pinnedBlocks;
  }

  /** Resident blocks of the group's prefix (0 when unknown). */
  residentBlocks(group: number): number {
    const entry = this.entryOfGroup.get(group);
    return entry === undefined ? 0 : this.blocks[entry];
  }

  /** Blocks that pinning this group would withdraw from the evictable pool. */
  unpinnedBlocks(group: number): number {
    const entry = this.entryOfGroup.get(group);
    return entry === undefined || this.refs[entry] > 0 ? 0 : this.blocks[entry];
  }

  /** A running request starts referencing the group; returns the entry to pass to publish/release. */
  acquire(group: number): number {
    let entry = this.entryOfGroup.get(group);
    if (entry === undefined) entry = this.createEntry(group);
    if (this.refs[entry]++ === 0 && this.blocks[entry] > 0) {
      this.unlink(entry);
      this.pinnedBlocks += this.blocks[entry];
    }
    return entry;
  }

  /** A request referencing the entry left (finished, preempted, cancelled, aborted). */
  release(entry: number): void {
    if (this.refs[entry] <= 0) throw new InternalError(`prefix cache entry ${entry} released more often than acquired`);
    if (--this.refs[entry] > 0) return;
    if (this.blocks[entry] === 0) {
      this.recycle(entry);
      return;
    }
    this.pinnedBlocks -= this.blocks[entry];
    this.append(entry);
  }

  /** The referenced group's chain grows by `count` blocks a request just computed (they move to the cache). */
  publish(entry: number, count: number): void {
    if (this.refs[entry] <= 0) throw new InternalError(`prefix cache entry ${entry} published to without a reference`);
    this.blocks[entry] += count;
    this.cachedBlocks += count;
    this.pinnedBlocks += count;
  }

  blocksOf(entry: number): number {
    return this.blocks[entry];
  }

  /** Frees `count` unreferenced blocks, least recently used group first, tail of each chain first. */
  evict(count: number): void {
    if (count > this.evictableBlocks) {
      throw new InternalError(`cannot evict ${count} prefix blocks, only ${this.evictableBlocks} are evictable`);
    }
    let left = count;
    while (left > 0) {
      const entry = this.lruHead;
      const taken = Math.min(left, this.blocks[entry]);
      this.blocks[entry] -= taken;
      this.cachedBlocks -= taken;
      left -= taken;
      if (this.blocks[entry] === 0) {
        this.unlink(entry);
        this.recycle(entry);
      }
    }
  }

  private createEntry(group: number): number {
    const entry = this.freeEntries.length > 0 ? this.freeEntries.pop()! : this.entryCount++;
    if (entry >= this.blocks.length) this.grow();
    this.entryOfGroup.set(group, entry);
    this.groupOfEntry[entry] = group;
    this.blocks[entry] = 0;
    this.refs[entry] = 0;
    this.lruPrev[entry] = NONE;
    this.lruNext[entry] = NONE;
    return entry;
  }

  private recycle(entry: number): void {
    this.entryOfGroup.delete(this.groupOfEntry[entry]);
    this.freeEntries.push(entry);
  }

  private append(entry: number): void {
    this.lruPrev[entry] = this.lruTail;
    this.lruNext[entry] = NONE;
    if (this.lruTail === NONE) this.lruHead = entry;
    else this.lruNext[this.lruTail] = entry;
    this.lruTail = entry;
  }

  private unlink(entry: number): void {
    const prev = this.lruPrev[entry];
    const next = this.lruNext[entry];
    if (prev === NONE) this.lruHead = next;
    else this.lruNext[prev] = next;
    if (next === NONE) this.lruTail = prev;
    else this.lruPrev[next] = prev;
    this.lruPrev[entry] = NONE;
    this.lruNext[entry] = NONE;
  }

  private grow(): void {
    const size = this.blocks.length * 2;
    const grown = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.groupOfEntry = grown(this.groupOfEntry, (n) => new Float64Array(n));
    this.blocks = grown(this.blocks, (n) => new Int32Array(n));
    this.refs = grown(this.refs, (n) => new Int32Array(n));
    this.lruPrev = grown(this.lruPrev, (n) => new Int32Array(n));
    this.lruNext = grown(this.lruNext, (n) => new Int32Array(n));
  }
}
