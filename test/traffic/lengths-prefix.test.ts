import { describe, expect, it } from 'vitest';
import { constant, lognormalFromPercentiles, uniform } from '../../sim/engine/distributions.js';
import { RandomStreams } from '../../sim/engine/random.js';
import { SampledLengths, toTokenCount } from '../../sim/traffic/lengths.js';
import { PrefixGroups, ZipfSampler } from '../../sim/traffic/prefix.js';

const rng = (name: string) => new RandomStreams(11).stream(name);

describe('token lengths', () => {
  it('rounds to whole tokens, at least 1, at most max', () => {
    expect([0, 0.4, 1.5, 2.49, 7.6, 5000].map((x) => toTokenCount(x, 4096))).toEqual([1, 1, 2, 2, 8, 4096]);
  });

  it('samples a lognormal by its percentiles and clips at max', () => {
    const lengths = new SampledLengths(lognormalFromPercentiles(1020, 2735), rng('l'), 4000);
    const xs = Array.from({ length: 20_000 }, () => lengths.next()).sort((a, b) => a - b);
    expect(xs.every(Number.isInteger)).toBe(true);
    expect(Math.abs(xs[10_000] / 1020 - 1)).toBeLessThan(0.04);
    expect(Math.abs(xs[18_000] / 2735 - 1)).toBeLessThan(0.05);
    expect(xs[xs.length - 1]).toBe(4000);
  });

  it('rejects a max below 1', () => {
    expect(() => new SampledLengths(constant(5), rng('l'), 0, 'traffic.promptTokens')).toThrow(/traffic\.promptTokens\.max/);
  });
});

describe('prefix groups', () => {
  it('Zipf ranks follow 1/(k+1)^s', () => {
    const zipf = new ZipfSampler(5, 1.1);
    const r = rng('z');
    const counts = new Array(5).fill(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) counts[zipf.rank(r.next())]++;
    const weights = [1, 2, 3, 4, 5].map((k) => k ** -1.1);
    const total = weights.reduce((a, b) => a + b);
    counts.forEach((c, k) => expect(Math.abs(c / n - weights[k] / total)).toBeLessThan(0.01));
    expect(new ZipfSampler(4, 0).rank(0.6)).toBe(2); // s = 0: uniform
  });

  it('gives a share of requests a group, one fixed prefix length per group, never above the prompt', () => {
    const groups = new PrefixGroups(
      { share: 0.6, groups: 20, prefixTokens: uniform(200, 1200), zipf: 1.1 },
      rng('p'),
    );
    const n = 20_000;
    let shared = 0;
    const lengthOf = new Map<number, number>();
    const problems: string[] = [];
    for (let i = 0; i < n; i++) {
      const g = groups.drawGroup();
      if (g < 0) {
        if (groups.prefixTokens(g, 500) !== 0) problems.push(`no group but prefix tokens`);
        continue;
      }
      shared++;
      const full = groups.prefixTokens(g, 1e9);
      if (g >= 20) problems.push(`group ${g}`);
      if (lengthOf.has(g) && lengthOf.get(g) !== full) problems.push(`group ${g} changed length`);
      if (groups.prefixTokens(g, 100) !== Math.min(full, 100)) problems.push(`group ${g} prefix above the prompt`);
      lengthOf.set(g, full);
    }
    expect(problems).toEqual([]);
    expect(Math.abs(shared / n - 0.6)).toBeLessThan(0.02);
    expect(new Set(lengthOf.values()).size).toBeGreaterThan(10);
  });

  it('rejects a share above 1 and zero groups', () => {
    const build = (share: number, count: number) => () =>
      new PrefixGroups({ share, groups: count, prefixTokens: constant(10), zipf: 1 }, rng('x'), 'traffic.prefix');
    expect(build(1.5, 3)).toThrow(/traffic\.prefix\.share/);
    expect(build(0.5, 0)).toThrow(/traffic\.prefix\.groups/);
  });
});
