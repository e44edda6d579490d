import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { InputError, InternalError } from '../../sim/errors.js';
import { QuantileSketch } from '../../sim/metrics/sketch.js';

const ALPHA = 0.01;
const QUANTILES = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

type Sampler = (rng: () => number) => number;
const lognormal: Sampler = (rng) => {
  const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return Math.exp(-1 + 1.5 * z);
};
const uniform: Sampler = (rng) => 0.05 + 4.95 * rng();
const exponential: Sampler = (rng) => -Math.log(1 - rng()) * 0.3;

function draw(sampler: Sampler, n: number, seed: string): number[] {
  const rng = seedrandom(seed);
  return Array.from({ length: n }, () => sampler(rng));
}

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

function relativeError(estimate: number | null, exact: number): number {
  if (estimate === null) throw new Error('empty sketch');
  return Math.abs(estimate - exact) / exact;
}

function sketchOf(values: number[], maxBins?: number): QuantileSketch {
  const sketch = new QuantileSketch({ relativeAccuracy: ALPHA, maxBins });
  for (const v of values) sketch.add(v);
  return sketch;
}

describe('QuantileSketch accuracy', () => {
  for (const [name, sampler] of [
    ['lognormal', lognormal],
    ['uniform', uniform],
    ['exponential', exponential],
  ] as const) {
    it(`stays within 1% relative error on ${name} samples`, () => {
      const values = draw(sampler, 50_000, name);
      const sketch = sketchOf(values);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of QUANTILES) {
        expect(relativeError(sketch.quantile(q), exactQuantile(sorted, q)), `q=${q}`).toBeLessThanOrEqual(ALPHA * (1 + 1e-9));
      }
      expect(sketch.count).toBe(values.length);
      expect(sketch.min).toBe(sorted[0]);
      expect(sketch.max).toBe(sorted[sorted.length - 1]);
      expect(sketch.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    });
  }

  it('holds the bound for arbitrary positive samples (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const sorted = [...values].sort((a, b) => a - b);
          return relativeError(sketchOf(values).quantile(q), exactQuantile(sorted, q)) <= ALPHA * (1 + 1e-9);
        },
      ),
      { seed: 20240601, numRuns: 300 },
    );
  });

  it('counts zeros and reports them exactly', () => {
    const sketch = sketchOf([0, 0, 0, 1, 2]);
    expect(sketch.quantile(0)).toBe(0);
    expect(sketch.quantile(0.5)).toBe(0);
    expect(relativeError(sketch.quantile(1), 2)).toBeLessThanOrEqual(ALPHA);
    expect(sketch.min).toBe(0);
  });

  it('reports null statistics when empty', () => {
    const sketch = new QuantileSketch();
    expect([sketch.count, sketch.sum]).toEqual([0, 0]);
    expect([sketch.quantile(0.5), sketch.mean, sketch.min, sketch.max]).toEqual([null, null, null, null]);
  });
});

describe('QuantileSketch merge', () => {
  it('equals adding everything to one sketch', () => {
    const values = draw(lognormal, 30_000, 'merge');
    const parts = [values.slice(0, 100), values.slice(100, 20_000), values.slice(20_000)];
    const merged = new QuantileSketch();
    for (const part of parts) merged.merge(sketchOf(part));
    const direct = sketchOf(values);
    for (const q of QUANTILES) expect(merged.quantile(q), `q=${q}`).toBe(direct.quantile(q));
    expect(merged.count).toBe(direct.count);
    expect(merged.sum).toBeCloseTo(direct.sum, 6);
    expect([merged.min, merged.max]).toEqual([direct.min, direct.max]);
  });

  it('merges disjoint ranges in either order', () => {
    const low = draw(uniform, 1000, 'low').map((v) => v / 1000);
    const high = draw(uniform, 1000, 'high').map((v) => v * 1000);
    const direct = sketchOf([...low, ...high]);
    const a = sketchOf(low);
    a.merge(sketchOf(high));
    const b = sketchOf(high);
    b.merge(sketchOf(low));
    for (const q of QUANTILES) {
      expect(a.quantile(q)).toBe(direct.quantile(q));
      expect(b.quantile(q)).toBe(direct.quantile(q));
    }
  });

  it('folds the low end when the merged range passes maxBins, keeping the upper quantiles of adding directly', () => {
    const low = draw(uniform, 1000, 'low').map((v) => v / 1000);
    const high = draw(uniform, 1000, 'high').map((v) => v * 1000);
    const merged = sketchOf(low, 200);
    merged.merge(sketchOf(high, 200));
    const direct = sketchOf([...low, ...high], 200);
    expect(merged.allocatedBins).toBeLessThanOrEqual(200);
    expect(merged.count).toBe(2000);
    for (const q of [0.6, 0.75, 0.9, 0.99, 1]) expect(merged.quantile(q), `q=${q}`).toBe(direct.quantile(q));
  });

  it('refuses sketches of another accuracy', () => {
    const coarse = new QuantileSketch({ relativeAccuracy: 0.05 });
    coarse.add(1);
    expect(() => new QuantileSketch().merge(coarse)).toThrow(InternalError);
  });
});

describe('QuantileSketch memory', () => {
  it('never allocates more than maxBins and keeps upper quantiles accurate when collapsing', () => {
    // 1e-6 .. 1e6 needs ~1370 buckets at 1%; a cap of 200 must fold the lowest ones.
    const rng = seedrandom('wide');
    const values = Array.from({ length: 100_000 }, () => 10 ** (12 * rng() - 6));
    const sketch = sketchOf(values, 200);
    expect(sketch.allocatedBins).toBeLessThanOrEqual(200);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.9, 0.95, 0.99, 1]) {
      expect(relativeError(sketch.quantile(q), exactQuantile(sorted, q))).toBeLessThanOrEqual(ALPHA * (1 + 1e-9));
    }
    // The folded low end is no longer accurate: that is the documented price of the cap.
    expect(relativeError(sketch.quantile(0.01), exactQuantile(sorted, 0.01))).toBeGreaterThan(ALPHA);
  });

  it('does not grow with the number of samples once their range has been seen', () => {
    const sketch = new QuantileSketch();
    const rng = seedrandom('flat');
    const addBatch = (n: number) => {
      for (let i = 0; i < n; i++) sketch.add(0.05 + 4.95 * rng());
    };
    addBatch(10_000);
    const bins = sketch.allocatedBins;
    addBatch(1_000_000);
    expect(sketch.allocatedBins).toBe(bins);
    // ln(100)/ln(γ) ≈ 228 buckets span 0.05..5 s; storage doubles, so at most 512.
    expect(bins).toBeLessThanOrEqual(512);
  });

  it('clear() empties the sketch and keeps its storage', () => {
    const sketch = sketchOf(draw(exponential, 1000, 'clear'));
    const bins = sketch.allocatedBins;
    sketch.clear();
    expect(sketch.count).toBe(0);
    expect(sketch.quantile(0.5)).toBeNull();
    expect(sketch.allocatedBins).toBe(bins);
    sketch.add(3);
    expect(relativeError(sketch.quantile(0.5), 3)).toBeLessThanOrEqual(ALPHA);
    expect(sketch.count).toBe(1);
  });
});

describe('QuantileSketch input checks', () => {
  it('rejects negative, NaN and infinite values', () => {
    const sketch = new QuantileSketch();
    for (const bad of [-1, Number.NaN, Infinity]) expect(() => sketch.add(bad)).toThrow(InternalError);
    expect(sketch.count).toBe(0);
  });

  it('rejects bad options and quantiles, naming them', () => {
    expect(() => new QuantileSketch({ relativeAccuracy: 0 })).toThrow(/relativeAccuracy/);
    expect(() => new QuantileSketch({ maxBins: 1.5 })).toThrow(InputError);
    expect(() => new QuantileSketch().quantile(1.5)).toThrow(/quantile.*1\.5/);
  });
});
