import { exponential, gammaFromMeanCv, type Distribution } from '../engine/distributions.js';
import type { Rng } from '../engine/random.js';
import { InputError } from '../errors.js';

/**
 * A stream of arrival times. The traffic source asks for one arrival at a time (at the start, then each time an
 * arrival fires), so a process never holds more than one pending event.
 */
export interface ArrivalProcess {
  /** The next arrival at or after `now` (the start time, then the previous arrival); Infinity when none remain. */
  next(now: number): number;
  describe(): string;
}

/** Arrivals with independent, identically distributed gaps (Poisson, gamma). */
export class RenewalArrivals implements ArrivalProcess {
  constructor(
    private readonly gap: Distribution,
    private readonly rng: Rng,
  ) {}

  next(now: number): number {
    return now + this.gap.sample(this.rng);
  }

  describe(): string {
    return `renewal arrivals, gaps ${this.gap.describe()}`;
  }
}

export function poissonArrivals(rate: number, rng: Rng, path = 'poisson.rate'): ArrivalProcess {
  requirePositive(rate, path, 'an arrival rate above 0 per second');
  return new RenewalArrivals(exponential(1 / rate), rng);
}

/**
 * Gamma-distributed gaps with a coefficient of variation: vLLM's "burstiness" is the shape, 1/cv². cv = 1 is
 * Poisson; cv > 1 is burstier (the Azure code trace has cv ≈ 13), cv < 1 more regular.
 */
export function gammaArrivals(rate: number, cv: number, rng: Rng, path = 'gamma'): ArrivalProcess {
  requirePositive(rate, `${path}.rate`, 'an arrival rate above 0 per second');
  requirePositive(cv, `${path}.cv`, 'a coefficient of variation above 0');
  return new RenewalArrivals(gammaFromMeanCv(1 / rate, cv), rng);
}

export interface RatePoint {
  /** Seconds from the start (of the day, when the schedule repeats). */
  at: number;
  /** Arrivals per second. */
  rate: number;
}

/**
 * A non-homogeneous Poisson process whose rate moves linearly between the points, holds the last rate after the
 * last point (or, with a period, ramps from the last point back to the first point of the next period).
 *
 * Sampled by inversion: with Λ(t) the integral of the rate, the next arrival after t is where Λ grows by an Exp(1)
 * draw. Λ is quadratic on each linear piece, so this costs one uniform per arrival and no rejected draws.
 */
export class ScheduledArrivals implements ArrivalProcess {
  /** Breakpoints of one period starting at 0; the last one is the period (Infinity when not repeating). */
  private readonly times: number[];
  private readonly rates: number[];
  private readonly period: number;
  /** Expected arrivals in one period (only used when repeating). */
  private readonly periodMass: number;
  /** Piece where the last arrival fell: arrivals only move forward, so the search starts there. */
  private piece = 0;

  constructor(
    points: readonly RatePoint[],
    period: number | null,
    private readonly rng: Rng,
    path = 'schedule',
  ) {
    checkSchedule(points, period, path);
    const first = points[0];
    const last = points[points.length - 1];
    const rateAtZero =
      period === null || first.at === 0
        ? first.rate
        : interpolate(last.at - period, last.rate, first.at, first.rate, 0);
    this.times = first.at > 0 ? [0] : [];
    this.rates = first.at > 0 ? [rateAtZero] : [];
    for (const p of points) {
      this.times.push(p.at);
      this.rates.push(p.rate);
    }
    this.times.push(period ?? Infinity);
    this.rates.push(period === null ? last.rate : rateAtZero);
    this.period = period ?? Infinity;
    let mass = 0;
    for (let i = 0; i + 1 < this.times.length; i++) {
      mass += ((this.rates[i] + this.rates[i + 1]) / 2) * (this.times[i + 1] - this.times[i]);
    }
    this.periodMass = mass;
  }

  next(now: number): number {
    let need = -Math.log(1 - this.rng.next());
    const times = this.times;
    const rates = this.rates;
    const lastPiece = times.length - 2;
    let periodStart = Number.isFinite(this.period) ? Math.floor(now / this.period) * this.period : 0;
    let x = now - periodStart;
    if (x >= this.period) {
      // Guards the rounding of now − k·period landing exactly on the period.
      x -= this.period;
      periodStart += this.period;
    }
    let i = x < times[this.piece] ? 0 : this.piece;
    while (x >= times[i + 1]) i++;
    for (;;) {
      const start = times[i];
      const end = times[i + 1];
      if (end === Infinity) {
        // After the last point of a schedule that does not repeat: the last rate holds for ever.
        this.piece = i;
        return rates[i] > 0 ? periodStart + x + need / rates[i] : Infinity;
      }
      const rateHere = interpolate(start, rates[i], end, rates[i + 1], x);
      const mass = ((rateHere + rates[i + 1]) / 2) * (end - x);
      if (need <= mass) {
        this.piece = i;
        // Solve rateHere·d + slope·d²/2 = need in the form that stays exact when the slope is ~0 or negative.
        const slope = (rates[i + 1] - rates[i]) / (end - start);
        const root = Math.sqrt(Math.max(0, rateHere * rateHere + 2 * slope * need));
        const d = need === 0 ? 0 : (2 * need) / (rateHere + root);
        return periodStart + Math.min(x + d, end);
      }
      need -= mass;
      x = end;
      if (i < lastPiece) {
        i++;
        continue;
      }
      // End of a period: skip whole periods at once, so a long quiet stretch costs nothing.
      if (!(this.periodMass > 0)) return Infinity;
      const whole = Math.floor(need / this.periodMass);
      need -= whole * this.periodMass;
      periodStart += (whole + 1) * this.period;
      x = 0;
      i = 0;
    }
  }

  /** Expected arrivals in [0, until]: the integral of the rate (what a run's size is judged by before it starts). */
  expectedArrivals(until: number): number {
    const whole = Number.isFinite(this.period) ? Math.floor(until / this.period) : 0;
    const x = whole > 0 ? until - whole * this.period : until;
    // periodMass is not finite without a repeat (the last rate holds for ever); whole is then 0.
    let mass = whole > 0 ? whole * this.periodMass : 0;
    for (let i = 0; i + 1 < this.times.length && this.times[i] < x; i++) {
      const end = Math.min(x, this.times[i + 1]);
      const rateAtEnd = this.times[i + 1] === Infinity ? this.rates[i] : interpolate(this.times[i], this.rates[i], this.times[i + 1], this.rates[i + 1], end);
      mass += ((this.rates[i] + rateAtEnd) / 2) * (end - this.times[i]);
    }
    return mass;
  }

  describe(): string {
    const pts = this.times.slice(0, -1).map((t, i) => `${t}s:${this.rates[i]}/s`).join(', ');
    return `scheduled arrivals (${pts}${Number.isFinite(this.period) ? `, repeating every ${this.period}s` : ''})`;
  }
}

/** The rate at `x` on the line through (x0, r0) and (x1, r1). */
function interpolate(x0: number, r0: number, x1: number, r1: number, x: number): number {
  return r0 + ((r1 - r0) * (x - x0)) / (x1 - x0);
}

function checkSchedule(points: readonly RatePoint[], period: number | null, path: string): void {
  if (points.length === 0) throw new InputError('expected at least one {at, rate} point', `${path}.points`);
  if (period !== null) requirePositive(period, `${path}.repeat`, 'a repeat period above 0 seconds');
  let anyPositive = false;
  points.forEach((p, i) => {
    const where = `${path}.points[${i}]`;
    if (!(p.at >= 0) || !Number.isFinite(p.at)) {
      throw new InputError({ expected: 'a time at or after 0', got: String(p.at) }, `${where}.at`);
    }
    if (i > 0 && !(p.at > points[i - 1].at)) {
      throw new InputError({ expected: 'times in increasing order', got: `${p.at}s after ${points[i - 1].at}s` }, `${where}.at`);
    }
    if (period !== null && !(p.at < period)) {
      throw new InputError({ expected: `a time inside the repeat period (${period}s)`, got: `${p.at}s` }, `${where}.at`);
    }
    if (!(p.rate >= 0) || !Number.isFinite(p.rate)) {
      throw new InputError({ expected: 'a rate of 0 or more per second', got: String(p.rate) }, `${where}.rate`);
    }
    anyPositive ||= p.rate > 0;
  });
  if (!anyPositive) throw new InputError('every rate is 0: the schedule would send no traffic', `${path}.points`);
}

function requirePositive(value: number, path: string, expected: string): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new InputError({ expected, got: String(value) }, path);
}
