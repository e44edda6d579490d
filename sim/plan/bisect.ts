import type { PlanConfig } from './config.js';
import type { ConstraintKey } from './constraints.js';
import type { Evaluation } from './evaluation.js';
import type { EvaluationRequest, Evaluator } from './evaluator.js';

/**
 * A knob whose effect on one constraint is monotone along its ladder: the configurations fail, then pass, and
 * never fail again (more grace never drops more; more surge never slows the rollout). Bisection then finds
 * the first passing one in about log2(n) evaluations instead of n.
 */
export interface MonotoneSearch {
  readonly configs: readonly PlanConfig[];
  passes(e: Evaluation): boolean;
  /**
   * 'ends': run both ends first (when the cheap end is expected to fail, e.g. no drain at all);
   * 'low-first': run the low end alone first (when it is expected to pass, e.g. Argo's default soak).
   */
  readonly start: 'ends' | 'low-first';
  /** The constraints `passes` reads: one seed violating them settles a configuration (its later seeds are not run). */
  readonly stopOn?: readonly ConstraintKey[];
}

interface State {
  /** Highest index known to fail (−1: none known). */
  lo: number;
  /** Lowest index known to pass (n: none known). */
  hi: number;
  done: boolean;
}

/**
 * The index of the first passing configuration of each search (null when even the last fails). The searches
 * advance in lockstep and each round's configurations run as one batch, so independent knobs share the
 * workers; `alsoRun` joins the first batch.
 */
export async function firstPassing(
  searches: readonly MonotoneSearch[],
  evaluator: Evaluator,
  stage: string,
  alsoRun: readonly EvaluationRequest[] = [],
): Promise<(number | null)[]> {
  const states: State[] = searches.map((s) => ({ lo: -1, hi: s.configs.length, done: s.configs.length === 0 }));
  let extra = alsoRun;
  for (;;) {
    const asks: { search: number; index: number }[] = [];
    searches.forEach((s, i) => {
      const st = states[i];
      if (st.done) return;
      const n = s.configs.length;
      if (st.lo === -1 && st.hi === n) {
        asks.push({ search: i, index: 0 });
        if (s.start === 'ends' && n > 1) asks.push({ search: i, index: n - 1 });
      } else if (st.hi === n) {
        asks.push({ search: i, index: n - 1 });
      } else {
        asks.push({ search: i, index: (st.lo + st.hi) >> 1 });
      }
    });
    if (asks.length === 0) {
      if (extra.length > 0) await evaluator.evaluate(extra);
      break;
    }
    const requests = [...extra, ...asks.map((a) => ({ config: searches[a.search].configs[a.index], stage, stopOn: searches[a.search].stopOn }))];
    extra = [];
    const results = (await evaluator.evaluate(requests)).slice(requests.length - asks.length);
    asks.forEach((a, k) => {
      const st = states[a.search];
      if (searches[a.search].passes(results[k])) st.hi = Math.min(st.hi, a.index);
      else st.lo = Math.max(st.lo, a.index);
    });
    searches.forEach((s, i) => {
      const st = states[i];
      const n = s.configs.length;
      if (st.done) return;
      if (st.hi === 0 || st.hi - st.lo === 1 || st.lo === n - 1) st.done = true;
    });
  }
  return states.map((st, i) => (st.hi < searches[i].configs.length ? st.hi : null));
}
