import type { ScenarioCheckResult } from './junit.js';
import { markdownTable } from './markdown.js';
import type { TextTable } from './summary-table.js';

/** PASS, FAIL (the assertion is false) or ERROR (it could not be evaluated, or the scenario is invalid). */
function verdict(assertion: ScenarioCheckResult['assertions'][number]): string {
  if (assertion.error !== undefined) return 'ERROR';
  return assertion.passed ? 'PASS' : 'FAIL';
}

function measuredCell(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Counts over every assertion, e.g. "3 scenarios, 9 assertions: 8 passed, 1 failed, 0 errors". */
export function checkTotals(results: readonly ScenarioCheckResult[]): string {
  const all = results.flatMap((r) => r.assertions);
  const errors = all.filter((a) => a.error !== undefined).length;
  const failed = all.filter((a) => !a.passed && a.error === undefined).length;
  return `${results.length} scenario${results.length === 1 ? '' : 's'}, ${all.length} assertions: ${all.length - failed - errors} passed, ${failed} failed, ${errors} error${errors === 1 ? '' : 's'}`;
}

/** One row per assertion (one for a scenario without any): result, scenario file, assertion, seed, measured value. */
export function checkTable(results: readonly ScenarioCheckResult[]): TextTable {
  const rows = results.flatMap((r) => {
    if (r.assertions.length === 0) return [['—', r.file, 'no assertions: not run', '', '']];
    const seed = r.seed === undefined ? '' : String(r.seed);
    return r.assertions.map((a) => [verdict(a), r.file, a.expression, seed, [measuredCell(a.value), a.error ?? ''].filter(Boolean).join('; ')]);
  });
  return { header: ['result', 'scenario', 'assertion', 'seed', 'measured'], rows };
}

/** For the GitHub step summary. */
export function renderCheckMarkdown(results: readonly ScenarioCheckResult[]): string {
  return ['### rollout-sim check', '', markdownTable(checkTable(results)), '', checkTotals(results), ''].join('\n');
}

/** For a terminal: columns padded to line up, text as it is (no Markdown escapes). */
export function renderCheckText(results: readonly ScenarioCheckResult[]): string {
  const { header, rows } = checkTable(results);
  const lines = [header, ...rows].map((cells) => cells.map((cell) => cell.replace(/\s+/g, ' ')));
  const widths = header.map((_, i) => Math.max(...lines.map((cells) => cells[i].length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [format(lines[0]), ...lines.slice(1).map(format), '', checkTotals(results), ''].join('\n');
}
