import type { PlanBase } from './config.js';
import type { Evaluation } from './evaluation.js';

/**
 * A cheaper run for the fresh seeds of verification and risk: they only check constraints, and every
 * constraint is settled once the rollout has finished and its last old pod has drained (drops happen by the
 * grace period after deletion begins, blue-green's blue goes after the soak). So those runs end at the rollout's
 * start + 1.25 × its longest duration on the search seeds + the grace period + the soak + a minute, rounded up
 * to a minute, instead of at spec.duration. A fresh seed whose rollout has not finished by then is run again
 * to spec.duration, so a slow seed still counts as what it is. Cost (extra GPU-hours over the whole run) is
 * never read from these runs.
 */

const DURATION_FACTOR = 1.25;
const SETTLE_SECONDS = 60;

/** The shortened spec.duration in seconds, or null when the run cannot be shortened. */
export function settledDuration(base: PlanBase, evaluation: Evaluation): number | null {
  const spec = base.loaded.scenario.spec;
  const rollout = spec.rollout;
  const config = evaluation.config;
  if (rollout === undefined || config === null) return null;
  const durations = evaluation.seeds.map((s) => s.values?.rolloutSeconds ?? null);
  if (durations.length === 0 || durations.some((d) => d === null)) return null;
  const longest = Math.max(...(durations as number[]));
  const soak = config.strategy.kind === 'blueGreen' ? config.strategy.scaleDownDelaySeconds : 0;
  const end = rollout.at + DURATION_FACTOR * longest + config.terminationGracePeriodSeconds + soak + SETTLE_SECONDS;
  const scripted = Math.max(rollout.at, ...rollout.promoteAt, rollout.abortAt ?? 0);
  const cut = Math.ceil(Math.max(end, scripted + SETTLE_SECONDS) / 60) * 60;
  return cut < spec.duration ? cut : null;
}
