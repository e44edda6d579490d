import { describe, expect, it } from 'vitest';
import { estimate } from '../../sim/batch/confidence.js';
import { openRunPool, runMany } from '../../sim/batch/run-many.js';
import { withoutWallTime, type RunSpec } from '../../sim/batch/run-spec.js';

const specs: RunSpec[] = [1, 2, 3].flatMap((seed) =>
  ['1', '100%'].map((surge) => ({
    file: 'test/plan/small-fleet.yaml',
    overrides: ['spec.duration=5m', `spec.rollout.strategy.rollingUpdate.maxSurge=${surge}`],
    seed,
  })),
);

describe('batches of runs', () => {
  it('give the same outcomes, in spec order, on one thread and on a reused pool of two (wall time removed)', async () => {
    const one = (await runMany(specs, { threads: 1 })).map(withoutWallTime);
    const pool = openRunPool(2);
    try {
      const first = (await pool.run(specs.slice(0, 2))).map(withoutWallTime);
      const rest = (await pool.run(specs.slice(2))).map(withoutWallTime);
      expect(pool.runs).toBe(specs.length);
      expect(JSON.stringify([...first, ...rest])).toBe(JSON.stringify(one));
    } finally {
      await pool.close();
    }
    expect(one.map((o) => o.spec.seed)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(new Set(one.map((o) => o.summary?.requests.arrived)).size).toBeGreaterThan(1);
    expect(JSON.stringify(one)).not.toContain('wallSeconds');
  });

  it('run selectively: a spec skipped when its turn comes is not run, the others arrive in spec order as they settle', async () => {
    for (const threads of [1, 2]) {
      const pool = openRunPool(threads);
      const settled: number[] = [];
      try {
        // Once spec 0 has settled, spec 4 and 5 are no longer wanted.
        const outcomes = await pool.runSelectively(specs, (i) => i >= 4 && settled.includes(0), (o, i) => settled.push(i));
        expect(outcomes.slice(0, 4).every((o) => o !== null && o.summary !== null)).toBe(true);
        if (threads === 1) expect(outcomes.slice(4)).toEqual([null, null]);
        expect(pool.runs).toBe(outcomes.filter((o) => o !== null).length);
        expect([...settled].sort()).toEqual(outcomes.flatMap((o, i) => (o === null ? [] : [i])));
      } finally {
        await pool.close();
      }
    }
  });

  it('report bad input of one variant as its error and run the others', async () => {
    const outcomes = await runMany([{ ...specs[0], overrides: ['spec.deployment.replicas=many'] }, specs[1]], { threads: 1 });
    expect(outcomes[0].summary).toBeNull();
    expect(outcomes[0].error).toMatch(/spec\.deployment\.replicas/);
    expect(outcomes[1].summary).not.toBeNull();
  });
});

describe('estimate', () => {
  it('gives equal values no spread at all (no rounding residue) and the t interval otherwise', () => {
    expect(estimate([16.666666666666668, 16.666666666666668, 16.666666666666668])).toEqual({
      mean: 16.666666666666668,
      halfWidth: 0,
      lo: 16.666666666666668,
      hi: 16.666666666666668,
      n: 3,
    });
    const e = estimate([1, 2, 3]);
    expect(e?.mean).toBe(2);
    expect(e?.halfWidth).toBeCloseTo(4.303 * Math.sqrt(1 / 3), 10);
  });
});
