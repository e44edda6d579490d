import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomialCdf, clopperPearsonUpper, constraintRisk, percent, seedsToEstablish } from '../../sim/plan/risk.js';

describe('the one-sided Clopper-Pearson bound (95%)', () => {
  it('gives the known values: 0/3, 0/10, 1/20, 5/50', () => {
    expect(clopperPearsonUpper(0, 3)).toBeCloseTo(0.6316, 4);
    expect(clopperPearsonUpper(0, 10)).toBeCloseTo(0.2589, 4);
    expect(clopperPearsonUpper(1, 20)).toBeCloseTo(0.2161, 4);
    expect(clopperPearsonUpper(5, 50)).toBeCloseTo(0.1988, 4);
    expect(clopperPearsonUpper(3, 3)).toBe(1);
  });

  it('is the p at which seeing at most k failures has probability 5%, falling with seeds and rising with failures', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 200 }), (n, k0) => {
        const k = k0 % n;
        const p = clopperPearsonUpper(k, n);
        expect(binomialCdf(k, n, p)).toBeCloseTo(0.05, 6);
        expect(clopperPearsonUpper(k, n + 1)).toBeLessThan(p);
        expect(clopperPearsonUpper(k + 1, n + 1)).toBeGreaterThan(clopperPearsonUpper(k, n + 1));
      }),
    );
  });

  it('counts the clean seeds a risk takes: 59 for 5%, 299 for 1%', () => {
    expect(seedsToEstablish(0.05)).toBe(59);
    expect(seedsToEstablish(0.01)).toBe(299);
    expect(clopperPearsonUpper(0, 59)).toBeLessThanOrEqual(0.05);
    expect(clopperPearsonUpper(0, 58)).toBeGreaterThan(0.05);
  });

  it('never claims a zero-drop constraint holds at 5% from a few seeds, and says what it can claim', () => {
    const few = constraintRisk('dropped', 'dropped generations', 0, 3, 0.05);
    expect(few).toMatchObject({ status: 'undecided', seedsNeeded: 59 });
    const ten = constraintRisk('dropped', 'dropped generations', 0, 10, 0.05);
    expect(ten.claim).toBe(
      '0 violations in 10 seeds: the per-rollout probability of violating dropped generations is below 26% at 95% confidence; ' +
        'that does not establish the acceptable 5% (it takes 59 seeds without a violation)',
    );
    expect(constraintRisk('dropped', 'dropped generations', 0, 60, 0.05).status).toBe('holds');
    expect(constraintRisk('dropped', 'dropped generations', 1, 60, 0.05).status).toBe('violated');
    expect(percent(0.0095)).toBe('0.95%');
    // Bounds are rounded up: 0/3 is below 63.2%, printed "below 64%" rather than a claim it cannot back.
    expect(percent(clopperPearsonUpper(0, 3), 'up')).toBe('64%');
    expect(percent(clopperPearsonUpper(0, 59), 'up')).toBe('5%');
    expect(percent(0.0413, 'up')).toBe('4.2%');
    // An estimator that finds no stream it could cut gives exactly 0 (log10 of 0 once printed "NaN%").
    expect(percent(0)).toBe('0%');
    expect(percent(0, 'up')).toBe('0%');
  });
});
