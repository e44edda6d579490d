import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/errors.js';
import { TraceArrivals, TraceReader, type TraceReplayOptions } from '../../sim/traffic/trace.js';
import { sharedData } from '../shared-data.js';

// Azure LLM inference trace 2023 (https://github.com/Azure/AzurePublicDataset, CC-BY-4.0); Patel et al.,
// "Splitwise: Efficient generative LLM inference using phase splitting", ISCA 2024.
const AZURE_CONV = sharedData('traces/azure-llm-2023/conv.csv');

const dir = mkdtempSync(join(tmpdir(), 'trace-test-'));
let fileCount = 0;
function csv(...lines: string[]): string {
  const file = join(dir, `t${fileCount++}.csv`);
  writeFileSync(file, lines.join('\n'));
  return file;
}

const HEADER = 'TIMESTAMP,ContextTokens,GeneratedTokens';
const SAMPLE = [
  HEADER,
  '2023-11-16 18:15:46.6805900,374,44',
  '2023-11-16 18:15:50.9951690,396,109',
  '2023-11-16 18:15:51.2224670,879,55',
  '2023-11-16 18:16:01.0000000,91,16',
];
const SAMPLE_TIMES = [0, 4.314579, 4.541877, 14.31941];
const PLAIN: TraceReplayOptions = { timeScale: 1, rateScale: 1, offset: 0, loop: false };

function replay(file: string, options: Partial<TraceReplayOptions>, count = 100, start = 0) {
  const trace = new TraceArrivals(file, { ...PLAIN, ...options });
  const rows: { t: number; context: number; generated: number }[] = [];
  for (let t = trace.next(start); t !== Infinity && rows.length < count; t = trace.next(t)) {
    rows.push({ t, context: trace.contextTokens, generated: trace.generatedTokens });
  }
  return rows;
}

describe('trace replay', () => {
  it('reproduces the timestamps (relative to the first row, to 100 ns) and the token columns', () => {
    const rows = replay(csv(...SAMPLE), {});
    expect(rows.map((r) => r.t)).toEqual(SAMPLE_TIMES.map((t) => expect.closeTo(t, 7)));
    expect(rows.map((r) => [r.context, r.generated])).toEqual([[374, 44], [396, 109], [879, 55], [91, 16]]);
  });

  it('starts at the time of the first call', () => {
    expect(replay(csv(...SAMPLE), {}, 2, 100).map((r) => r.t)).toEqual([100, expect.closeTo(104.314579, 6)]);
  });

  it('stretches with timeScale and speeds up with rateScale', () => {
    const file = csv(...SAMPLE);
    expect(replay(file, { timeScale: 2 }).map((r) => r.t)).toEqual(SAMPLE_TIMES.map((t) => expect.closeTo(2 * t, 6)));
    expect(replay(file, { rateScale: 4 }).map((r) => r.t)).toEqual(SAMPLE_TIMES.map((t) => expect.closeTo(t / 4, 6)));
    expect(replay(file, { timeScale: 3, rateScale: 2 }).map((r) => r.t)[3]).toBeCloseTo(1.5 * 14.31941, 5);
  });

  it('skips the first `offset` trace seconds', () => {
    const rows = replay(csv(...SAMPLE), { offset: 4.4 });
    expect(rows.map((r) => r.context)).toEqual([879, 91]);
    expect(rows[0].t).toBeCloseTo(4.541877 - 4.4, 6);
  });

  it('loops with the mean gap between passes, from the start of the trace', () => {
    const rows = replay(csv(...SAMPLE), { loop: true, offset: 4.4 }, 7);
    const period = 14.31941 + 14.31941 / 3;
    expect(rows.map((r) => r.context)).toEqual([879, 91, 374, 396, 879, 91, 374]);
    expect(rows[2].t).toBeCloseTo(period - 4.4, 5);
    expect(rows[6].t).toBeCloseTo(2 * period - 4.4, 5);
    expect(rows.every((r, i) => i === 0 || r.t >= rows[i - 1].t)).toBe(true);
  });

  it('reads plain seconds, CRLF line ends, a BOM, blank lines and reordered columns', () => {
    const file = csv('\uFEFFGeneratedTokens,TIMESTAMP,ContextTokens\r', '5,10.5,100\r', '', '7,12,200\r', '');
    expect(replay(file, {})).toEqual([
      { t: 0, context: 100, generated: 5 },
      { t: 1.5, context: 200, generated: 7 },
    ]);
  });

  it.skipIf(!existsSync(AZURE_CONV))('replays the staged Azure conv trace: 19,366 rows over ~3,502 s (serving-model.md §4.6)', () => {
    const rows = replay(AZURE_CONV, {}, Infinity);
    expect(rows.length).toBe(19_366);
    expect(rows[rows.length - 1].t).toBeGreaterThan(3_500);
    expect(rows[rows.length - 1].t).toBeLessThan(3_504);
    // Same values as a naive whole-file parse (the chunked reader splits lines across 64 KiB reads).
    const naive = readFileSync(AZURE_CONV, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r.context)).toEqual(naive.map((c) => Number(c[1])));
    expect(rows.map((r) => r.generated)).toEqual(naive.map((c) => Number(c[2])));
  });
});

describe('trace errors name the file, the line, the column and what is expected', () => {
  const firstError = (file: string, options: Partial<TraceReplayOptions> = {}): InputError => {
    try {
      replay(file, options, Infinity);
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      return err as InputError;
    }
    throw new Error('expected an InputError');
  };

  it('checks the header', () => {
    const file = csv('time,ContextTokens,Generated', '1,2,3');
    expect(() => new TraceReader(file)).toThrow(/line 1: the header lacks TIMESTAMP, GeneratedTokens/);
    expect(() => new TraceReader(csv(''))).toThrow(/is empty; expected the header TIMESTAMP,ContextTokens,GeneratedTokens/);
  });

  it('reports a bad token count', () => {
    const err = firstError(csv(HEADER, '1,10,20', '2,10,abc'));
    expect(err.message).toContain('line 3, column GeneratedTokens: expected a whole number of tokens (0 or more), got "abc"');
    expect(err.message).toContain(dir);
    expect(firstError(csv(HEADER, '1,-4,20')).message).toContain('line 2, column ContextTokens');
  });

  it('reports a bad or out-of-order timestamp', () => {
    expect(firstError(csv(...SAMPLE, '2023-11-16 25:00:00,1,1')).message).toMatch(
      /line 6, column TIMESTAMP: expected a datetime like 2023-11-16 18:15:46.6805900, as in the first row, got "2023-11-16 25:00:00"/,
    );
    expect(firstError(csv(HEADER, '5,1,1', 'soon,1,1')).message).toMatch(/line 3, column TIMESTAMP: expected seconds/);
    expect(firstError(csv(HEADER, '5,1,1', '4,1,1')).message).toMatch(/line 3, column TIMESTAMP: expected rows in time order/);
  });

  it('reports a short row, an empty trace, an offset past its end and a loop of one row', () => {
    expect(firstError(csv(HEADER, '1,2')).message).toMatch(/line 2: expected 3 comma-separated values/);
    expect(firstError(csv(HEADER)).message).toMatch(/has a header but no rows/);
    expect(firstError(csv(...SAMPLE), { offset: 100 }).message).toMatch(/offset 100s skips the whole trace/);
    expect(firstError(csv(HEADER, '1,2,3'), { loop: true }).message).toMatch(/looping needs at least two rows/);
  });

  it('reports a missing file and bad options', () => {
    expect(() => new TraceArrivals(join(dir, 'nope.csv'), PLAIN)).toThrow(/no such file/);
    expect(() => new TraceArrivals(csv(...SAMPLE), { ...PLAIN, rateScale: 0 }, 'traffic.arrival.trace')).toThrow(
      /traffic\.arrival\.trace\.rateScale: expected a factor above 0/,
    );
  });
});
