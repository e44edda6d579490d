import { join } from 'node:path';
import { renderBacktestJson, renderBacktestMarkdown } from '../../../reports/backtest.js';
import { writeIntoSharedFolder } from '../../../reports/atomic-write.js';
import { backtest } from '../../calibrate/backtest.js';
import { loadCalibrationFile } from '../../config/calibration-file.js';
import { InputError } from '../../errors.js';
import { toStringList } from '../options.js';

export interface BacktestArgs {
  calibration: string;
  data?: unknown;
  tolerance?: unknown;
  scenario?: string;
  json?: boolean;
  out?: string;
}

/**
 * Prints the error table (Markdown, or JSON with --json; both into --out); exit 1 when an error is beyond its
 * --tolerance.
 */
export function backtestCommand(args: BacktestArgs): number {
  const calibration = loadCalibrationFile(args.calibration, args.calibration);
  const data = args.data === undefined ? undefined : toStringList(args.data);
  const report = backtest({ calibrationFile: args.calibration, calibration, data, tolerance: parseTolerances(toStringList(args.tolerance)), scenario: args.scenario });
  const markdown = renderBacktestMarkdown(report);
  const json = renderBacktestJson(report);
  if (args.out !== undefined) writeIntoSharedFolder(args.out, { 'backtest.md': markdown, 'backtest.json': json });
  process.stdout.write(args.json ? json : markdown);
  if (args.out !== undefined && !args.json) process.stdout.write(`wrote ${join(args.out, 'backtest.md')} and backtest.json\n`);
  return report.failures.length > 0 ? 1 : 0;
}

/**
 * `--tolerance 10%` (every mean), `--tolerance ttft=20%` (a metric's rows, e.g. ttft, ttft.mean, startup,
 * startup.weightLoad, rollout), `p95=30%` or `ttft.p95=30%` (tails are checked only when named); repeatable or
 * comma-separated; the most specific wins.
 */
export function parseTolerances(specs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of specs.flatMap((s) => s.split(','))) {
    const eq = spec.indexOf('=');
    const key = eq < 0 ? '' : spec.slice(0, eq).trim();
    const text = (eq < 0 ? spec : spec.slice(eq + 1)).trim();
    const value = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
    if (text === '' || !(value >= 0) || !Number.isFinite(value)) {
      throw new InputError({ expected: 'a relative error such as 10% or 0.1, optionally for one metric: ttft=20%', got: JSON.stringify(spec) }, '--tolerance');
    }
    out[key] = value;
  }
  return out;
}
