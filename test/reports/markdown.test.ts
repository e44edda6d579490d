import { describe, expect, it } from 'vitest';
import { formatCount, formatDecimal, formatDuration, formatMs, formatPercent, formatRatio } from '../../reports/format.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { HOSTILE_NAME, syntheticRunResult } from './fixture.js';

describe('report.md', () => {
  const md = renderMarkdown(syntheticRunResult());

  it('is a Markdown table with the headline figures, numbers formatted for people', () => {
    expect(md.startsWith('### rollout-sim: rolling-update-demo\n')).toBe(true);
    expect(md).toContain('| Requests | 600 arrived · 595 completed · 2 dropped · 1 rejected · 1 timed out · 1 in flight at the end · 1 retry · 24 tokens lost in dropped streams |');
    expect(md).toContain('| Failures by cause | dropped: sigterm-abort 2; rejected: no-endpoint 1; timed out: ttft-timeout 1 |');
    expect(md).toContain('| TTFT p95 | baseline 100 ms → rollout 1.50 s · peak 1.50 s at 2m 20s · spike ×15.0 |');
    expect(md).toContain('| Rollout | completed after 1m 0s · 2m 0s → 3m 0s · at least 3 ready replicas |');
    expect(md).toContain('| Capacity | 16 GPUs in the cluster · steady 8 · peak 12 (+4 surge) · 0.73 GPU-hours · 0 pending pod-seconds · 0 nodes added |');
    expect(md).toMatch(/\| Goodput \| \d+\.\d% of finished requests met the SLO \(TTFT ≤ 1\.00 s, TPOT ≤ 50 ms\) \|/);
    // Every window looks up 4,000 tokens; 2,400 hit, 800 in the three windows ending 140-160 s (rollout 120-180 s).
    expect(md).toMatch(
      /\| Prefix cache \| hit rate \d+\.\d% · baseline 60\.0% → rollout 40\.0% · worst rollout window 20\.0% \(40\.0 points below the baseline\) \|/,
    );
  });

  it('leaves the prefix-cache line out when no server looked a prompt up', () => {
    const result = syntheticRunResult();
    result.summary.prefixCache = { hitRate: null, baselineHitRate: null, rolloutHitRate: null, rolloutMinWindowHitRate: null, dip: null };
    expect(renderMarkdown(result)).not.toContain('Prefix cache');
  });

  it('has a latency table by period; every row of a table has the same number of cells', () => {
    expect(md).toContain('|  | Overall | Baseline | Rollout |');
    expect(md).toContain('| TTFT p95 | 1.50 s | 100 ms | 1.50 s |');
    const tables = md.split('\n\n').filter((block) => block.startsWith('|'));
    expect(tables).toHaveLength(2);
    const cellCounts = (table: string) => new Set(table.split('\n').map((line) => line.split(/(?<!\\)\|/).length - 2));
    expect(cellCounts(tables[0])).toEqual(new Set([2]));
    expect(cellCounts(tables[1])).toEqual(new Set([4]));
  });

  it('escapes a hostile scenario name so it cannot break the table or inject HTML', () => {
    const hostile = renderMarkdown(syntheticRunResult(HOSTILE_NAME));
    expect(hostile).not.toContain('<script>');
    expect(hostile).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*bold\\* &amp; "quoted"');
    const header = hostile.split('\n').find((line) => line.startsWith('|  |')) as string;
    expect(header.split(/(?<!\\)\|/)).toHaveLength(4);
  });

  it('marks a run without rollout or SLO plainly', () => {
    const result = syntheticRunResult();
    result.summary.rollout = { startedAt: null, finishedAt: null, durationSeconds: null, outcome: 'none', minReadyReplicas: null };
    result.scenario.slo = {};
    const plain = renderMarkdown(result);
    expect(plain).toContain('| Rollout | no rollout |');
    expect(plain).toContain('| Goodput | no SLO configured |');
  });
});

describe('number formatting', () => {
  it.each([
    [null, '—'],
    [0.4567, '0.46 ms'],
    [42.4, '42 ms'],
    [999.4, '999 ms'],
    [1234, '1.23 s'],
    [12_345, '12.3 s'],
    [125_000, '2m 5s'],
  ])('formatMs(%s) = %s', (ms, text) => expect(formatMs(ms)).toBe(text));

  it.each([
    [45, '45 s'],
    [12.25, '12.3 s'],
    [725, '12m 5s'],
    [7380, '2h 3m'],
  ])('formatDuration(%s) = %s', (s, text) => expect(formatDuration(s)).toBe(text));

  it('formats counts, decimals, percentages and ratios', () => {
    expect([formatCount(1234567.4), formatCount(-1234), formatCount(12)]).toEqual(['1,234,567', '-1,234', '12']);
    expect([formatDecimal(1234.567, 2), formatDecimal(0.7333, 2)]).toEqual(['1,234.57', '0.73']);
    expect([formatPercent(0.98543), formatPercent(null), formatRatio(3.14159)]).toEqual(['98.5%', '—', '×3.1']);
  });
});
