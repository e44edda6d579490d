/**
 * `compare --levers` / `--variant`: the start-up levers (and any named override group) side by side with the
 * scenario as written, with the summary's startup group in a table of its own (issue 14).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPARE_METRICS, compareCharts, compareRow, renderCompareCsv, renderCompareMarkdown, STARTUP_COMPARE_METRICS, startupCompareTable, type CompareReport } from '../../reports/compare.js';
import type { RunOutcome } from '../../sim/batch/run-spec.js';
import { parseLevers, parseVariants } from '../../sim/cli/compare-levers.js';
import { InputError } from '../../sim/errors.js';
import type { Summary } from '../../sim/metrics/summary-types.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

const CLI = 'dist/sim/cli/main.js';
const LEVERS = 'scenarios/startup/llama-8b-levers.yaml';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('compare plan: levers and variants', () => {
  it('puts the scenario as written first, reads a+b as both levers, and each lever loads as a valid startup', () => {
    const variants = parseLevers('peers,prepull+peers');
    expect(variants.map((v) => [v.name, v.overrides])).toEqual([
      ['baseline', []],
      ['peers', ['spec.startup.fromPeers=true']],
      ['prepull+peers', ['spec.startup.imagePull=prepulled', 'spec.startup.fromPeers=true']],
    ]);
    expect(parseLevers(['peers', 'baseline']).map((v) => v.name)).toEqual(['peers', 'baseline']);
    const all = parseLevers('peers,local-cache,prepull,compile-cache,sleep-wake');
    const startup = all.map((v) => loadScenarioFile(LEVERS, v.overrides).scenario.spec.startup);
    expect(startup.map((s) => [s.fromPeers, s.localModelCache, s.imagePull, s.compileCache, s.wakeFromSleep])).toEqual([
      [false, false, 'auto', 'none', false],
      [true, false, 'auto', 'none', false],
      [false, true, 'auto', 'none', false],
      [false, false, 'prepulled', 'none', false],
      [false, false, 'auto', 'shared', false],
      [false, false, 'auto', 'none', true],
    ]);
  });

  it('rejects an unknown lever and a malformed variant naming the flag', () => {
    expect(() => parseLevers('peers,warp')).toThrow(/--levers: "warp" is not a start-up lever; expected some of baseline, peers/);
    expect(() => parseLevers(undefined)).toThrow(InputError);
    expect(parseVariants(['fast:spec.startup.weightSource=nodeLocal; spec.startup.imagePull=prepulled', 'as-is:'])).toEqual([
      { name: 'fast', overrides: ['spec.startup.weightSource=nodeLocal', 'spec.startup.imagePull=prepulled'], description: 'spec.startup.weightSource=nodeLocal spec.startup.imagePull=prepulled' },
      { name: 'as-is', overrides: [], description: 'the scenario as written' },
    ]);
    expect(() => parseVariants('spec.startup.fromPeers=true')).toThrow(/--variant: "spec.startup.fromPeers=true" has no name/);
    expect(() => parseVariants(['a:x=1', 'a:y=2'])).toThrow(/"a" is named twice/);
    expect(() => parseVariants('a:fromPeers')).toThrow(/"fromPeers" in variant "a" is not path=value/);
  });
});

function startupSummary(ttr: number, peerCopies: number): Summary {
  return {
    requests: { dropped: 0, rejected: 0 },
    latency: { spikeRatio: 1, rollout: { ttftP95Ms: 400, ttftP99Ms: 900 } },
    rollout: { outcome: 'completed', durationSeconds: 600, minReadyReplicas: 8 },
    capacity: { peakGpus: 9, surgeGpus: 1, gpuHours: 3 },
    startup: {
      podsReady: 8, timeToReadyMeanSeconds: ttr, timeToReadyMaxSeconds: 2 * ttr, firstNewPodSeconds: 2 * ttr, laterNewPodsMeanSeconds: ttr,
      peerCopies, peerFallbacks: peerCopies > 0 ? 1 : 0, compileCacheHits: peerCopies, compileColdRuns: 8 - peerCopies,
    },
  } as unknown as Summary;
}

const outcome = (s: Summary): RunOutcome => ({ spec: { overrides: [], seed: 1 }, summary: s });

describe('compare report: the startup group', () => {
  const baseline = compareRow('baseline', [outcome(startupSummary(80, 0)), outcome(startupSummary(90, 0))]);
  const peers = compareRow('peers', [outcome(startupSummary(50, 7)), outcome(startupSummary(50, 7))]);
  const report: CompareReport = {
    scenario: 'levers', hash: 'abc', seeds: [1, 2], rowLabel: 'variant',
    strategies: { baseline: 'the scenario as written', peers: 'spec.startup.fromPeers=true' },
    groups: [{ model: 'llama-3.1-8b', fleet: { tensorParallel: 1, weightDtype: 'bf16', replicas: 8, pools: [] }, rows: [baseline, peers] }],
  };

  it('averages each startup figure over the seeds and tables it per variant', () => {
    expect(baseline.startup?.timeToReadyMeanSeconds?.mean).toBe(85);
    expect(peers.startup?.peerCopies?.mean).toBe(7);
    const table = startupCompareTable(report.groups[0], 'variant');
    expect(table?.header).toEqual(['variant', ...STARTUP_COMPARE_METRICS.map((m) => m.label)]);
    const md = renderCompareMarkdown(report);
    expect(md).toContain('| variant | outcomes |');
    expect(md).toMatch(/^\| peers \| 8 ± 0 \| 50\.0 ± 0\.0 \| 100\.0 ± 0\.0 \| 100\.0 ± 0\.0 \| 50\.0 ± 0\.0 \| 7 ± 0 \| 1 ± 0 \| 7 ± 0 \| 1 ± 0 \|$/m);
    expect(md).toContain('Variants as run:');
    const [header, row] = renderCompareCsv(report).trim().split('\n');
    const cells = Object.fromEntries(header.split(',').map((name, i) => [name, row.split(',')[i]]));
    expect(cells).toMatchObject({ strategy: 'baseline', 'startup.timeToReadyMeanSecondsMean': '85', 'startup.peerCopiesN': '2' });
  });

  it('charts time to ready (mean, first new pod, later ones) after the main figures', () => {
    const ids = compareCharts(report).map((c) => c.id);
    expect(ids).toEqual([
      ...COMPARE_METRICS.map((m) => `compare-${m.key}`),
      'compare-startup-timeToReadyMeanSeconds', 'compare-startup-firstNewPodSeconds', 'compare-startup-laterNewPodsMeanSeconds',
    ]);
    const chart = compareCharts(report).at(-3)?.spec as { data: { values: { strategy: string; mean: number }[] } };
    expect(chart.data.values.map((v) => [v.strategy, v.mean])).toEqual([['baseline', 85], ['peers', 50]]);
  });

  it('has no startup table when no pod started during the runs', () => {
    const none = startupSummary(1, 0);
    none.startup = { ...none.startup, podsReady: 0, timeToReadyMeanSeconds: null };
    const row = compareRow('baseline', [outcome(none)]);
    expect(row.startup).toBeUndefined();
    expect(startupCompareTable({ ...report.groups[0], rows: [row] })).toBeNull();
  });
});

describe('rollout-sim compare --levers', () => {
  it('runs the scenario as written and each lever on the same seed: each lever cuts time to ready', () => {
    const out = mkdtempSync(join(tmpdir(), 'rollout-sim-levers-'));
    const r = cli(['compare', LEVERS, '--levers', 'peers,prepull,compile-cache', '--variant', 'disk:spec.startup.localModelCache=true', '--out', out, '--json']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CompareReport;
    expect(report.rowLabel).toBe('variant');
    const rows = Object.fromEntries(report.groups[0].rows.map((row) => [row.strategy, row]));
    expect(Object.keys(rows)).toEqual(['baseline', 'peers', 'prepull', 'compile-cache', 'disk']);
    const ttr = (name: string) => rows[name].startup?.timeToReadyMeanSeconds?.mean as number;
    const minutes = (name: string) => rows[name].metrics.rolloutMinutes?.mean as number;
    for (const lever of ['peers', 'prepull', 'compile-cache', 'disk']) {
      expect(ttr(lever)).toBeLessThan(ttr('baseline'));
      expect(minutes(lever)).toBeLessThan(minutes('baseline'));
    }
    expect(rows.peers.startup?.peerCopies?.mean).toBe(7);
    expect(rows.baseline.startup?.peerCopies?.mean).toBe(0);
    expect(rows['compile-cache'].startup?.compileCacheHits?.mean).toBe(7);
    expect(readFileSync(join(out, 'compare.md'), 'utf8')).toContain('| variant | pods ready | time to ready mean (s) |');
    expect(readFileSync(join(out, 'compare.html'), 'utf8')).toContain('<h3>Start-up</h3>');
  });

  it('exits 2 when strategies and levers are mixed', () => {
    const r = cli(['compare', LEVERS, '--strategies', 'rolling', '--levers', 'peers']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--strategies: compare varies either strategies or start-up variants');
  });
});
