import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  COMPARE_METRICS,
  compareCharts,
  compareRow,
  rankCompareRows,
  renderCompareCsv,
  renderCompareHtml,
  renderCompareMarkdown,
  type CompareReport,
} from '../../reports/compare.js';
import { estimate } from '../../sim/batch/confidence.js';
import type { RunOutcome } from '../../sim/batch/run-spec.js';
import { modelVariant, parseModels, parseStrategies, strategyVariant } from '../../sim/cli/compare-plan.js';
import { startProgress } from '../../sim/cli/progress.js';
import { InputError } from '../../sim/errors.js';
import type { Summary } from '../../sim/metrics/summary-types.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { estimateServing } from '../../sim/serving/estimate.js';

const CLI = 'dist/sim/cli/main.js';
const SHOWCASE = 'scenarios/llama-70b-default-rolling.yaml';
const SMALL = 'test/fixtures/check/passing/small-rolling.yaml';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('compare plan: strategies', () => {
  it('reads a comma list (or repeated flags), rejecting unknown names with the list of known ones', () => {
    expect(parseStrategies('rolling,blue-green')).toEqual(['rolling', 'blue-green']);
    expect(parseStrategies(['canary', 'recreate,canary'])).toEqual(['canary', 'recreate']);
    expect(() => parseStrategies('rolling,rainbow')).toThrow(/--strategies: "rainbow" is not a strategy; expected some of rolling, blue-green, canary, recreate/);
    expect(() => parseStrategies(undefined)).toThrow(InputError);
  });

  it("keeps the scenario's own settings for its kind and uses a valid template for the others", () => {
    const loaded = loadScenarioFile(SHOWCASE);
    const rolling = strategyVariant('rolling', loaded);
    expect(rolling.overrides).toEqual([]);
    expect(rolling.description).toContain('"maxUnavailable":"25%"');
    for (const name of ['blue-green', 'canary', 'recreate'] as const) {
      const variant = strategyVariant(name, loaded);
      const strategy = loadScenarioFile(SHOWCASE, variant.overrides).scenario.spec.rollout?.strategy as object;
      expect(Object.keys(strategy)).toEqual([{ 'blue-green': 'blueGreen', canary: 'canary', recreate: 'recreate' }[name]]);
    }
    const canary = loadScenarioFile(SHOWCASE, strategyVariant('canary', loaded).overrides).scenario.spec.rollout?.strategy;
    expect(canary && 'canary' in canary && canary.canary.steps).toEqual([
      { setWeight: 25 }, { pause: { duration: 300 } }, { setWeight: 50 }, { pause: { duration: 300 } },
    ]);
  });
});

describe('compare plan: model sizes', () => {
  const loaded = loadScenarioFile(SHOWCASE);
  /** The yardstick of the documented rule, computed independently here. */
  const throughput = (model: string, tp: number, weightDtype: 'bf16' | 'fp8') =>
    estimateServing({ model, gpu: 'h100-80gb', tp, weightDtype, batch: 64, context: 2048, prompt: 1 }).decodeTokensPerSec;

  it("keeps the scenario's own model and fleet", () => {
    for (const name of [null, 'llama-3.1-70b']) {
      const own = modelVariant(name, loaded);
      expect(own).toMatchObject({ model: 'llama-3.1-70b', tensorParallel: 4, replicas: 16, overrides: [] });
    }
  });

  it('sizes other models for the same load per unit of serving capacity, and the node pools with the fleet', () => {
    const base = throughput('llama-3.1-70b', 4, 'bf16');
    for (const [name, tp, dtype] of [['llama-3.1-8b', 1, 'bf16'], ['llama-3.1-405b', 8, 'fp8']] as const) {
      const variant = modelVariant(name, loaded);
      expect(variant).toMatchObject({ model: name, tensorParallel: tp, weightDtype: dtype });
      expect(variant.replicas).toBe(Math.ceil((16 * base) / throughput(name, tp, dtype)));
      const gpus = variant.replicas * tp;
      const [pool] = variant.pools;
      // At least the scenario's spare share (80 of 64 GPUs at t=0, up to 160 with the autoscaler), less than a node more.
      expect(pool.nodes * 8).toBeGreaterThanOrEqual((gpus * 80) / 64);
      expect(pool.nodes * 8 - 8).toBeLessThan((gpus * 80) / 64);
      expect((pool.maxNodes as number) * 8).toBeGreaterThanOrEqual((gpus * 160) / 64);

      const spec = loadScenarioFile(SHOWCASE, variant.overrides).scenario.spec;
      expect(spec.model).toMatchObject({ name, tensorParallel: tp, weightDtype: dtype, kvDtype: 'bf16' });
      expect(spec.deployment.replicas).toBe(variant.replicas);
      expect(spec.cluster.nodePools[0]).toMatchObject({ nodes: pool.nodes, maxNodes: pool.maxNodes });
    }
    expect(modelVariant('llama-3.1-8b', loaded).replicas).toBeLessThan(16);
    expect(modelVariant('llama-3.1-405b', loaded).replicas).toBeGreaterThan(16);
  });

  it('refuses a model without a deployment, one that does not fit the GPU, and one wider than the nodes', () => {
    expect(parseModels('Llama-3.1-8B, llama-3.1-8b')).toEqual(['llama-3.1-8b']);
    expect(() => modelVariant('mixtral-8x7b', loaded)).toThrow(/--models: "mixtral-8x7b" has no deployment to compare/);
    const l40s = loadScenarioFile('scenarios/llama-8b-l40s-rolling-in-place.yaml');
    expect(() => modelVariant('llama-3.1-405b', l40s)).toThrow(/llama-3\.1-405b \(TP8, fp8\) cannot be served on l40s/);
    const narrow = loadScenarioFile(SHOWCASE, ['spec.cluster.nodePools[0].gpusPerNode=4']);
    expect(() => modelVariant('llama-3.1-405b', narrow)).toThrow(/8 GPUs per pod; the scenario's largest node has 4/);
  });
});

/** A summary with the figures compare reads (the rest is never looked at). */
function summary(figures: { spike: number | null; peakGpus: number; dropped: number; outcome?: Summary['rollout']['outcome']; reason?: string }): Summary {
  return {
    requests: { dropped: figures.dropped, rejected: 0 },
    latency: { spikeRatio: figures.spike, rollout: { ttftP95Ms: 400, ttftP99Ms: 900 } },
    rollout: { outcome: figures.outcome ?? 'completed', durationSeconds: figures.outcome === 'stalled' ? null : 600, minReadyReplicas: 16, reason: figures.reason },
    capacity: { peakGpus: figures.peakGpus, surgeGpus: figures.peakGpus - 64, gpuHours: 40 },
  } as unknown as Summary;
}

const outcome = (s: Summary | null, error?: string): RunOutcome => ({ spec: { overrides: [], seed: 1 }, summary: s, error });

describe('compare report', () => {
  const rolling = compareRow('rolling', [
    outcome(summary({ spike: 2, peakGpus: 96, dropped: 1 })),
    outcome(summary({ spike: 4, peakGpus: 96, dropped: 3 })),
    outcome(summary({ spike: null, peakGpus: 80, dropped: 2, outcome: 'stalled', reason: 'still in progress when the simulation ended' })),
  ]);
  const blueGreen = compareRow('blue-green', [outcome(summary({ spike: 1.5, peakGpus: 128, dropped: 0 })), outcome(null, 'spec.rollout: bad')]);
  const report: CompareReport = {
    scenario: 'demo <b>',
    hash: 'abc',
    seeds: [1, 2, 3],
    strategies: { rolling: 'rollingUpdate {}', 'blue-green': 'blueGreen {}' },
    groups: [
      {
        model: 'llama-3.1-70b',
        fleet: { tensorParallel: 4, weightDtype: 'bf16', replicas: 16, pools: [{ name: 'h100', gpu: 'h100-80gb', gpusPerNode: 8, nodes: 10, maxNodes: 20 }] },
        rows: [rolling, blueGreen],
      },
    ],
  };

  it('averages each figure over the seeds with a 95% CI, leaving out runs without a value', () => {
    expect(rolling.metrics.peakGpus).toEqual(estimate([96, 96, 80]));
    expect(rolling.metrics.dropped?.mean).toBe(2);
    expect(rolling.metrics.dropped?.halfWidth).toBeGreaterThan(0);
    expect(rolling.metrics.spikeRatio).toEqual(estimate([2, 4]));
    expect(rolling.metrics.rolloutMinutes).toEqual(estimate([10, 10]));
    expect(rolling.outcomes).toEqual({ completed: 2, stalled: 1 });
    expect(rolling.reasons).toEqual(['stalled: still in progress when the simulation ended']);
    expect(blueGreen).toMatchObject({ runs: 2, errors: ['spec.rollout: bad'], outcomes: { completed: 1 }, notCompleted: 1 });
    expect(rolling.notCompleted).toBe(1);
  });

  it('ranks a strategy that did not complete every run after those that did, whatever its figures', () => {
    // The stalled strategy holds no surge and shows no spike: by its figures alone it would look the best.
    const stalled = compareRow('stalled', [outcome(summary({ spike: 1, peakGpus: 64, dropped: 0, outcome: 'stalled' }))]);
    const rolledBack = compareRow('rolled-back', [outcome(summary({ spike: 1, peakGpus: 64, dropped: 0, outcome: 'rolled-back' }))]);
    const never = compareRow('none', [outcome(summary({ spike: 1, peakGpus: 64, dropped: 0, outcome: 'none' }))]);
    const done = compareRow('done', [outcome(summary({ spike: 3, peakGpus: 128, dropped: 5 }))]);
    expect(stalled.notCompleted).toBe(1);
    expect(rankCompareRows([stalled, rolling, done, blueGreen, never, rolledBack]).map((r) => r.strategy)).toEqual([
      'done', 'rolling', 'blue-green', 'stalled', 'none', 'rolled-back',
    ]);
    const md = renderCompareMarkdown({ ...report, groups: [{ ...report.groups[0], rows: rankCompareRows([stalled, done]) }] });
    expect(md.indexOf('| done | completed 1 |')).toBeGreaterThan(0);
    expect(md.indexOf('| stalled ⚠ not completed | stalled 1 |')).toBeGreaterThan(md.indexOf('| done |'));
  });

  it('renders one Markdown table per model size, with notes for unfinished rollouts and errors', () => {
    const md = renderCompareMarkdown(report);
    expect(md).toContain('## rollout-sim compare: demo &lt;b&gt;');
    expect(md).toContain('TP4 bf16 · 16 replicas · h100: 10 nodes (autoscaled up to 20) of 8 × h100-80gb');
    expect(md).toContain(`| strategy | outcomes | ${COMPARE_METRICS.map((m) => m.label).join(' | ')} |`);
    const dropped = estimate([1, 3, 2]);
    expect(md).toMatch(new RegExp(`^\\| rolling ⚠ 1 of 3 not completed \\| completed 2, stalled 1 \\| 3\\.00 ± [\\d.]+ \\(n=2\\) \\| .* \\| 2 ± ${dropped?.halfWidth.toFixed(0)} \\|`, 'm'));
    expect(md).toContain('| blue-green ⚠ 1 of 2 not completed | completed 1, error 1 | 1.50 |');
    expect(md).toContain('- rolling: stalled: still in progress when the simulation ended');
    expect(md).toContain('- blue-green: error: spec.rollout: bad');
  });

  it('writes a CSV row per model and strategy with mean, CI half-width and run count of each figure', () => {
    const [header, ...rows] = renderCompareCsv(report).trim().split('\n');
    expect(header.split(',').slice(0, 12)).toEqual([
      'model', 'tensorParallel', 'weightDtype', 'replicas', 'strategy', 'runs', 'errors', 'completed', 'rolled-back', 'aborted', 'stalled', 'none',
    ]);
    expect(header).toContain('peakGpusMean,peakGpusCi95,peakGpusN');
    expect(rows).toHaveLength(2);
    const cells = Object.fromEntries(header.split(',').map((name, i) => [name, rows[0].split(',')[i]]));
    expect(cells).toMatchObject({ model: 'llama-3.1-70b', strategy: 'rolling', runs: '3', completed: '2', stalled: '1', peakGpusN: '3', spikeRatioN: '2' });
    expect(Number(cells.peakGpusMean)).toBeCloseTo(272 / 3, 9);
  });

  it('builds a faceted bar chart with CI rules for each figure, and an escaped self-contained page', () => {
    const charts = compareCharts(report);
    expect(charts.map((c) => c.id)).toEqual(COMPARE_METRICS.map((m) => `compare-${m.key}`));
    const spec = charts[0].spec as { facet: unknown; spec: { layer: { mark: { type: string } }[] } };
    expect(spec.facet).toMatchObject({ column: { field: 'model' } });
    expect(spec.spec.layer.map((l) => l.mark.type)).toEqual(['bar', 'rule']);
    const html = renderCompareHtml(report);
    expect(html).toContain('<title>rollout-sim compare: demo &lt;b&gt;</title>');
    expect(html).not.toContain('demo <b>');
    expect(html).toContain(`<body data-charts="${COMPARE_METRICS.length}">`);
    expect(html).not.toMatch(/<script[^>]+src=/);
  });
});

/** A stream that records what is written; `isTTY` as a terminal would set it. */
function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, text: () => chunks.join('') };
}

describe('progress', () => {
  it('prints plain lines at each tenth and after 5 s without one, when stderr is not a terminal', () => {
    const out = recorder(false);
    let now = 0;
    const progress = startProgress('compare', 40, { stream: out.stream, env: {}, now: () => now });
    progress.update(1);
    progress.update(2);
    now = 6000;
    progress.update(3);
    for (let done = 4; done <= 40; done++) progress.update(done);
    progress.finish();
    const lines = out.text().trim().split('\n');
    expect(lines[0]).toBe('compare: 0/40 runs');
    // 3 after 6 s without a line; 1 and 2 fell within the first tenth and the first 5 s.
    expect(lines.slice(1, 3)).toEqual(['compare: 3/40 runs', 'compare: 4/40 runs']);
    expect(lines.filter((l) => /^compare: (4|8|12|16|20|24|28|32|36|40)\/40 runs$/.test(l))).toHaveLength(10);
    expect(lines).toHaveLength(12);
  });

  it('prints plain lines in CI even on a terminal, and a bar on a terminal otherwise', () => {
    const ci = recorder(true);
    const plain = startProgress('check', 2, { stream: ci.stream, env: { CI: 'true' } });
    plain.update(1);
    plain.update(2);
    plain.finish();
    expect(ci.text()).toBe('check: 0/2 runs\ncheck: 1/2 runs\ncheck: 2/2 runs\n');

    const tty = recorder(true);
    const bar = startProgress('check', 2, { stream: tty.stream, env: {} });
    bar.update(2);
    bar.finish();
    expect(tty.text()).toContain('check [');
    expect(tty.text()).not.toContain('check: ');
  });
});

describe('rollout-sim compare', () => {
  it('runs every strategy × model × seed on common seeds: JSON on stdout, progress on stderr, a report folder', () => {
    const out = mkdtempSync(join(tmpdir(), 'rollout-sim-compare-'));
    const r = cli([
      'compare', SMALL, '--strategies', 'rolling,blue-green', '--models', 'llama-3.1-8b,llama-3.1-70b', '--seeds', '2',
      '--set', 'spec.duration=8m', '--out', out, '--json',
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CompareReport;
    expect(r.stderr).toContain('compare: 8/8 runs');
    expect(report.seeds).toEqual([3, 4]);
    expect(report.groups.map((g) => g.model)).toEqual(['llama-3.1-8b', 'llama-3.1-70b']);
    for (const group of report.groups) {
      const fleetGpus = group.fleet.replicas * group.fleet.tensorParallel;
      const [rolling, blueGreen] = group.rows;
      expect(rolling.outcomes).toEqual({ completed: 2 });
      expect(blueGreen.outcomes).toEqual({ completed: 2 });
      // Blue-green runs a whole second fleet; the scenario's rolling update (maxUnavailable 0) never dips.
      expect(blueGreen.metrics.peakGpus?.mean).toBe(2 * fleetGpus);
      expect(rolling.metrics.minReadyReplicas?.mean).toBe(group.fleet.replicas);
      expect(blueGreen.metrics.dropped?.mean).toBe(0);
      expect(rolling.metrics.peakGpus?.n).toBe(2);
    }
    for (const file of ['compare.md', 'compare.csv', 'compare.html', 'compare.json']) {
      expect(readFileSync(join(out, file), 'utf8').length).toBeGreaterThan(100);
    }
    expect(JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'))).toEqual(report);
  });

  it('marks a blue-green that stalls for lack of GPUs and ranks it after the rolling update that completed', () => {
    // 5 replicas on one 8-GPU node: the green fleet cannot be placed beside the blue one.
    const out = mkdtempSync(join(tmpdir(), 'rollout-sim-compare-stall-'));
    const r = cli(['compare', SMALL, '--strategies', 'blue-green,rolling', '--set', 'spec.deployment.replicas=5', '--out', out]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as CompareReport).groups[0].rows;
    expect(rows.map((row) => [row.strategy, row.notCompleted])).toEqual([['rolling', 0], ['blue-green', 1]]);
    expect(rows[1].outcomes).toEqual({ stalled: 1 });
    expect(r.stdout).toMatch(/^\| blue-green ⚠ not completed \| stalled 1 \|/m);
  });

  it('exits 2 naming the flag for an unknown strategy', () => {
    const r = cli(['compare', SMALL, '--strategies', 'rolling,rainbow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--strategies: "rainbow" is not a strategy');
    expect(r.stdout).toBe('');
  });
});
