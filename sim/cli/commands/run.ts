import { resolve } from 'node:path';
import { writeRunOutputs } from '../../../reports/output.js';
import { TimeseriesCsvStream } from '../../../reports/timeseries-csv.js';
import { renderMarkdown } from '../../../reports/markdown.js';
import { renderSummaryJson } from '../../../reports/summary-json.js';
import { assertionExitCode, evaluateAssertions, type AssertionResult } from '../../run/assertions.js';
import type { RunResult } from '../../run/result.js';
import { runScenario } from '../../run/run-scenario.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { limitsFromFlags, parseSeed, printWarnings, toStringList } from '../options.js';
import { InputError } from '../../errors.js';
import { EXIT_ASSERTION_FAILED, EXIT_OK } from '../exit-codes.js';
import { readsAsGroupScenario, runGroupScenarioFile } from './check-groups.js';

export interface RunArgs {
  scenario: string;
  seed?: unknown;
  out?: string;
  json?: boolean;
  set?: unknown;
  requests?: boolean;
  svg?: boolean;
  'max-events'?: unknown;
  'max-memory'?: unknown;
  calibration?: string;
  catalog?: string;
}

export function printAssertions(results: readonly AssertionResult[], stream: NodeJS.WritableStream): void {
  for (const r of results) {
    const mark = r.passed ? 'PASS' : r.unknownField ? 'ERROR' : 'FAIL';
    const values = r.value ? ` (${Object.entries(r.value).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')})` : '';
    stream.write(`  ${mark}  ${r.expression}${values}${r.error ? `: ${r.error}` : ''}\n`);
  }
}

export async function runCommand(args: RunArgs): Promise<number> {
  if (readsAsGroupScenario(args.scenario)) return runGroupCommand(args);
  const calibration = args.calibration === undefined ? [] : [`spec.calibration=${JSON.stringify(resolve(args.calibration))}`];
  const catalog = args.catalog === undefined ? [] : [`spec.catalog=${JSON.stringify(resolve(args.catalog))}`];
  const loaded = loadScenarioFile(args.scenario, [...toStringList(args.set), ...calibration, ...catalog]);
  printWarnings(loaded);
  // The time series goes to its file window by window: a long run never holds it all.
  const timeseries = args.out ? new TimeseriesCsvStream(args.out) : undefined;
  let result: RunResult;
  try {
    result = runScenario(loaded, {
      seed: parseSeed(args.seed),
      limits: limitsFromFlags(args),
      collectRequests: args.requests === true,
      onWindow: timeseries?.write,
    });
    if (args.out) {
      await writeRunOutputs(args.out, result, { requests: args.requests === true, svg: args.svg !== false, timeseries });
      process.stderr.write(`wrote ${args.out}/ (summary.json, timeseries.csv, events.csv, report.md, report.html)\n`);
    }
  } finally {
    timeseries?.abort();
  }
  const assertions = evaluateAssertions(result.summary, loaded.scenario.spec.assertions);
  if (args.json) {
    process.stdout.write(renderSummaryJson(result));
  } else {
    process.stdout.write(renderMarkdown(result));
    if (assertions.length > 0) {
      process.stdout.write('\nAssertions:\n');
      printAssertions(assertions, process.stdout);
    }
  }
  if (args.json && assertions.some((a) => !a.passed)) printAssertions(assertions.filter((a) => !a.passed), process.stderr);
  return assertionExitCode(assertions);
}

/** A group-level document (kind LwsRollout or PdRollout, docs/multi-node.md): its summary and assertions. */
function runGroupCommand(args: RunArgs): number {
  if (args.out !== undefined || args.set !== undefined || args.seed !== undefined) {
    throw new InputError(`--out, --set and --seed do not apply to a group-level document (kind LwsRollout or PdRollout); run it without them`, args.scenario);
  }
  const result = runGroupScenarioFile(args.scenario);
  const failed = result.assertions.filter((a) => !a.passed);
  if (args.json) process.stdout.write(`${JSON.stringify({ scenario: result.name, ...result.summary }, null, 2)}\n`);
  else {
    process.stdout.write(`${result.name} (group level)\n${JSON.stringify(result.summary, null, 2)}\n`);
    if (result.assertions.length > 0) process.stdout.write('\nAssertions:\n');
  }
  for (const a of args.json ? failed : result.assertions) {
    (args.json ? process.stderr : process.stdout).write(`  ${a.passed ? 'PASS' : a.error ? 'ERROR' : 'FAIL'}  ${a.expression}${a.value ? ` (${a.value})` : ''}${a.error ? `: ${a.error}` : ''}\n`);
  }
  return failed.length > 0 ? EXIT_ASSERTION_FAILED : EXIT_OK;
}
