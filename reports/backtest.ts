import type { BacktestReport, BacktestRow } from '../sim/calibrate/backtest.js';
import { markdownTable } from './markdown.js';

const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : `${x >= 0 ? '+' : '−'}${(Math.abs(x) * 100).toFixed(1)} %`);

/** Seconds as ms below 10 s (latencies), as s above (start-up phases, rollouts). */
function seconds(id: string, x: number): string {
  if (!Number.isFinite(x)) return '—';
  return id.startsWith('startup.') || id.startsWith('rollout.') ? `${x.toFixed(1)} s` : `${(x * 1000).toFixed(2)} ms`;
}

function verdict(row: BacktestRow): string {
  if (row.pass === null) return '';
  return row.pass ? `PASS (±${(row.tolerance! * 100).toFixed(0)} %)` : `FAIL (±${(row.tolerance! * 100).toFixed(0)} %)`;
}

/** The backtest's error table as Markdown: one row per metric, predicted / measured − 1, and the defaults' error. */
export function renderBacktestMarkdown(report: BacktestReport): string {
  const rows = report.rows.map((r) => [r.subject, r.id, r.basis, String(r.samples), seconds(r.id, r.measured), seconds(r.id, r.predicted), pct(r.error), pct(r.defaultsError), verdict(r)]);
  const table = markdownTable({ header: ['subject', 'metric', 'data', 'n', 'measured', 'simulated', 'error', 'error with defaults', 'tolerance'], rows });
  const verdictLine = report.failures.length === 0 ? 'Every checked error is within its tolerance.' : `Out of tolerance: ${report.failures.join(', ')}.`;
  return [`### rollout-sim backtest: ${report.calibration}`, '', table, '', verdictLine, ''].join('\n');
}

/** The same as JSON (NaN as null). */
export function renderBacktestJson(report: BacktestReport): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
