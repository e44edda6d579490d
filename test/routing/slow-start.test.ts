import { describe, expect, it } from 'vitest';
import type { Rng } from '../../sim/engine/random.js';
import { routerOptions, zRouting } from '../../sim/routing/config.js';
import type { EndpointJoins } from '../../sim/routing/endpoint.js';
import { LeastOutstandingPicker, RoundRobinPicker } from '../../sim/routing/policies.js';
import {
  leastOutstandingWeighted,
  slowStartFactor,
  SlowStartPicker,
  weightedDraw,
  type SlowStartSpec,
} from '../../sim/routing/slow-start.js';
import { firstAttempt } from '../../sim/traffic/attempt.js';
import { pods } from './fakes.js';

const LINEAR: SlowStartSpec = { window: 60, aggression: 1, minWeightPercent: 10 };
const req = firstAttempt(1, 0, 100, 10, -1, 0);

class Joins implements EndpointJoins {
  lastJoinAt = -Infinity;
  private readonly at = new Map<number, number>();
  join(podId: number, t: number): void {
    this.at.set(podId, t);
    this.lastJoinAt = Math.max(this.lastJoinAt, t);
  }
  joinedAt(podId: number): number {
    return this.at.get(podId) ?? -Infinity;
  }
}

/** A draw sequence that cycles through the given values. */
function cycling(values: number[]): Rng {
  let i = 0;
  return { next: () => values[i++ % values.length] };
}

describe('slowStartFactor (Envoy: max(minWeight, (max(t, 1) / window)^(1/aggression)))', () => {
  it('ramps linearly with aggression 1 and is floored at minWeightPercent', () => {
    expect(slowStartFactor(LINEAR, 0)).toBe(0.1); // max(1, 0)/60 = 0.017 < the 10% floor
    expect(slowStartFactor(LINEAR, 3)).toBe(0.1);
    expect(slowStartFactor(LINEAR, 30)).toBeCloseTo(0.5, 12);
    expect(slowStartFactor(LINEAR, 59)).toBeCloseTo(59 / 60, 12);
    expect(slowStartFactor(LINEAR, 60)).toBe(1);
    expect(slowStartFactor(LINEAR, Infinity)).toBe(1);
  });

  it('aggression bends the ramp: above 1 rises faster early on, below 1 slower', () => {
    expect(slowStartFactor({ ...LINEAR, aggression: 2 }, 15)).toBeCloseTo(0.5, 12); // (1/4)^(1/2)
    expect(slowStartFactor({ ...LINEAR, aggression: 0.5, minWeightPercent: 1 }, 30)).toBeCloseTo(0.25, 12); // (1/2)^2
    expect(slowStartFactor({ window: 100, aggression: 1, minWeightPercent: 1 }, 0.2)).toBeCloseTo(0.01, 12); // t < 1 s counts as 1 s
  });
});

describe('weighted choices', () => {
  it('weightedDraw cuts [0, 1) in proportion to the weights', () => {
    const w = [1, 0.5, 0.5];
    expect(weightedDraw(w, 3, 0)).toBe(0);
    expect(weightedDraw(w, 3, 0.49)).toBe(0);
    expect(weightedDraw(w, 3, 0.5)).toBe(1);
    expect(weightedDraw(w, 3, 0.74)).toBe(1);
    expect(weightedDraw(w, 3, 0.75)).toBe(2);
    expect(weightedDraw(w, 3, 0.999)).toBe(2);
  });

  it('leastOutstandingWeighted scores (outstanding + 1) / weight', () => {
    const [a, b, c] = pods(1, 3);
    a.load = 9; // 10 / 1
    b.load = 9; // 10 / 1
    c.load = 0; // 1 / 0.05 = 20: a new pod at 5% is passed over although it is empty
    expect(leastOutstandingWeighted([a, b, c], [1, 1, 0.05], 0)).toBe(0);
    expect(leastOutstandingWeighted([a, b, c], [1, 1, 0.05], 1)).toBe(1);
    c.load = 0;
    expect(leastOutstandingWeighted([a, b, c], [1, 1, 0.2], 0)).toBe(2); // 1 / 0.2 = 5 < 10
  });
});

describe('SlowStartPicker', () => {
  it('under least-outstanding, a joining pod fills up to its weight, not to the others\' count', () => {
    const joins = new Joins();
    let now = 100;
    const fleet = pods(1, 4);
    for (const p of fleet.slice(0, 3)) p.load = 40;
    joins.join(4, 100); // the new pod, empty
    const picker = new SlowStartPicker(new LeastOutstandingPicker(), 'least-outstanding', LINEAR, joins, () => now, cycling([0.5]));
    // 20 requests at t=100 (weight 0.1): the new pod takes one while (load + 1) / 0.1 < 41 (old pods: 41 / 1, rising
    // to 46 / 1 as they take the other 16), so at loads 0, 1, 2 and 3: four.
    for (let i = 0; i < 20; i++) fleet[picker.pick(fleet, req)].load++;
    expect(fleet[3].load).toBe(4);
    // Without slow start the empty pod takes every one of them.
    const plain = new LeastOutstandingPicker();
    const again = pods(1, 4);
    for (const p of again.slice(0, 3)) p.load = 40;
    for (let i = 0; i < 20; i++) again[plain.pick(again)].load++;
    expect(again[3].load).toBe(20);
    // After the window the picker is the plain policy again.
    now = 160;
    const before = fleet[3].load;
    for (let i = 0; i < 20; i++) fleet[picker.pick(fleet, req)].load++;
    expect(fleet[3].load - before).toBeGreaterThan(15);
  });

  it('under round-robin, a pod at half weight gets half the share of the others', () => {
    const joins = new Joins();
    joins.join(3, 0);
    const fleet = pods(1, 3);
    const picker = new SlowStartPicker(new RoundRobinPicker(), 'round-robin', LINEAR, joins, () => 30, cycling([0.5]));
    const counts = [0, 0, 0];
    for (let i = 0; i < 500; i++) counts[picker.pick(fleet, req)]++;
    expect(counts).toEqual([200, 200, 100]);
  });

  it('under random and power-of-two the draws are weighted', () => {
    const joins = new Joins();
    joins.join(2, 0);
    const fleet = pods(1, 2);
    const random = new SlowStartPicker(new RoundRobinPicker(), 'random', LINEAR, joins, () => 6, cycling([0.05, 0.5, 0.95]));
    // weights 1 and 0.1: [0, 1/1.1) → 0, the rest → 1
    expect([random.pick(fleet, req), random.pick(fleet, req), random.pick(fleet, req)]).toEqual([0, 0, 1]);
    fleet[0].load = 3;
    const p2c = new SlowStartPicker(new RoundRobinPicker(), 'power-of-two', LINEAR, joins, () => 6, cycling([0.9, 0.1]));
    expect(p2c.pick(fleet, req)).toBe(0); // 4 / 1 < 1 / 0.1
    fleet[0].load = 12;
    expect(p2c.pick(fleet, req)).toBe(1); // 13 > 10
  });
});

describe('routing.slowStart in the scenario', () => {
  it('takes Envoy\'s defaults and refuses policies it cannot weight', () => {
    expect(routerOptions(zRouting.parse({ slowStart: { window: '90s' } })).slowStart).toEqual({
      window: 90,
      aggression: 1,
      minWeightPercent: 10,
    });
    const prefix = zRouting.safeParse({ policy: 'prefix-aware', slowStart: { window: 60 } });
    expect(prefix.success).toBe(false);
    expect(prefix.error?.issues[0].path).toEqual(['slowStart']);
    expect(zRouting.safeParse({ slowStart: { window: 0 } }).success).toBe(false);
    expect(zRouting.safeParse({ slowStart: { window: 60, minWeightPercent: 0 } }).success).toBe(false);
  });
});
