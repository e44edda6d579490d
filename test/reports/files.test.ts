import { describe, expect, it } from 'vitest';
import { renderEventsCsv } from '../../reports/events-csv.js';
import { renderRequestsCsv } from '../../reports/requests-csv.js';
import { renderSummaryJson } from '../../reports/summary-json.js';
import { renderTimeseriesCsv } from '../../reports/timeseries-csv.js';
import { InternalError } from '../../sim/errors.js';
import { SERIES_COLUMNS } from '../../sim/metrics/series.js';
import { syntheticRunResult } from './fixture.js';

const lines = (csv: string) => csv.trimEnd().split('\n');

describe('summary.json', () => {
  const result = syntheticRunResult();

  it('is the summary with 2-space indent and a trailing newline', () => {
    const text = renderSummaryJson(result);
    expect(JSON.parse(text)).toEqual(result.summary);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "scenario": "rolling-update-demo",');
  });

  it('keeps the contract order whatever order the run built its objects in', () => {
    const reversed = JSON.parse(JSON.stringify(result), (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse()) : value,
    );
    const text = renderSummaryJson(reversed);
    expect(text).toBe(renderSummaryJson(result));
    expect(Object.keys(JSON.parse(text))).toEqual([
      'scenario', 'strategy', 'seed', 'simulatedSeconds', 'requests', 'latency', 'rollout', 'capacity', 'startup', 'prefixCache', 'goodput', 'risk', 'engine',
    ]);
  });

  it('sorts cause records and keys the contract does not know', () => {
    const result2 = syntheticRunResult();
    result2.summary.requests.droppedByCause = { sigkill: 1, crash: 2 };
    (result2.summary.capacity as unknown as Record<string, number>).zExtra = 1;
    (result2.summary.capacity as unknown as Record<string, number>).aExtra = 2;
    const parsed = JSON.parse(renderSummaryJson(result2));
    expect(Object.keys(parsed.requests.droppedByCause)).toEqual(['crash', 'sigkill']);
    expect(Object.keys(parsed.capacity).slice(-3)).toEqual(['nodesAdded', 'aExtra', 'zExtra']);
  });
});

describe('timeseries.csv', () => {
  const result = syntheticRunResult();
  const rows = lines(renderTimeseriesCsv(result));

  it('has the series columns as header and one line per window', () => {
    expect(rows[0].split(',')).toEqual(SERIES_COLUMNS);
    expect(rows).toHaveLength(result.series.length + 1);
  });

  it('writes the values of each window, empty cells for missing latency', () => {
    const header = rows[0].split(',');
    const cell = (line: number, column: string) => rows[line].split(',')[header.indexOf(column)];
    const rolloutWindow = result.series.findIndex((r) => r.t === 150);
    expect(cell(rolloutWindow + 1, 't')).toBe('150');
    expect(cell(rolloutWindow + 1, 'dropped:sigterm-abort')).toBe('1');
    expect(cell(rolloutWindow + 1, 'gatewayQueue')).toBe('5');
    expect(Number(cell(rolloutWindow + 1, 'ttftP95Ms'))).toBeCloseTo(1500, 6);

    const sparse = syntheticRunResult();
    sparse.series[0].ttftP95Ms = null;
    expect(lines(renderTimeseriesCsv(sparse))[1].split(',')[header.indexOf('ttftP95Ms')]).toBe('');
  });
});

describe('events.csv and requests.csv', () => {
  it('writes the pod event log with quoting', () => {
    expect(lines(renderEventsCsv(syntheticRunResult()))).toEqual([
      't,pod,version,node,event,reason',
      '120,llm-new-0,new,node-1,Scheduled,',
      '135,llm-new-0,new,node-1,Ready,probe passed',
      '140,llm-old-3,old,node-0,Killed,"grace period over, ""SIGKILL"""',
    ]);
  });

  it('writes collected requests, null first-token times as empty cells', () => {
    const csv = lines(renderRequestsCsv(syntheticRunResult('x', { requests: true })));
    expect(csv[0]).toBe('id,attempt,version,pod,arrival,firstTokenAt,finishedAt,promptTokens,outputTokens,tokensStreamed,outcome,cause');
    expect(csv[2]).toBe('2,0,old,3,140,,140,100,40,0,rejected,no-endpoint');
    expect(csv).toHaveLength(3);
  });

  it('refuses requests.csv for a run that did not collect requests', () => {
    expect(() => renderRequestsCsv(syntheticRunResult())).toThrow(InternalError);
  });

  it('writes just the header for an empty event log', () => {
    expect(renderEventsCsv({ ...syntheticRunResult(), events: [] })).toBe('t,pod,version,node,event,reason\n');
  });
});
