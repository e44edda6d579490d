import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCharts } from '../../reports/charts.js';
import { chartElementId, renderHtml } from '../../reports/html.js';
import { HOSTILE_NAME, syntheticRunResult } from './fixture.js';

/** The start of each browser bundle, found independently of the code under test (next to the package entry). */
function bundleHead(name: string, file: string): string {
  const entry = createRequire(import.meta.url).resolve(name);
  return readFileSync(join(dirname(entry), file), 'utf8').slice(0, 300);
}

function scriptContents(html: string): string[] {
  return [...html.matchAll(/<script(?: [^>]*)?>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
}

describe('report.html', () => {
  const result = syntheticRunResult();
  const html = renderHtml(result);
  const charts = buildCharts(result);

  it('inlines the vega, vega-lite and vega-embed bundles and loads nothing from the network', () => {
    expect(html).toContain(bundleHead('vega', 'vega.min.js'));
    expect(html).toContain(bundleHead('vega-lite', 'vega-lite.min.js'));
    expect(html).toContain(bundleHead('vega-embed', 'vega-embed.min.js'));
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('has a chart element for every chart, and the specs to embed in them', () => {
    expect(charts.map((c) => c.id)).toEqual(['ttft', 'ready', 'gpus', 'failures', 'queue', 'prefix-cache']);
    for (const chart of charts) expect(html).toContain(`<div class="chart" id="${chartElementId(chart.id)}"></div>`);
    const payload = html.match(/<script type="application\/json" id="chart-specs">([\s\S]*?)<\/script>/)?.[1] as string;
    expect(JSON.parse(payload)).toEqual(charts.map((c) => ({ element: chartElementId(c.id), spec: c.spec })));
  });

  it('marks the page once every chart rendered, with a script that parses', () => {
    const scripts = scriptContents(html);
    const bootstrap = scripts[scripts.length - 1];
    expect(bootstrap).toContain('document.body.dataset.chartsRendered = String(charts.length)');
    expect(() => new Function(bootstrap)).not.toThrow();
    expect(html).toContain(`<body data-charts="${charts.length}">`);
  });

  it('has the summary and latency tables', () => {
    expect(html).toContain('<table class="summary">');
    expect(html).toContain('<tr><th>TTFT p95</th><td>1.50 s</td><td>100 ms</td><td>1.50 s</td></tr>');
    expect(html).toContain('<title>rollout-sim: rolling-update-demo</title>');
  });

  it('escapes a hostile scenario name everywhere, including inside the JSON script', () => {
    const hostile = renderHtml(syntheticRunResult(HOSTILE_NAME));
    expect(hostile).not.toContain('alert(1)</script>');
    expect(hostile).not.toContain('<script>alert');
    expect(hostile).toContain('<title>rollout-sim: &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; | *bold* &amp; &quot;quoted&quot;</title>');
    // Only our own scripts: the three bundles, the JSON specs, the bootstrap.
    expect(scriptContents(hostile)).toHaveLength(5);
    const payload = hostile.match(/<script type="application\/json" id="chart-specs">([\s\S]*?)<\/script>/)?.[1] as string;
    expect(JSON.stringify(JSON.parse(payload))).toContain(HOSTILE_NAME.replace(/"/g, '\\"'));
  });
});
