import type { TopLevelSpec } from 'vega-lite';
import { estimate, formatEstimate, type Estimate } from '../sim/batch/confidence.js';
import type { RunOutcome } from '../sim/batch/run-spec.js';
import type { RolloutOutcome, Summary } from '../sim/metrics/summary-types.js';
import { writeOutputFolder } from './atomic-write.js';
import { toCsv } from './csv.js';
import { escapeHtml, escapeMarkdownCell } from './escape.js';
import { formatCount } from './format.js';
import { htmlTable, renderChartPage, type PageChart } from './html.js';
import { markdownTable } from './markdown.js';
import type { TextTable } from './summary-table.js';

/** A figure of the comparison: read from each run's summary, then averaged over the seeds with a 95% CI. */
interface CompareMetric {
  key: string;
  label: string;
  digits: number;
  pick(summary: Summary): number | null;
}

/** Figures counted in whole units (requests, replicas, GPUs): their axes need no fractional ticks. */
const WHOLE_UNITS: ReadonlySet<string> = new Set(['dropped', 'rejected', 'minReadyReplicas', 'peakGpus', 'surgeGpus']);

export const COMPARE_METRICS = [
  { key: 'spikeRatio', label: 'spike ratio', digits: 2, pick: (s: Summary) => s.latency.spikeRatio },
  { key: 'ttftP95Ms', label: 'TTFT p95 (ms)', digits: 0, pick: (s: Summary) => s.latency.rollout.ttftP95Ms },
  { key: 'ttftP99Ms', label: 'TTFT p99 (ms)', digits: 0, pick: (s: Summary) => s.latency.rollout.ttftP99Ms },
  { key: 'dropped', label: 'dropped', digits: 0, pick: (s: Summary) => s.requests.dropped },
  { key: 'rejected', label: 'rejected', digits: 0, pick: (s: Summary) => s.requests.rejected },
  { key: 'minReadyReplicas', label: 'min ready', digits: 0, pick: (s: Summary) => s.rollout.minReadyReplicas },
  { key: 'peakGpus', label: 'peak GPUs', digits: 0, pick: (s: Summary) => s.capacity.peakGpus },
  { key: 'surgeGpus', label: 'surge GPUs', digits: 0, pick: (s: Summary) => s.capacity.surgeGpus },
  {
    key: 'rolloutMinutes',
    label: 'rollout (min)',
    digits: 1,
    pick: (s: Summary) => (s.rollout.durationSeconds === null ? null : s.rollout.durationSeconds / 60),
  },
  { key: 'gpuHours', label: 'GPU-hours', digits: 1, pick: (s: Summary) => s.capacity.gpuHours },
] as const satisfies readonly CompareMetric[];

export type CompareMetricKey = (typeof COMPARE_METRICS)[number]['key'];

/**
 * What an adapter rollout costs (docs/lora.md), shown in a table of its own when the runs serve LoRA adapters:
 * the in-pool rewrite pays in adapter loads and the TTFT of the requests that wait for them, the two-pool split
 * in GPU-hours.
 */
export const LORA_COMPARE_METRICS = [
  { key: 'adapterLoads', label: 'adapter loads', digits: 0, pick: (s: Summary) => s.lora?.adapterLoads ?? null },
  { key: 'missRequests', label: 'adapter-miss requests', digits: 0, pick: (s: Summary) => s.lora?.missRequests ?? null },
  { key: 'missTtftP50Ms', label: 'miss TTFT p50 (ms)', digits: 0, pick: (s: Summary) => s.lora?.missTtftP50Ms ?? null },
  { key: 'missTtftDeltaP50Ms', label: 'miss - hit TTFT p50 (ms)', digits: 0, pick: (s: Summary) => s.lora?.missTtftDeltaP50Ms ?? null },
  { key: 'surgeGpus', label: 'extra GPUs', digits: 0, pick: (s: Summary) => (s.lora ? s.capacity.surgeGpus : null) },
  { key: 'extraGpuHours', label: 'extra GPU-hours', digits: 2, pick: (s: Summary) => s.lora?.extraGpuHours ?? null },
] as const satisfies readonly CompareMetric[];

export type LoraCompareMetricKey = (typeof LORA_COMPARE_METRICS)[number]['key'];

/**
 * What a start-up lever changes (the summary's startup group): time to ready per pod (binding → first Ready),
 * the first new pod (every cache cold) against the later ones, and where the loads and compiles found their
 * bytes. Rollout duration and GPU-hours are in the main table.
 */
export const STARTUP_COMPARE_METRICS = [
  { key: 'podsReady', label: 'pods ready', digits: 0, pick: (s: Summary) => s.startup.podsReady },
  { key: 'timeToReadyMeanSeconds', label: 'time to ready mean (s)', digits: 1, pick: (s: Summary) => s.startup.timeToReadyMeanSeconds },
  { key: 'timeToReadyMaxSeconds', label: 'time to ready max (s)', digits: 1, pick: (s: Summary) => s.startup.timeToReadyMaxSeconds },
  { key: 'firstNewPodSeconds', label: 'first new pod (s)', digits: 1, pick: (s: Summary) => s.startup.firstNewPodSeconds },
  { key: 'laterNewPodsMeanSeconds', label: 'later new pods mean (s)', digits: 1, pick: (s: Summary) => s.startup.laterNewPodsMeanSeconds },
  { key: 'peerCopies', label: 'peer copies', digits: 0, pick: (s: Summary) => s.startup.peerCopies },
  { key: 'peerFallbacks', label: 'peer fallbacks', digits: 0, pick: (s: Summary) => s.startup.peerFallbacks },
  { key: 'compileCacheHits', label: 'compile cache hits', digits: 0, pick: (s: Summary) => s.startup.compileCacheHits },
  { key: 'compileColdRuns', label: 'cold compiles', digits: 0, pick: (s: Summary) => s.startup.compileColdRuns },
] as const satisfies readonly CompareMetric[];

export type StartupCompareMetricKey = (typeof STARTUP_COMPARE_METRICS)[number]['key'];

const OUTCOMES: readonly RolloutOutcome[] = ['completed', 'rolled-back', 'aborted', 'stalled', 'none'];

/** One strategy on one model size, over every seed. */
export interface CompareRow {
  strategy: string;
  runs: number;
  outcomes: Partial<Record<RolloutOutcome, number>>;
  /**
   * Runs whose rollout did not complete (stalled, aborted, rolled back, never started) or that failed: their
   * figures (no surge, no spike) would otherwise look like the best, so the row is marked and ranked last.
   */
  notCompleted: number;
  /** Bad input in a run (e.g. an override the scenario rejects): that run has no figures. */
  errors: string[];
  /** Why rollouts did not complete, e.g. "stalled: still in progress when the simulation ended". */
  reasons: string[];
  metrics: Record<CompareMetricKey, Estimate | null>;
  /** The LoRA figures, when the runs serve adapters. */
  lora?: Record<LoraCompareMetricKey, Estimate | null>;
  /** The start-up figures, when pods started during the runs. */
  startup?: Record<StartupCompareMetricKey, Estimate | null>;
}

export interface CompareFleet {
  tensorParallel: number;
  weightDtype: string;
  replicas: number;
  pools: { name: string; gpu: string; gpusPerNode: number; nodes: number; maxNodes?: number }[];
}

export interface CompareGroup {
  model: string;
  fleet: CompareFleet;
  rows: CompareRow[];
}

export interface CompareReport {
  scenario: string;
  hash: string;
  /** Every variant ran on these seeds (common random numbers). */
  seeds: number[];
  /**
   * Strategy (or variant) name → the strategy as run, e.g. `rollingUpdate {"maxSurge":"25%","maxUnavailable":0}`,
   * or a variant's overrides, e.g. `spec.startup.fromPeers=true`.
   */
  strategies: Record<string, string>;
  /** What the rows vary: 'strategy' (default) or 'variant' (start-up levers, named override groups). */
  rowLabel?: 'strategy' | 'variant';
  groups: CompareGroup[];
}

/** Averages the runs of one strategy on one model size (in any order; runs without a summary count as errors). */
export function compareRow(strategy: string, outcomes: readonly RunOutcome[]): CompareRow {
  const summaries = outcomes.flatMap((o) => (o.summary ? [o.summary] : []));
  const counts: Partial<Record<RolloutOutcome, number>> = {};
  for (const s of summaries) counts[s.rollout.outcome] = (counts[s.rollout.outcome] ?? 0) + 1;
  const estimates = (list: readonly CompareMetric[]) =>
    Object.fromEntries(list.map((m) => [m.key, estimate(summaries.map(m.pick).filter((v): v is number => v !== null))]));
  const metrics = estimates(COMPARE_METRICS) as Record<CompareMetricKey, Estimate | null>;
  const lora = summaries.some((s) => s.lora !== undefined) ? (estimates(LORA_COMPARE_METRICS) as Record<LoraCompareMetricKey, Estimate | null>) : undefined;
  const started = summaries.some((s) => s.startup !== undefined && s.startup.podsReady > 0);
  const startup = started ? (estimates(STARTUP_COMPARE_METRICS) as Record<StartupCompareMetricKey, Estimate | null>) : undefined;
  const errors = outcomes.flatMap((o) => (o.error === undefined ? [] : [o.error]));
  const reasons = summaries.flatMap(({ rollout }) => (rollout.outcome !== 'completed' && rollout.reason ? [`${rollout.outcome}: ${rollout.reason}`] : []));
  const notCompleted = outcomes.length - (counts.completed ?? 0);
  return { strategy, runs: outcomes.length, outcomes: counts, notCompleted, errors, reasons: [...new Set(reasons)], metrics, ...(lora ? { lora } : {}), ...(startup ? { startup } : {}) };
}

/**
 * The rows as the table shows them: strategies whose every run completed first, in the order asked for, then the
 * others by the share of their runs that did not complete. No figure ranks the completed ones: which one is best
 * depends on what the reader weighs (GPUs, latency, time).
 */
export function rankCompareRows(rows: readonly CompareRow[]): CompareRow[] {
  const share = (row: CompareRow) => (row.runs === 0 ? 1 : row.notCompleted / row.runs);
  return [...rows].sort((a, b) => share(a) - share(b));
}

// ------------------------------------------------------------------------------------------------- tables

/** "blue-green ⚠ not completed" (every run), "rolling ⚠ 1 of 3 not completed" (some). */
function strategyCell(row: CompareRow): string {
  if (row.notCompleted === 0) return row.strategy;
  const some = row.notCompleted < row.runs ? `${row.notCompleted} of ${row.runs} ` : '';
  return `${row.strategy} ⚠ ${some}not completed`;
}

function outcomesCell(row: CompareRow): string {
  const parts = OUTCOMES.filter((o) => row.outcomes[o]).map((o) => `${o} ${row.outcomes[o]}`);
  if (row.errors.length > 0) parts.push(`error ${row.errors.length}`);
  return parts.join(', ');
}

/** "412 ± 18", with the number of runs behind it when some runs had no value (e.g. no rollout duration). */
function metricCell(row: CompareRow, metric: CompareMetric, figures: Readonly<Record<string, Estimate | null>> = row.metrics): string {
  const e = figures[metric.key] ?? null;
  const measured = row.runs - row.errors.length;
  return formatEstimate(e, metric.digits) + (e !== null && e.n < measured ? ` (n=${e.n})` : '');
}

export function compareTable(group: CompareGroup, rowLabel: CompareReport['rowLabel'] = 'strategy'): TextTable {
  return {
    header: [rowLabel, 'outcomes', ...COMPARE_METRICS.map((m) => m.label)],
    rows: group.rows.map((row) => [strategyCell(row), outcomesCell(row), ...COMPARE_METRICS.map((m) => metricCell(row, m))]),
  };
}

/** The LoRA figures of a model size's strategies, or null when none of its runs serves adapters. */
export function loraCompareTable(group: CompareGroup): TextTable | null {
  const rows = group.rows.filter((row) => row.lora !== undefined);
  if (rows.length === 0) return null;
  return {
    header: ['strategy', ...LORA_COMPARE_METRICS.map((m) => m.label)],
    rows: rows.map((row) => [strategyCell(row), ...LORA_COMPARE_METRICS.map((m) => metricCell(row, m, row.lora))]),
  };
}

/** The start-up figures of a model size's rows, or null when no pod started during its runs. */
export function startupCompareTable(group: CompareGroup, rowLabel: CompareReport['rowLabel'] = 'strategy'): TextTable | null {
  const rows = group.rows.filter((row) => row.startup !== undefined);
  if (rows.length === 0) return null;
  return {
    header: [rowLabel, ...STARTUP_COMPARE_METRICS.map((m) => m.label)],
    rows: rows.map((row) => [strategyCell(row), ...STARTUP_COMPARE_METRICS.map((m) => metricCell(row, m, row.startup))]),
  };
}

/** "TP4 bf16 · 16 replicas · h100: 10 nodes (autoscaled up to 18) of 8 × h100-80gb". */
export function fleetLine(fleet: CompareFleet): string {
  const pools = fleet.pools.map((p) => {
    const growth = p.maxNodes !== undefined && p.maxNodes > p.nodes ? ` (autoscaled up to ${p.maxNodes})` : '';
    return `${p.name}: ${p.nodes} nodes${growth} of ${p.gpusPerNode} × ${p.gpu}`;
  });
  return [`TP${fleet.tensorParallel} ${fleet.weightDtype}`, `${formatCount(fleet.replicas)} replicas`, ...pools].join(' · ');
}

function seedsLine(report: CompareReport): string {
  const seeds = report.seeds.length === 1 ? `seed ${report.seeds[0]}` : `seeds ${report.seeds.join(', ')}`;
  const ci = report.seeds.length > 1 ? 'mean ± 95% CI half-width' : 'one run each (add --seeds N for confidence intervals)';
  return `${seeds}, the same for every variant · ${ci} · scenario hash ${report.hash}`;
}

/** What the figures mean, under the tables. */
const READING_NOTES = [
  'TTFT p95/p99 are over the rollout; the spike ratio is the worst metrics window\'s TTFT p95 (10 s windows by default) over the baseline\'s.',
  'Latency covers completed requests only: requests refused during an outage (recreate) count as rejected instead.',
  'Strategies marked ⚠ did not complete every run (stalled, aborted, rolled back, never started, or an error): they are listed last, as their figures do not describe a finished rollout.',
  'min ready: fewest ready replicas (both versions) during the rollout; surge GPUs: peak GPUs held above the steady fleet.',
];

/** Errors and unfinished rollouts of a model size, one line each. */
function rowNotes(group: CompareGroup): string[] {
  return group.rows.flatMap((row) => [
    ...[...new Set(row.errors)].map((error) => `${row.strategy}: error: ${error}`),
    ...row.reasons.map((reason) => `${row.strategy}: ${reason}`),
  ]);
}

// ------------------------------------------------------------------------------------------------- Markdown

export function renderCompareMarkdown(report: CompareReport): string {
  const lines = [`## rollout-sim compare: ${escapeMarkdownCell(report.scenario)}`, '', escapeMarkdownCell(seedsLine(report)), ''];
  for (const group of report.groups) {
    lines.push(`### ${escapeMarkdownCell(group.model)}`, '', escapeMarkdownCell(fleetLine(group.fleet)), '', markdownTable(compareTable(group, report.rowLabel)), '');
    const startup = startupCompareTable(group, report.rowLabel);
    if (startup !== null) lines.push('Start-up (binding → first Ready, initial fleet excluded):', '', markdownTable(startup), '');
    const lora = loraCompareTable(group);
    if (lora !== null) lines.push('LoRA adapters:', '', markdownTable(lora), '');
    const notes = rowNotes(group);
    if (notes.length > 0) lines.push(...notes.map((note) => `- ${escapeMarkdownCell(note)}`), '');
  }
  lines.push(report.rowLabel === 'variant' ? 'Variants as run:' : 'Strategies as run:', '');
  for (const [name, description] of Object.entries(report.strategies)) lines.push(`- ${escapeMarkdownCell(name)}: ${escapeMarkdownCell(description)}`);
  lines.push('', ...READING_NOTES.map((note) => `<sub>${escapeMarkdownCell(note)}</sub><br>`), '');
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------------------- CSV

/** One row per model and strategy: outcome counts, then each figure's mean, CI half-width and run count. */
export function renderCompareCsv(report: CompareReport): string {
  const rows = report.groups.flatMap((group) =>
    group.rows.map((row) => {
      const record: Record<string, string | number | null> = {
        model: group.model,
        tensorParallel: group.fleet.tensorParallel,
        weightDtype: group.fleet.weightDtype,
        replicas: group.fleet.replicas,
        strategy: row.strategy,
        runs: row.runs,
        errors: row.errors.length,
      };
      for (const outcome of OUTCOMES) record[outcome] = row.outcomes[outcome] ?? 0;
      for (const m of COMPARE_METRICS) addEstimate(record, m.key, row.metrics[m.key]);
      for (const m of STARTUP_COMPARE_METRICS) addEstimate(record, `startup.${m.key}`, row.startup?.[m.key] ?? null);
      return record;
    }),
  );
  const columns = [
    'model', 'tensorParallel', 'weightDtype', 'replicas', 'strategy', 'runs', 'errors', ...OUTCOMES,
    ...[...COMPARE_METRICS.map((m) => m.key), ...STARTUP_COMPARE_METRICS.map((m) => `startup.${m.key}`)].flatMap((key) => [`${key}Mean`, `${key}Ci95`, `${key}N`]),
  ];
  return toCsv(rows, columns);
}

function addEstimate(record: Record<string, string | number | null>, key: string, e: Estimate | null): void {
  record[`${key}Mean`] = e?.mean ?? null;
  record[`${key}Ci95`] = e?.halfWidth ?? null;
  record[`${key}N`] = e?.n ?? 0;
}

// ------------------------------------------------------------------------------------------------- HTML

const FACET_WIDTH = 200;
const FACET_HEIGHT = 150;

/** The start-up figures charted when the runs started pods: what a lever is for. */
const STARTUP_CHARTS: ReadonlySet<StartupCompareMetricKey> = new Set(['timeToReadyMeanSeconds', 'firstNewPodSeconds', 'laterNewPodsMeanSeconds']);

/**
 * One chart per figure: a bar per strategy with its 95% CI, one panel per model size (own y scale each); then
 * the time-to-ready figures when any row has start-ups.
 */
export function compareCharts(report: CompareReport): PageChart[] {
  const started = report.groups.some((g) => g.rows.some((row) => row.startup !== undefined));
  const startupCharts = started ? STARTUP_COMPARE_METRICS.filter((m) => STARTUP_CHARTS.has(m.key)) : [];
  return [
    ...COMPARE_METRICS.map((metric) => metricChart(report, metric, (row) => row.metrics[metric.key])),
    ...startupCharts.map((metric) => metricChart(report, metric, (row) => row.startup?.[metric.key] ?? null, 'startup-')),
  ];
}

function metricChart(report: CompareReport, metric: CompareMetric, figure: (row: CompareRow) => Estimate | null, idPrefix = ''): PageChart {
  const strategies = Object.keys(report.strategies);
  const models = report.groups.map((g) => g.model);
  const withSpread = report.seeds.length > 1;
  const values = report.groups.flatMap((group) =>
    group.rows.flatMap((row) => {
      const e = figure(row);
      return e === null ? [] : [{ model: group.model, strategy: row.strategy, mean: e.mean, lo: e.lo, hi: e.hi, n: e.n }];
    }),
  );
  const x = { field: 'strategy', type: 'nominal' as const, sort: strategies, title: null, axis: { labelAngle: 0 } };
  // A figure that is 0 everywhere (no drops at all) would give vega an empty domain and a "0.000000" axis.
  const allZero = values.every((v) => v.hi === 0);
  const y = {
    field: 'mean',
    type: 'quantitative' as const,
    title: null,
    ...(allZero ? { scale: { domain: [0, 1] } } : {}),
    ...(WHOLE_UNITS.has(metric.key) ? { axis: { tickMinStep: 1 } } : {}),
  };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: metric.label,
    data: { values },
    facet: { column: { field: 'model', type: 'nominal', sort: models, title: null } },
    spec: {
      width: FACET_WIDTH,
      height: FACET_HEIGHT,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x,
            y,
            color: { field: 'strategy', type: 'nominal', scale: { domain: strategies, scheme: 'tableau10' }, legend: null },
            tooltip: [
              { field: 'model', type: 'nominal' },
              { field: 'strategy', type: 'nominal' },
              { field: 'mean', type: 'quantitative', format: `.${metric.digits}f` },
              { field: 'n', type: 'quantitative', title: 'runs' },
            ],
          },
        },
        ...(withSpread
          ? [{ mark: { type: 'rule' as const, color: '#222' }, encoding: { x, y: { field: 'lo', type: 'quantitative' as const }, y2: { field: 'hi' } } }]
          : []),
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
  return { id: `compare-${idPrefix}${metric.key}`, spec };
}

function startupHtml(group: CompareGroup, rowLabel: CompareReport['rowLabel']): string[] {
  const table = startupCompareTable(group, rowLabel);
  return table === null ? [] : ['<h3>Start-up</h3>', htmlTable(table, 'compare-startup')];
}

function loraHtml(group: CompareGroup): string[] {
  const table = loraCompareTable(group);
  return table === null ? [] : ['<h3>LoRA adapters</h3>', htmlTable(table, 'compare-lora')];
}

export function renderCompareHtml(report: CompareReport): string {
  const sections = report.groups.flatMap((group) => [
    `<h2>${escapeHtml(group.model)}</h2>`,
    `<p class="note">${escapeHtml(fleetLine(group.fleet))}</p>`,
    htmlTable(compareTable(group, report.rowLabel), 'compare'),
    ...startupHtml(group, report.rowLabel),
    ...loraHtml(group),
    ...rowNotes(group).map((note) => `<p class="note">${escapeHtml(note)}</p>`),
  ]);
  const strategies = Object.entries(report.strategies).map(
    ([name, description]) => `<li>${escapeHtml(name)}: <code>${escapeHtml(description)}</code></li>`,
  );
  return renderChartPage({
    title: `rollout-sim compare: ${report.scenario}`,
    meta: seedsLine(report),
    sections: [
      ...sections,
      `<h2>${report.rowLabel === 'variant' ? 'Variants' : 'Strategies'} as run</h2>`,
      `<ul class="note">${strategies.join('')}</ul>`,
      ...READING_NOTES.map((note) => `<p class="note">${escapeHtml(note)}</p>`),
    ],
    charts: compareCharts(report),
  });
}

/** compare.md, compare.csv, compare.html and compare.json in `dir` (other files there are left alone). */
export function writeCompareOutputs(dir: string, report: CompareReport): void {
  writeOutputFolder(dir, {
    'compare.md': renderCompareMarkdown(report),
    'compare.csv': renderCompareCsv(report),
    'compare.html': renderCompareHtml(report),
    'compare.json': `${JSON.stringify(report, null, 2)}\n`,
  });
}
