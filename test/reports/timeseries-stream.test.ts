import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRunOutputs } from '../../reports/output.js';
import { renderTimeseriesCsv, TimeseriesCsvStream } from '../../reports/timeseries-csv.js';
import { toCsv } from '../../reports/csv.js';
import { MetricsRecorder } from '../../sim/metrics/recorder.js';
import { SERIES_COLUMNS } from '../../sim/metrics/series.js';
import type { SeriesRow } from '../../sim/metrics/series.js';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { drive, syntheticEvents } from '../metrics/synthetic.js';

const tempFolder = () => mkdtempSync(join(tmpdir(), 'rollout-sim-stream-'));

/** The built-in scenario made small: 4 replicas, 10 req/s, 6 simulated minutes. */
const SHORT = [
  'spec.duration=6m',
  'spec.rollout.at=1m',
  'spec.deployment.replicas=4',
  'spec.traffic.arrival.poisson.rate=10/s',
  'spec.assertions=[]',
];

describe('timeseries.csv streamed during the run', () => {
  it('is byte for byte the CSV rendered from the finished run, written with the other outputs', async () => {
    const dir = tempFolder();
    const stream = new TimeseriesCsvStream(join(dir, 'timeseries.csv'));
    const result = runScenario(loadScenarioFile('scenarios/llama-70b-rolling.yaml', SHORT), { onWindow: stream.write });
    // Only the temporary file before the outputs are written.
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^\.timeseries\.csv\..*\.tmp$/)]);
    await writeRunOutputs(dir, result, { timeseries: stream });
    expect(result.series).toHaveLength(36);
    expect(readFileSync(join(dir, 'timeseries.csv'), 'utf8')).toBe(renderTimeseriesCsv(result));
    expect(readdirSync(dir).sort()).toEqual(['events.csv', 'report.html', 'report.md', 'summary.json', 'timeseries.csv']);
  });

  it('writes in batches with the same bytes as one CSV of every row', () => {
    const rows: SeriesRow[] = [];
    const windows = 700; // more than two batches, and a partial one
    const rec = new MetricsRecorder({ windowSeconds: 10, slo: {}, onWindow: (row) => rows.push(row) });
    const dir = tempFolder();
    const stream = new TimeseriesCsvStream(join(dir, 'timeseries.csv'));
    const streamed = new MetricsRecorder({ windowSeconds: 10, slo: {}, onWindow: stream.write });
    const events = syntheticEvents(windows, 2, 20, 'csv');
    drive(rec, events, windows);
    drive(streamed, events, windows);
    stream.commit();
    expect(readFileSync(join(dir, 'timeseries.csv'), 'utf8')).toBe(toCsv(rows, SERIES_COLUMNS));
  });

  it('leaves nothing behind when aborted, and only the header for a run without windows', () => {
    const dir = tempFolder();
    const aborted = new TimeseriesCsvStream(join(dir, 'aborted.csv'));
    for (let i = 0; i < 300; i++) aborted.write({ t: i } as SeriesRow);
    aborted.abort();
    expect(readdirSync(dir)).toEqual([]);
    const empty = new TimeseriesCsvStream(join(dir, 'empty.csv'));
    empty.commit();
    empty.abort(); // a no-op once committed
    expect(readFileSync(join(dir, 'empty.csv'), 'utf8')).toBe(`${SERIES_COLUMNS.join(',')}\n`);
    expect(existsSync(join(dir, 'aborted.csv'))).toBe(false);
  });
});
