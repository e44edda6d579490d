import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShard, shardOf } from '../../sim/batch/shard.js';
import { InputError } from '../../sim/errors.js';

describe('parseShard', () => {
  it('reads i/N, takes i from JOB_COMPLETION_INDEX with /N, and is the whole sweep without a flag', () => {
    expect(parseShard('2/4', {})).toEqual({ index: 2, count: 4 });
    expect(parseShard('/4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(parseShard(undefined, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 0, count: 1 });
  });

  it('rejects malformed shards, an index not below the count, and /N without a usable index, naming --shard', () => {
    for (const [text, env, message] of [
      ['2', {}, /not a shard; write i\/N/],
      ['a/4', {}, /not a shard/],
      ['4/4', {}, /shard index 4 is not below the shard count 4/],
      ['0/0', {}, /count must be at least 1/],
      ['/4', {}, /JOB_COMPLETION_INDEX, which is not set/],
      ['/4', { JOB_COMPLETION_INDEX: 'x' }, /which is "x"/],
      ['/4', { JOB_COMPLETION_INDEX: '7' }, /shard index 7 is not below/],
    ] as const) {
      expect(() => parseShard(text, env)).toThrow(InputError);
      expect(() => parseShard(text, env)).toThrow(message);
      expect(() => parseShard(text, env)).toThrow(/^--shard: /);
    }
  });
});

describe('shardOf', () => {
  it('deals runs round-robin: the shards partition the sweep and differ in size by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 17 }), (runs, count) => {
        const all = Array.from({ length: runs }, (_, index) => ({ index }));
        const shards = Array.from({ length: count }, (_, index) => shardOf(all, { index, count }));
        const seen = shards.flat().map((r) => r.index).sort((a, b) => a - b);
        expect(seen).toEqual(all.map((r) => r.index));
        const sizes = shards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('gives shard 1 of 3 the runs 1, 4, 7, …', () => {
    const all = Array.from({ length: 10 }, (_, index) => ({ index }));
    expect(shardOf(all, { index: 1, count: 3 }).map((r) => r.index)).toEqual([1, 4, 7]);
  });
});
