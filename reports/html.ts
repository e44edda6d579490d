import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InternalError } from '../sim/errors.js';
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../sim/run/result.js';
import { writeFileAtomic } from './atomic-write.js';
import { buildCharts } from './charts.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { keyFiguresTable, latencyTable } from './summary-table.js';
import type { TextTable } from './summary-table.js';

/** Browser bundles inlined in the page, in load order (vega-lite and vega-embed expect the globals before them). */
const BUNDLES = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
] as const;

/** The element id of a chart; the page sets `document.body.dataset.chartsRendered` once all have rendered. */
export const chartElementId = (chartId: string): string => `chart-${chartId}`;

let bundleScripts: string[] | null = null;

/** The file of an installed package; its "exports" map hides build/*.min.js, so walk up from its entry point. */
function packageFile(name: string, file: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) return join(dir, file);
    const parent = dirname(dir);
    if (parent === dir) throw new InternalError(`cannot find the folder of the installed package ${name}`);
    dir = parent;
  }
}

function bundles(): string[] {
  bundleScripts ??= BUNDLES.map(([name, file]) => {
    const source = readFileSync(packageFile(name, file), 'utf8');
    // Either sequence would end or derail the inline <script> element.
    if (/<\/script|<!--/i.test(source)) throw new InternalError(`${name}/${file} cannot be inlined in a <script> element`);
    return source;
  });
  return bundleScripts;
}

/**
 * A text table as an HTML table; the first cell of each row is its heading. It sits in a box that scrolls
 * sideways, so a table wider than the page never widens the page itself (issue 21: plan.html was 4,044 px wide).
 */
export function htmlTable(table: TextTable, className: string): string {
  const cells = (tag: string, row: string[]) => row.map((cell) => `<${tag}>${escapeHtml(cell)}</${tag}>`).join('');
  return [
    '<div class="wide">',
    `<table class="${className}">`,
    `<thead><tr>${cells('th', table.header)}</tr></thead>`,
    '<tbody>',
    ...table.rows.map(([label, ...values]) => `<tr><th>${escapeHtml(label)}</th>${cells('td', values)}</tr>`),
    '</tbody>',
    '</table>',
    '</div>',
  ].join('\n');
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 980px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; }
.meta { color: #666; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
thead th { background: #f4f4f4; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
table.latency td, table.compare td { text-align: right; font-variant-numeric: tabular-nums; }
table.compare { font-size: 12.5px; }
table.compare th, table.compare td { padding: 0.25rem 0.4rem; }
table.compare td { white-space: nowrap; }
.wide { overflow-x: auto; }
pre { background: #f6f6f6; padding: 0.5rem 0.7rem; white-space: pre-wrap; overflow-wrap: anywhere; }
p, li { overflow-wrap: anywhere; }
.note { color: #666; font-size: 0.9em; }
.chart { margin: 1.5rem 0; }
`;

/** Embeds every chart, then marks the page so a browser test can tell that all of them rendered. */
const BOOTSTRAP = `
(function () {
  var charts = JSON.parse(document.getElementById('chart-specs').textContent);
  Promise.all(charts.map(function (chart) {
    return vegaEmbed('#' + chart.element, chart.spec, { actions: false, renderer: 'svg' });
  })).then(function () {
    document.body.dataset.chartsRendered = String(charts.length);
  }, function (error) {
    document.body.dataset.chartsError = String((error && error.message) || error);
  });
})();
`;

/** A chart of a page: `id` names its element (see chartElementId). */
export interface PageChart {
  id: string;
  spec: TopLevelSpec;
}

export interface ChartPage {
  /** Plain text (escaped here). */
  title: string;
  /** Plain text under the title (escaped here). */
  meta: string;
  /** HTML blocks between the title and the charts (tables, headings), already escaped by their writer. */
  sections: readonly string[];
  charts: readonly PageChart[];
}

/** One self-contained page that works offline: the vega bundles inlined, then the charts embedded in order. */
export function renderChartPage(page: ChartPage): string {
  const title = escapeHtml(page.title);
  const payload = page.charts.map((chart) => ({ element: chartElementId(chart.id), spec: chart.spec }));
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title>`,
    `<style>${STYLE}</style>`,
    ...bundles().map((source) => `<script>${source}</script>`),
    '</head>',
    `<body data-charts="${page.charts.length}">`,
    `<h1>${title}</h1>`,
    `<p class="meta">${escapeHtml(page.meta)}</p>`,
    ...page.sections,
    ...page.charts.map((chart) => `<div class="chart" id="${escapeHtml(chartElementId(chart.id))}"></div>`),
    `<script type="application/json" id="chart-specs">${jsonForScript(payload)}</script>`,
    `<script>${BOOTSTRAP}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** report.html: one self-contained, offline page with the summary tables and interactive charts. */
export function renderHtml(result: RunResult): string {
  return renderChartPage({
    title: `rollout-sim: ${result.scenario.name}`,
    meta: `scenario hash ${result.scenario.hash}`,
    sections: [htmlTable(keyFiguresTable(result), 'summary'), htmlTable(latencyTable(result.summary.latency), 'latency')],
    charts: buildCharts(result),
  });
}

export function writeHtml(path: string, result: RunResult): void {
  writeFileAtomic(path, renderHtml(result));
}
