import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../sim/engine/random.js';
import { InputError } from '../../sim/errors.js';
import {
  gammaArrivals,
  poissonArrivals,
  ScheduledArrivals,
  type ArrivalProcess,
  type RatePoint,
} from '../../sim/traffic/arrivals.js';

const rng = (name: string) => new RandomStreams(7).stream(name);

/** Arrival times from 0 up to `until` (exclusive). */
function arrivalsUntil(process: ArrivalProcess, until: number): number[] {
  const times: number[] = [];
  for (let t = process.next(0); t < until; t = process.next(t)) times.push(t);
  return times;
}

function gapStats(times: readonly number[]): { mean: number; cv: number } {
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const variance = gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / (gaps.length - 1);
  return { mean, cv: Math.sqrt(variance) / mean };
}

function countIn(times: readonly number[], from: number, to: number): number {
  return times.filter((t) => t >= from && t < to).length;
}

/** Counts of a Poisson process: within 4.5 standard deviations of the expected count. */
function expectPoissonCount(count: number, expected: number): void {
  expect(Math.abs(count - expected)).toBeLessThan(4.5 * Math.sqrt(expected) + 1);
}

describe('renewal arrivals', () => {
  it('Poisson: mean gap 1/rate and CV 1', () => {
    const times = arrivalsUntil(poissonArrivals(40, rng('p')), 1000);
    const { mean, cv } = gapStats(times);
    expect(mean).toBeCloseTo(1 / 40, 3);
    expect(Math.abs(mean * 40 - 1)).toBeLessThan(0.02);
    expect(Math.abs(cv - 1)).toBeLessThan(0.03);
  });

  it.each([0.5, 3])('gamma with cv %s: rate and CV as asked', (cv) => {
    const times = arrivalsUntil(gammaArrivals(10, cv, rng(`g${cv}`)), 6000);
    const stats = gapStats(times);
    expect(Math.abs(stats.mean * 10 - 1)).toBeLessThan(0.04);
    expect(Math.abs(stats.cv / cv - 1)).toBeLessThan(0.08);
  });

  it('rejects a zero rate and a zero cv, naming the field', () => {
    expect(() => poissonArrivals(0, rng('x'), 'traffic.arrival.poisson.rate')).toThrow(/traffic.arrival.poisson.rate/);
    expect(() => gammaArrivals(5, 0, rng('x'), 'g')).toThrow(InputError);
    expect(() => gammaArrivals(5, 0, rng('x'), 'g')).toThrow(/g\.cv/);
  });
});

describe('scheduled arrivals (non-homogeneous Poisson by inversion)', () => {
  it('follows a linear ramp and holds the last rate', () => {
    const points: RatePoint[] = [
      { at: 0, rate: 10 },
      { at: 100, rate: 40 },
    ];
    const times = arrivalsUntil(new ScheduledArrivals(points, null, rng('ramp')), 200);
    // λ(t) = 10 + 0.3 t on the ramp: ∫ over [a, b) = 10(b − a) + 0.15(b² − a²).
    for (let a = 0; a < 100; a += 20) {
      expectPoissonCount(countIn(times, a, a + 20), 10 * 20 + 0.15 * ((a + 20) ** 2 - a ** 2));
    }
    expectPoissonCount(countIn(times, 100, 200), 4000);
    expect(countIn(times, 80, 100)).toBeGreaterThan(countIn(times, 0, 20) * 2.5);
  });

  it('inverts the cumulative rate exactly (known Exp(1) draws)', () => {
    // A draw u gives need = −ln(1 − u); the next arrival t solves Λ(t) − Λ(now) = need.
    const draws = (...needs: number[]) => {
      let i = 0;
      return { next: () => 1 - Math.exp(-needs[i++]) };
    };
    // λ = 0.2 t from 0: Λ(t) = 0.1 t², so need 1 → t = √10.
    expect(new ScheduledArrivals([{ at: 0, rate: 0 }, { at: 10, rate: 2 }], null, draws(1)).next(0)).toBeCloseTo(Math.sqrt(10), 12);
    // λ = 4 − 0.4 t: Λ(t) = 4t − 0.2t², need 10 → t = (4 − √8) / 0.4.
    const falling = new ScheduledArrivals([{ at: 0, rate: 4 }, { at: 10, rate: 0 }], null, draws(10, 9.99));
    expect(falling.next(0)).toBeCloseTo((4 - Math.sqrt(8)) / 0.4, 12);
    // The rest of the ramp holds 20 − 10 = 10 arrivals on average; asking 9.99 more lands just before its end.
    expect(falling.next((4 - Math.sqrt(8)) / 0.4)).toBeCloseTo(10 - Math.sqrt(0.01 / 0.2), 9);
    // Across periods (whole ones skipped at once): period 0.1 s at 10/s, need 2.5 from t = 0.03 → 0.28.
    expect(new ScheduledArrivals([{ at: 0, rate: 10 }], 0.1, draws(2.5)).next(0.03)).toBeCloseTo(0.28, 12);
  });

  it('sends nothing while the rate is 0, and stops for good when it stays 0', () => {
    const points: RatePoint[] = [
      { at: 0, rate: 0 },
      { at: 10, rate: 0 },
      { at: 20, rate: 20 },
      { at: 30, rate: 0 },
    ];
    const process = new ScheduledArrivals(points, null, rng('gap'));
    const times = arrivalsUntil(process, 1e9);
    expect(times.every((t) => t > 10 && t < 30)).toBe(true);
    expectPoissonCount(times.length, 200);
    expect(process.next(30)).toBe(Infinity);
  });

  it('holds the first rate before the first point', () => {
    const times = arrivalsUntil(new ScheduledArrivals([{ at: 50, rate: 5 }, { at: 60, rate: 5 }], null, rng('pre')), 50);
    expectPoissonCount(times.length, 250);
  });

  it('repeats with a period, ramping from the last point back to the first', () => {
    // Period 100 s: 10/s at 25 s, 30/s at 75 s, and from there back down to 10/s at 125 s (= 25 s of the next
    // period), which passes 20/s at the period boundary.
    const process = new ScheduledArrivals([{ at: 25, rate: 10 }, { at: 75, rate: 30 }], 100, rng('daily'));
    const times = arrivalsUntil(process, 1000);
    // Each period: [0,25) 20→10 = 375, [25,75) 10→30 = 1000, [75,100) 30→20 = 625.
    expectPoissonCount(times.length, 10 * 2000);
    const summed = (from: number, to: number) => {
      let n = 0;
      for (let k = 0; k < 10; k++) n += countIn(times, k * 100 + from, k * 100 + to);
      return n;
    };
    expectPoissonCount(summed(0, 25), 10 * 375);
    expectPoissonCount(summed(75, 100), 10 * 625);
  });

  it('skips long quiet periods in one step and stays in time order', () => {
    const process = new ScheduledArrivals([{ at: 0, rate: 0 }, { at: 3599, rate: 0 }, { at: 3599.5, rate: 2 }], 3600, rng('quiet'));
    const times = arrivalsUntil(process, 3600 * 50);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
    expect(times.every((t) => t % 3600 > 3599)).toBe(true);
    expectPoissonCount(times.length, 50 * 1);
  });

  it('rejects bad points with the path of the culprit', () => {
    const bad = (points: RatePoint[], period: number | null = null) => () => new ScheduledArrivals(points, period, rng('x'), 's');
    expect(bad([])).toThrow(/s\.points/);
    expect(bad([{ at: 10, rate: 1 }, { at: 5, rate: 1 }])).toThrow(/s\.points\[1\]\.at: expected times in increasing order/);
    expect(bad([{ at: 0, rate: -1 }])).toThrow(/s\.points\[0\]\.rate/);
    expect(bad([{ at: 0, rate: 0 }])).toThrow(/every rate is 0/);
    expect(bad([{ at: 0, rate: 1 }, { at: 100, rate: 1 }], 100)).toThrow(/inside the repeat period/);
  });
});
