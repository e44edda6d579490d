import { describe, expect, it } from 'vitest';
import { buildCharts } from '../../reports/charts.js';
import { renderChartSvgs, renderSvg } from '../../reports/svg.js';
import { HOSTILE_NAME, syntheticRunResult } from './fixture.js';

/** Mark groups that carry data, e.g. `mark-line` of layer 1. */
const dataMarks = (svg: string) => [...svg.matchAll(/class="mark-(\w+) role-mark layer_(\d+)_marks"/g)].map((m) => `${m[1]}@${m[2]}`);

describe('SVG charts', () => {
  it('renders every chart to an SVG with its marks and the phase bands', async () => {
    const result = syntheticRunResult();
    const files = await renderChartSvgs(result);
    expect(Object.keys(files)).toEqual(buildCharts(result).map((c) => `charts/${c.id}.svg`));
    for (const svg of Object.values(files)) {
      expect(svg.startsWith('<svg')).toBe(true);
      expect(dataMarks(svg)[0]).toBe('rect@0');
    }
    expect(new Set(dataMarks(files['charts/ttft.svg']))).toEqual(new Set(['rect@0', 'line@1']));
    expect(new Set(dataMarks(files['charts/gpus.svg']))).toEqual(new Set(['rect@0', 'area@1', 'line@2']));
    expect(new Set(dataMarks(files['charts/queue.svg']))).toEqual(new Set(['rect@0', 'area@1', 'line@2']));
    // Four failure bars, one stacked on top of another in the window ending at t = 150 s.
    const failureBars = files['charts/failures.svg'].match(/layer_1_marks"[\s\S]*?<\/g>/)?.[0] ?? '';
    expect(failureBars.match(/<path/g)).toHaveLength(4);
    for (const title of ['time (min)', 'TTFT (ms)', 'surge']) expect(files['charts/ttft.svg']).toContain(`>${title}<`);
  });

  it('says so when nothing failed (no blank chart with a lone 0 tick), and labels the KV line', async () => {
    const result = syntheticRunResult();
    const quiet = { ...result, series: result.series.map((row) => ({ ...row, dropped: 0, rejected: 0, timedOut: 0 })) };
    const files = await renderChartSvgs(quiet);
    expect(files['charts/failures.svg']).toContain('>no drops, rejections or time-outs<');
    // A y axis of 0 and 1 requests, not a lone 0 tick.
    expect(files['charts/failures.svg']).toMatch(/font-size="10px"[^>]*>1<\/text>/);
    // With failures there is no such note.
    expect((await renderChartSvgs(result))['charts/failures.svg']).not.toContain('no drops, rejections or time-outs');
    // The KV-cache line has a legend entry of its own, beside the queues'.
    expect(files['charts/queue.svg']).toContain('>KV-cache use<');
  });

  it('escapes scenario text in the SVG', async () => {
    const hostile = syntheticRunResult(HOSTILE_NAME);
    const svg = await renderSvg(buildCharts(hostile)[0].spec);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
  });
});
