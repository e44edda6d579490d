import { describe, expect, it } from 'vitest';
import { formatRecords, mergeRecords, parseRecords, type SweepRecord } from '../../sim/batch/sweep-records.js';
import { sweepTable } from '../../sim/batch/sweep-table.js';
import { InputError } from '../../sim/errors.js';
import { renderSweepCsv, renderSweepMarkdown } from '../../reports/sweep.js';
import { syntheticRunResult } from '../reports/fixture.js';

const summary = syntheticRunResult().summary;

function record(index: number, runs = 4, sweep = 's'): SweepRecord {
  const point = Math.floor(index / 2);
  return {
    sweep,
    runs,
    index,
    spec: { file: 'a.yaml', overrides: [`spec.x=${point}`], seed: (index % 2) + 1, tags: { point: String(point), 'spec.x': String(point) } },
    summary: { ...summary, seed: (index % 2) + 1, requests: { ...summary.requests, dropped: index } },
  };
}

describe('sweep results', () => {
  it('round-trip through results-<i>.jsonl and merge back into run order', () => {
    const shard0 = parseRecords(formatRecords([record(0), record(2)]), 'results-0.jsonl');
    const shard1 = parseRecords(formatRecords([record(1), record(3)]), 'results-1.jsonl');
    const merged = mergeRecords([shard1, shard0]);
    expect(merged.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(formatRecords(merged)).toBe(formatRecords([0, 1, 2, 3].map((i) => record(i))));
  });

  it('refuse an incomplete set, a run twice, another sweep, or a line that is not a record', () => {
    expect(() => mergeRecords([[record(0), record(2)]])).toThrow(/runs 1, 3 of "s" are missing; merge the results of every shard/);
    expect(() => mergeRecords([[record(0), record(1)], [record(1), record(2), record(3)]])).toThrow(/run 1 appears twice/);
    expect(() => mergeRecords([[record(0)], [record(1, 4, 'other')]])).toThrow(/results of different sweeps/);
    expect(() => mergeRecords([[record(0), record(7)]])).toThrow(/run index 7 is outside the sweep's 4 runs/);
    expect(() => parseRecords('{"sweep": "s"}\n', 'r.jsonl')).toThrow(InputError);
    expect(() => parseRecords('{"sweep": "s"}\n', 'r.jsonl')).toThrow(/r\.jsonl: line 1 is not a sweep result/);
    expect(() => parseRecords('\nnot json\n', 'r.jsonl')).toThrow(/line 2 is not JSON/);
  });

  it('carry a digest per line, so an edited, reordered or digest-less record is refused naming the file and line', () => {
    const text = formatRecords([record(0), record(1)]);
    expect(formatRecords([record(0), record(1)])).toBe(text);
    const [first, second] = text.trim().split('\n');
    expect(JSON.parse(second).digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const edited = second.replace('"dropped":1,', '"dropped":0,');
    expect(edited).not.toBe(second);
    expect(() => parseRecords(`${first}\n${edited}\n`, 'r.jsonl')).toThrow(/^r\.jsonl: line 2 \(run 1\) does not match its digest/);
    const { digest: _, ...bare } = JSON.parse(first);
    expect(() => parseRecords(`${JSON.stringify(bare)}\n`, 'r.jsonl')).toThrow(/^r\.jsonl: line 1 \(run 0\) has no digest/);
    const swapped = JSON.stringify({ ...JSON.parse(first), digest: JSON.parse(second).digest });
    expect(() => parseRecords(`${swapped}\n`, 'r.jsonl')).toThrow(/does not match its digest/);
  });

  it('tabulate each grid point with mean ± CI over its seeds, in Markdown and CSV', () => {
    const table = sweepTable([0, 1, 2, 3].map((i) => record(i)));
    expect(table.gridKeys).toEqual(['spec.x']);
    expect(table.rows.map((r) => r.seeds)).toEqual([[1, 2], [1, 2]]);
    expect(table.rows[1].metrics.dropped).toMatchObject({ mean: 2.5, n: 2 });
    const md = renderSweepMarkdown(table);
    expect(md).toMatch(/\| 1 \| 1 \| 2 \|/);
    expect(md).toContain('2.5 ± 6.4');
    const csv = renderSweepCsv(table).split('\n');
    expect(csv[0].startsWith('point,spec.x,seeds,errors,rolloutSeconds_mean,rolloutSeconds_ci95,rolloutSeconds_n,dropped_mean')).toBe(true);
    expect(csv[2]).toMatch(/^1,1,2,0,/);
  });
});
