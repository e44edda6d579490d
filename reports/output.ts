import type { RunResult } from '../sim/run/result.js';
import { SUMMARY_FILE, writeOutputFolder } from './atomic-write.js';
import { renderEventsCsv } from './events-csv.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { renderRequestsCsv } from './requests-csv.js';
import { renderSummaryJson } from './summary-json.js';
import { renderTimeseriesCsv, type TimeseriesCsvStream } from './timeseries-csv.js';

export interface RunOutputOptions {
  /** Add requests.csv (the run must have collected requests). */
  requests?: boolean;
  /** Add charts/<id>.svg for each chart. */
  svg?: boolean;
  /**
   * timeseries.csv as streamed during the run (RunOptions.onWindow), committed with the other files; without
   * it the file is rendered from result.series, whose windows are merged on runs longer than MAX_SERIES_POINTS.
   */
  timeseries?: TimeseriesCsvStream;
}

/**
 * Every output file of a run, keyed by its name in the output folder. Async because vega renders SVG
 * asynchronously; without `svg` nothing waits.
 */
export async function renderRunOutputs(result: RunResult, options: RunOutputOptions = {}): Promise<Record<string, string>> {
  return {
    ...(options.timeseries ? {} : { 'timeseries.csv': renderTimeseriesCsv(result) }),
    'events.csv': renderEventsCsv(result),
    'report.md': renderMarkdown(result),
    'report.html': renderHtml(result),
    ...(options.requests ? { 'requests.csv': renderRequestsCsv(result) } : {}),
    // vega is loaded only when SVGs are asked for: it is the heaviest import of the CLI.
    ...(options.svg ? await (await import('./svg.js')).renderChartSvgs(result) : {}),
    [SUMMARY_FILE]: renderSummaryJson(result),
  };
}

/** Renders and writes a run's outputs as the whole of folder `dir` (writeOutputFolder), with the streamed series. */
export async function writeRunOutputs(dir: string, result: RunResult, options: RunOutputOptions = {}): Promise<void> {
  writeOutputFolder(dir, await renderRunOutputs(result, options), options.timeseries ? [options.timeseries] : []);
}
