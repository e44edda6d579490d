import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { intCount, percent } from '../../sim/config/int-or-percent.js';
import { maxSurge, maxUnavailable, minAvailable, resolveFenceposts, rollingBudgetProblem } from '../../sim/rollout/fenceposts.js';

describe('resolveFenceposts (rollout-semantics.md §1.2)', () => {
  it.each([
    [4, percent(25), percent(25), 1, 1],
    [10, percent(25), percent(25), 3, 2],
    [1, percent(25), percent(25), 1, 0],
    [3, percent(25), intCount(0), 1, 0],
    [2, percent(0), percent(25), 0, 1], // both round to 0 ⇒ unavailable forced to 1
    [10, intCount(3), intCount(2), 3, 2],
    [10, percent(30), percent(10), 3, 1],
    [7, percent(50), percent(50), 4, 3], // 3.5 up, 3.5 down
  ])('replicas %i, surge %o, unavailable %o ⇒ (%i, %i)', (replicas, s, u, surge, unavailable) => {
    expect(resolveFenceposts(s, u, replicas)).toEqual({ surge, unavailable });
  });

  it('treats a missing value as 0', () => {
    expect(resolveFenceposts(undefined, percent(25), 8)).toEqual({ surge: 0, unavailable: 2 });
    expect(resolveFenceposts(undefined, undefined, 8)).toEqual({ surge: 0, unavailable: 1 });
  });

  it('maxUnavailable is capped at replicas and is 0 for an empty Deployment', () => {
    expect(maxUnavailable({ replicas: 3, maxSurge: intCount(0), maxUnavailable: intCount(5) })).toBe(3);
    expect(maxUnavailable({ replicas: 0, maxSurge: percent(0), maxUnavailable: percent(25) })).toBe(0);
    expect(maxUnavailable({ replicas: 2, maxSurge: percent(0), maxUnavailable: percent(25) })).toBe(1);
    expect(minAvailable({ replicas: 10, maxSurge: percent(25), maxUnavailable: percent(25) })).toBe(8);
    expect(maxSurge({ replicas: 10, maxSurge: percent(25), maxUnavailable: percent(25) })).toBe(3);
  });
});

describe('rollingBudgetProblem', () => {
  it('refuses explicit 0/0 and maxUnavailable above 100%, but accepts values that only round to 0', () => {
    expect(rollingBudgetProblem(intCount(0), percent(0))).toMatch(/^may not be 0 when maxSurge is 0/);
    expect(rollingBudgetProblem(percent(0), intCount(0))).toMatch(/^may not be 0 when maxSurge is 0/);
    expect(rollingBudgetProblem(intCount(1), percent(101))).toBe('must not be more than 100%');
    expect(rollingBudgetProblem(intCount(0), intCount(150))).toBeNull();
    expect(rollingBudgetProblem(percent(0), percent(25))).toBeNull();
  });
});
