import type { Estimate } from '../sim/batch/confidence.js';
import { RUN_METRICS, type RunMetric } from '../sim/batch/run-metrics.js';
import type { SweepTable } from '../sim/batch/sweep-table.js';
import { toCsv } from './csv.js';
import { escapeMarkdownCell } from './escape.js';
import { markdownTable } from './markdown.js';
import { formatEstimateOf } from './plan-format.js';

/** The metrics the Markdown table shows (the CSV has every one). */
const MARKDOWN_METRICS = ['rolloutSeconds', 'dropped', 'rejected', 'ttftP95Ms', 'spikeRatio', 'peakGpus', 'nodeGpuHours'];

/** sweep.md: every grid point with each metric's mean ± 95% CI over its seeds. */
export function renderSweepMarkdown(table: SweepTable): string {
  const metrics = RUN_METRICS.filter((m) => MARKDOWN_METRICS.includes(m.key));
  const header = ['#', ...table.gridKeys.map(shortPath), 'seeds', ...metrics.map((m) => m.label)];
  const rows = table.rows.map((row) => [
    String(row.point),
    ...table.gridKeys.map((k) => row.grid[k]),
    row.errors.length > 0 ? `${row.seeds.length} (${row.errors.length} failed: ${row.errors[0]})` : String(row.seeds.length),
    ...metrics.map((m) => formatEstimateOf(m, row.metrics[m.key])),
  ]);
  return [
    `### rollout-sim sweep: ${escapeMarkdownCell(table.sweep)}`,
    '',
    `${table.runs} runs of ${escapeMarkdownCell(table.scenario)} over ${table.rows.length} grid points · mean ± 95% CI over the seeds`,
    '',
    markdownTable({ header, rows }),
    '',
    `Grid paths: ${table.gridKeys.map((k) => `\`${k}\``).join(', ')}`,
    '',
  ].join('\n');
}

interface CsvRow {
  [column: string]: string | number | null;
}

/** sweep.csv: one row per grid point; each metric as mean, 95% CI half-width and the runs that measured it. */
export function renderSweepCsv(table: SweepTable): string {
  const columns = ['point', ...table.gridKeys, 'seeds', 'errors', ...RUN_METRICS.flatMap(metricColumns)];
  const rows: CsvRow[] = table.rows.map((row) => {
    const out: CsvRow = { point: row.point, ...row.grid, seeds: row.seeds.length, errors: row.errors.length };
    for (const m of RUN_METRICS) Object.assign(out, metricCells(m, row.metrics[m.key]));
    return out;
  });
  return toCsv(rows, columns);
}

function metricColumns(m: RunMetric): string[] {
  return [`${m.key}_mean`, `${m.key}_ci95`, `${m.key}_n`];
}

function metricCells(m: RunMetric, e: Estimate | null): CsvRow {
  const [mean, ci, n] = metricColumns(m);
  return { [mean]: e?.mean ?? null, [ci]: e?.halfWidth ?? null, [n]: e?.n ?? 0 };
}

/** `spec.rollout.strategy.rollingUpdate.maxSurge` → `rollingUpdate.maxSurge`: the last two parts say enough. */
function shortPath(path: string): string {
  return path.split('.').slice(-2).join('.');
}

/** The report files of a whole sweep, keyed by name. */
export function sweepReportFiles(table: SweepTable): Record<string, string> {
  return { 'sweep.md': renderSweepMarkdown(table), 'sweep.csv': renderSweepCsv(table) };
}
