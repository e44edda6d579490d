import { toSetList } from '../batch/override-values.js';
import { preflight } from '../run/preflight.js';
import { loadScenarioFile } from '../scenario/load.js';
import type { PlanBase } from './config.js';
import type { Evaluation } from './evaluation.js';

/**
 * The planner never recommends a rollout preflight says cannot finish: the cheapest feasible configurations, in
 * rank order, keep the first `limit` that preflight lets through (a search run can complete within its duration
 * and still stall in another world, e.g. when analyses pass on a good version). Preflight runs only on the few
 * configurations verification would consider.
 */
export function preflightAdmitted(base: PlanBase, ranked: readonly Evaluation[], limit: number, notes: string[]): Evaluation[] {
  const admitted: Evaluation[] = [];
  for (const evaluation of ranked) {
    if (admitted.length >= limit) break;
    const loaded = loadScenarioFile(base.file, [...base.baseOverrides, ...toSetList(evaluation.overrides)]);
    const report = preflight(loaded, { diagnose: false });
    if (report.verdict === 'stalled') {
      notes.push(`preflight: ${evaluation.id} (${evaluation.label}) cannot finish (blocked by ${report.blockedBy}); not recommended`);
      continue;
    }
    admitted.push(evaluation);
  }
  return admitted;
}
