import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstPassing, type MonotoneSearch } from '../../sim/plan/bisect.js';
import { intCount } from '../../sim/config/int-or-percent.js';
import type { PlanConfig } from '../../sim/plan/config.js';
import type { Evaluation } from '../../sim/plan/evaluation.js';
import type { EvaluationRequest, Evaluator } from '../../sim/plan/evaluator.js';

/** Configurations told apart by minReadySeconds (their ladder index); an evaluation passes from `threshold` on. */
function ladder(n: number): PlanConfig[] {
  return Array.from({ length: n }, (_, i) => ({
    strategy: { kind: 'rollingUpdate', maxSurge: intCount(1), maxUnavailable: intCount(0) },
    preStopSeconds: 0,
    shutdownTimeoutSeconds: 0,
    terminationGracePeriodSeconds: 5,
    readiness: null,
    minReadySeconds: i,
    headroomNodes: 0,
  }));
}

/** Records every batch; an evaluation carries its index as its id. */
function stubEvaluator(): { evaluator: Evaluator; batches: number[][] } {
  const batches: number[][] = [];
  const evaluate = async (requests: readonly EvaluationRequest[]) => {
    batches.push(requests.map((r) => r.config?.minReadySeconds ?? -1));
    return requests.map((r) => ({ id: String(r.config?.minReadySeconds) }) as unknown as Evaluation);
  };
  return { evaluator: { evaluate } as unknown as Evaluator, batches };
}

const search = (n: number, threshold: number, start: MonotoneSearch['start']): MonotoneSearch => ({
  configs: ladder(n),
  passes: (e) => Number(e.id) >= threshold,
  start,
});

describe('firstPassing', () => {
  it('finds the first passing index (null when none passes) in about log2(n) evaluations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.nat(), fc.constantFrom('ends' as const, 'low-first' as const), async (n, t, start) => {
        const threshold = t % (n + 1);
        const { evaluator, batches } = stubEvaluator();
        const [found] = await firstPassing([search(n, threshold, start)], evaluator, 'test');
        expect(found).toBe(threshold === n ? null : threshold);
        const runs = batches.flat();
        expect(new Set(runs).size).toBe(runs.length);
        expect(runs.length).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(n)));
      }),
    );
  });

  it('runs the low end alone first with low-first, and stops there when it passes', async () => {
    const { evaluator, batches } = stubEvaluator();
    expect(await firstPassing([search(9, 0, 'low-first')], evaluator, 'test')).toEqual([0]);
    expect(batches).toEqual([[0]]);
  });

  it('advances several searches in lockstep, one batch per round, with extra requests in the first', async () => {
    const { evaluator, batches } = stubEvaluator();
    const extra = { config: ladder(100)[99], stage: 'test' };
    const found = await firstPassing([search(13, 5, 'ends'), search(7, 1, 'ends')], evaluator, 'test', [extra]);
    expect(found).toEqual([5, 1]);
    expect(batches[0]).toEqual([99, 0, 12, 0, 6]);
    expect(batches.length).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(13)));
  });
});
