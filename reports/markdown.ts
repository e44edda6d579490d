import type { RunResult } from '../sim/run/result.js';
import { writeFileAtomic } from './atomic-write.js';
import { escapeMarkdownCell } from './escape.js';
import { keyFiguresTable, latencyTable } from './summary-table.js';
import type { TextTable } from './summary-table.js';

/** A text table as a Markdown table, every cell escaped. */
export function markdownTable(table: TextTable): string {
  const line = (cells: string[]) => `| ${cells.map(escapeMarkdownCell).join(' | ')} |`;
  return [line(table.header), `|${table.header.map(() => '---').join('|')}|`, ...table.rows.map(line)].join('\n');
}

/** report.md: the run's key figures and latency break-down as Markdown tables, ready to paste in a PR. */
export function renderMarkdown(result: RunResult): string {
  return [
    `### rollout-sim: ${escapeMarkdownCell(result.scenario.name)}`,
    '',
    markdownTable(keyFiguresTable(result)),
    '',
    markdownTable(latencyTable(result.summary.latency)),
    '',
    `<sub>scenario hash ${escapeMarkdownCell(result.scenario.hash)}</sub>`,
    '',
  ].join('\n');
}

export function writeMarkdown(path: string, result: RunResult): void {
  writeFileAtomic(path, renderMarkdown(result));
}
