import { preflight, type PreflightReport } from '../../run/preflight.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { EXIT_ASSERTION_FAILED, EXIT_OK } from '../exit-codes.js';
import { parseSeed, printWarnings, toStringList } from '../options.js';
import { groupVerdictText, readsAsGroupScenario, runGroupScenarioFile } from './check-groups.js';

export interface PreflightArgs {
  scenario: string;
  seed?: unknown;
  set?: unknown;
  json?: boolean;
}

/** `rollout-sim preflight`: will the rollout finish? Exit 1 when it cannot. */
export function preflightCommand(args: PreflightArgs): number {
  if (readsAsGroupScenario(args.scenario)) {
    const result = runGroupScenarioFile(args.scenario);
    const verdict = groupVerdictText(result);
    process.stdout.write(args.json ? `${JSON.stringify({ scenario: result.name, stalled: verdict.stalled, ...result.summary }, null, 2)}\n` : verdict.text);
    return verdict.stalled ? EXIT_ASSERTION_FAILED : EXIT_OK;
  }
  const loaded = loadScenarioFile(args.scenario, toStringList(args.set));
  printWarnings(loaded);
  const report = preflight(loaded, { seed: parseSeed(args.seed) });
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatPreflight(report));
  return report.verdict === 'stalled' ? EXIT_ASSERTION_FAILED : EXIT_OK;
}

export function formatPreflight(r: PreflightReport): string {
  if (r.verdict === 'no-rollout') return `${r.scenario}: no rollout to check (spec.rollout is not set)\n`;
  if (r.verdict === 'completes') {
    return `${r.scenario}: the ${r.strategy} rollout finishes (${r.outcome} at t=${Math.round(r.finishedAt ?? 0)}s, traffic not simulated)\n`;
  }
  const lines = [
    `${r.scenario}: the ${r.strategy} rollout cannot finish (stalled)`,
    `  blocked by: ${r.blockedBy}${r.reason ? ` — ${r.reason}` : ''}`,
    `  fewest extra GPUs that let it finish: ${r.minExtraGpus ?? 'none found'}`,
  ];
  if (r.fixes.length === 0) lines.push('  no verified fix');
  else {
    lines.push('  fixes verified by a re-run:');
    for (const fix of r.fixes) lines.push(`    - ${fix.text} (finishes at t=${Math.round(fix.finishedAt)}s)`);
  }
  lines.push(`  (${r.runs} rollout-only simulations)`);
  return `${lines.join('\n')}\n`;
}
