import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderPlanHtml, renderPlanJson, renderPlanMarkdown, rerunCommand } from '../../reports/plan.js';
import { renderSvg } from '../../reports/svg.js';
import { plan, type PlanResult } from '../../sim/plan/plan.js';
import { HOSTILE_NAME } from '../reports/fixture.js';
import { modelPool } from './model-pool.js';

describe('the plan report', () => {
  let result: PlanResult;
  let hostile: PlanResult;

  beforeAll(async () => {
    result = await plan({ file: 'test/plan/small-fleet.yaml', seeds: 2, limits: { maxSpikeRatio: 4 }, pool: modelPool() });
    // A scenario's metadata.name is a DNS-1123 name now, so the hostile name reaches the report as a plan would carry it.
    hostile = { ...result, scenario: { ...result.scenario, name: HOSTILE_NAME } };
  });

  it('opens with the simulation count and the recommendation, backed by its seeds, with a margin per constraint', () => {
    const md = renderPlanMarkdown(result);
    expect(md).toContain(`${result.runs} simulations: ${result.candidates.length} configurations × 2 seeds (the same seeds 1, 2 for all)`);
    expect(md).toContain(`**Recommended (${result.recommended!.id}): rollingUpdate surge 1 unavailable 0`);
    expect(md).toContain('Backed by 2 seeds: extra GPU-hours');
    expect(md).toContain('| TTFT p95 during the rollout | 2.00 s | 400 ms | 400 ms | 1.60 s (80%) |');
    expect(md).toContain('| TTFT p95 spike ratio | ×4.00 | ×1.52 ± 0.06 | ×1.52 | 2.48 (62%) |');
    expect(md).toContain(
      'The scenario as written (c1) fails: dropped generations 5, limit 0: over by 5 on 2 seeds; rejected requests 20, limit 0: over by 20 on 2 seeds',
    );
  });

  it('gives the command that re-runs the recommendation and a snippet that parses as the Deployment', () => {
    const md = renderPlanMarkdown(result);
    const command = rerunCommand(result, result.recommended!);
    expect(command).toMatch(/^rollout-sim run test\/plan\/small-fleet\.yaml --set spec\.rollout\.strategy\.rollingUpdate\.maxSurge=1 /);
    expect(command).toContain("--set 'spec.cluster.nodePools[0].nodes=3'");
    expect(md).toContain(['```sh', command, '```'].join('\n'));
    const yaml = md.match(/```yaml\n([\s\S]*?)```/)![1];
    expect(parse(yaml)).toMatchObject({ kind: 'Deployment', spec: { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } });
  });

  it('lists the neighbours with what failed, the Pareto front, every candidate and what was ruled out', () => {
    const md = renderPlanMarkdown(result);
    expect(md).toMatch(/\| c\d+ \| maxUnavailable 0 → 1 \| TTFT p95 spike ratio ×4\.52, limit ×4\.00: over by 0\.52 on 2 seeds \|/);
    expect(md).toContain('#### Pareto front: rollout duration · extra GPUs · spike');
    for (const c of result.candidates) expect(md).toContain(`| ${c.id} |`);
    expect(md).toContain('#### Ruled out without running');
  });

  it('renders an offline HTML page with the two Pareto charts, the snippet and the tables', () => {
    const html = renderPlanHtml(result);
    expect(html).toContain('<body data-charts="2">');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const specs = JSON.parse(html.match(/<script type="application\/json" id="chart-specs">([\s\S]*?)<\/script>/)![1]);
    expect(specs.map((c: { element: string }) => c.element)).toEqual(['chart-pareto-gpus', 'chart-pareto-spike']);
    const points = specs[0].spec.data.values as { id: string; status: string }[];
    expect(points.find((p) => p.id === result.recommended!.id)?.status).toBe('recommended');
    const front = result.paretoFront.filter((p) => p.id !== result.recommended!.id);
    expect(points.filter((p) => p.status === 'Pareto front').map((p) => p.id).sort()).toEqual(front.map((p) => p.id).sort());
    expect(html).toContain('<table class="margins">');
    expect(html).toContain('kind: Deployment');
  });

  it('escapes a hostile scenario name everywhere', () => {
    const html = renderPlanHtml(hostile);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(renderPlanMarkdown(hostile)).not.toContain('<script>');
    expect(JSON.parse(renderPlanJson(hostile)).scenario.name).toBe(HOSTILE_NAME);
  });
});

describe('the Pareto charts', () => {
  it('are Vega-Lite specs that vega renders, one point per candidate whose rollout finished', async () => {
    const result = await plan({ file: 'test/plan/small-fleet.yaml', seeds: 2, limits: { maxSpikeRatio: 4 }, pool: modelPool() });
    const html = renderPlanHtml(result);
    const specs = JSON.parse(html.match(/<script type="application\/json" id="chart-specs">([\s\S]*?)<\/script>/)![1]);
    const svg = await renderSvg(specs[0].spec);
    const symbols = svg.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/)![1];
    const finished = result.candidates.filter((c) => c.metrics.rolloutSeconds !== null);
    expect(symbols.match(/<path /g)?.length).toBe(finished.length);
    expect(svg).toContain(`>${result.recommended!.id}</text>`);
  });
});
