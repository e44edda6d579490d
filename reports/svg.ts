import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../sim/run/result.js';
import { writeOutputFolder } from './atomic-write.js';
import { buildCharts } from './charts.js';

/** Renders a Vega-Lite spec to an SVG document in Node (vega's headless view; text widths are estimated). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Every chart of the run as SVG, keyed by file name (`charts/<id>.svg`). */
export async function renderChartSvgs(result: RunResult): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const chart of buildCharts(result)) files[`charts/${chart.id}.svg`] = await renderSvg(chart.spec);
  return files;
}

/** Writes the charts as `<dir>/charts/<id>.svg`. */
export async function writeChartSvgs(dir: string, result: RunResult): Promise<void> {
  writeOutputFolder(dir, await renderChartSvgs(result));
}
