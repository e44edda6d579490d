import { describe, expect, it } from 'vitest';
import { InputError, InternalError } from '../../sim/errors.js';
import { KvCache } from '../../sim/serving/kv-cache.js';

/** Fills `blocks` of group's prefix as a request would: reference it, allocate privately, publish, leave. */
function cachePrefix(kv: KvCache, group: number, blocks: number): void {
  const entry = kv.prefix.acquire(group);
  kv.allocate(blocks);
  kv.publish(entry, blocks);
  kv.prefix.release(entry);
}

describe('KvCache', () => {
  it('counts blocks for tokens and full blocks of a prefix', () => {
    const kv = new KvCache(100, 16);
    expect([kv.blocksFor(0), kv.blocksFor(1), kv.blocksFor(16), kv.blocksFor(17)]).toEqual([0, 1, 1, 2]);
    expect([kv.fullBlocks(15), kv.fullBlocks(16), kv.fullBlocks(33)]).toEqual([0, 1, 2]);
  });

  it('allocates and releases private blocks; a failed allocation changes nothing', () => {
    const kv = new KvCache(10, 16);
    expect(kv.tryAllocate(7)).toBe(true);
    expect(kv.usage()).toBeCloseTo(0.7, 12);
    expect(kv.tryAllocate(4)).toBe(false);
    expect(kv.freeBlocks).toBe(3);
    expect(kv.tryAllocate(3)).toBe(true);
    expect(kv.availableBlocks).toBe(0);
    kv.release(10);
    expect(kv.usage()).toBe(0);
    expect(() => kv.allocate(11)).toThrow(InternalError);
  });

  it('keeps unreferenced prefix blocks cached but counts them as free for usage and allocation', () => {
    const kv = new KvCache(10, 16);
    cachePrefix(kv, 5, 4);
    expect(kv.prefix.residentBlocks(5)).toBe(4);
    expect(kv.usage()).toBe(0);
    expect(kv.freeBlocks).toBe(6);
    expect(kv.availableBlocks).toBe(10);
    expect(kv.prefix.unpinnedBlocks(5)).toBe(4);
    // Referenced again, the prefix is in use and cannot be evicted.
    const entry = kv.prefix.acquire(5);
    expect(kv.usage()).toBeCloseTo(0.4, 12);
    expect(kv.prefix.unpinnedBlocks(5)).toBe(0);
    expect(kv.tryAllocate(7)).toBe(false);
    expect(kv.tryAllocate(6)).toBe(true);
    expect(kv.prefix.residentBlocks(5)).toBe(4);
    kv.prefix.release(entry);
    expect(kv.prefix.evictableBlocks).toBe(4);
  });

  it('evicts the least recently released group first, from the tail of its chain', () => {
    const kv = new KvCache(20, 16);
    cachePrefix(kv, 1, 6);
    cachePrefix(kv, 2, 6);
    cachePrefix(kv, 3, 6);
    // Touch group 1: referenced and released again, it becomes the most recently used.
    kv.prefix.release(kv.prefix.acquire(1));
    expect(kv.tryAllocate(2 + 4)).toBe(true); // 2 free + 4 evicted from group 2
    expect([1, 2, 3].map((g) => kv.prefix.residentBlocks(g))).toEqual([6, 2, 6]);
    expect(kv.tryAllocate(5)).toBe(true); // group 2's last 2, then 3 of group 3
    expect([1, 2, 3].map((g) => kv.prefix.residentBlocks(g))).toEqual([6, 0, 3]);
    expect(kv.prefix.cachedBlocks).toBe(9);
    expect(kv.freeBlocks).toBe(0);
    // A group evicted to nothing is forgotten; it can be cached again from scratch.
    kv.release(11);
    cachePrefix(kv, 2, 1);
    expect(kv.prefix.residentBlocks(2)).toBe(1);
  });

  it('lets a referenced group grow and keeps a request-less, block-less group from lingering', () => {
    const kv = new KvCache(50, 16);
    const a = kv.prefix.acquire(9);
    const b = kv.prefix.acquire(9);
    expect(b).toBe(a);
    kv.allocate(3);
    kv.publish(a, 3);
    expect(kv.prefix.pinnedBlocks).toBe(3);
    kv.prefix.release(a);
    expect(kv.prefix.pinnedBlocks).toBe(3);
    kv.prefix.release(b);
    expect(kv.prefix.pinnedBlocks).toBe(0);
    expect(() => kv.prefix.release(b)).toThrow(InternalError);
    const empty = kv.prefix.acquire(10);
    kv.prefix.release(empty);
    expect(kv.prefix.residentBlocks(10)).toBe(0);
    expect(kv.prefix.unpinnedBlocks(10)).toBe(0);
  });

  it('handles many groups (entry tables grow and entries are recycled)', () => {
    const kv = new KvCache(1000, 16);
    for (let g = 0; g < 200; g++) cachePrefix(kv, g, 5);
    expect(kv.prefix.cachedBlocks).toBe(1000);
    expect(kv.tryAllocate(500)).toBe(true); // evicts groups 0..99, the oldest
    expect(kv.prefix.residentBlocks(99)).toBe(0);
    expect(kv.prefix.residentBlocks(100)).toBe(5);
    kv.release(500);
    for (let g = 200; g < 300; g++) cachePrefix(kv, g, 5);
    expect(kv.prefix.residentBlocks(299)).toBe(5);
    expect(kv.prefix.residentBlocks(150)).toBe(5);
    expect(() => kv.prefix.evict(kv.prefix.evictableBlocks + 1)).toThrow(InternalError);
  });

  it('rejects impossible capacities with the field named', () => {
    expect(() => new KvCache(0, 16)).toThrow(InputError);
    expect(() => new KvCache(2.5, 16)).toThrow(/server\.kvBlocks/);
    expect(() => new KvCache(10, 0)).toThrow(/server\.blockSize/);
  });
});
