import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../reports/atomic-write.js';
import { buildCharts } from '../../../reports/charts.js';
import { writeRunOutputs } from '../../../reports/output.js';
import { renderSvg } from '../../../reports/svg.js';
import { InternalError } from '../../errors.js';
import { ownPackageFile } from '../../package-files.js';
import type { RunResult } from '../../run/result.js';
import { runScenario } from '../../run/run-scenario.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { formatDuration } from '../../config/units.js';

/** The built-in scenarios, shipped in the package's scenarios/ folder. */
export const SCENARIO_DIR = ownPackageFile('scenarios');

const DEMO_SCENARIOS = ['llama-70b-rolling.yaml', 'llama-70b-blue-green.yaml'];

/** The README's pictures (docs/img/<file>): chart `chart` of the demo run of `scenario`. */
export const README_IMAGES: readonly { file: string; scenario: string; chart: string }[] = [
  { file: 'demo-rolling-ttft.svg', scenario: 'llama-70b-rolling', chart: 'ttft' },
  { file: 'demo-rolling-gpus.svg', scenario: 'llama-70b-rolling', chart: 'gpus' },
];

/** The README's pictures drawn from the demo's runs (those of the scenarios they show), keyed by file name. */
export async function readmeImages(results: readonly RunResult[]): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const image of README_IMAGES) {
    const result = results.find((r) => r.scenario.name === image.scenario);
    const chart = result && buildCharts(result).find((c) => c.id === image.chart);
    if (!chart) throw new InternalError(`README image ${image.file}: no chart ${image.chart} of a demo run of ${image.scenario}`);
    files[image.file] = await renderSvg(chart.spec);
  }
  return files;
}

const fmt = (v: number | null, digits = 0): string => (v === null ? '—' : v.toFixed(digits));

/**
 * Runs the built-in 70B scenario as a rolling update and as blue-green, writes both reports, prints a comparison;
 * with `images`, also writes the README's pictures there (`npm run docs:img`: docs/img).
 */
export async function demoCommand(args: { out: string; images?: string }): Promise<number> {
  const rows: string[] = [];
  const results: RunResult[] = [];
  for (const file of DEMO_SCENARIOS) {
    const loaded = loadScenarioFile(join(SCENARIO_DIR, file));
    process.stderr.write(`running ${file} (${formatDuration(loaded.scenario.spec.duration)} simulated)...\n`);
    const result = runScenario(loaded);
    results.push(result);
    const dir = join(args.out, loaded.scenario.metadata.name);
    await writeRunOutputs(dir, result, { svg: true });
    const s = result.summary;
    rows.push(
      `| ${s.strategy} | ${s.rollout.outcome} | ${fmt(s.rollout.durationSeconds)} | ${fmt(s.latency.baseline.ttftP95Ms)} | ` +
        `${fmt(s.latency.peakWindow.ttftP95Ms)} | ${fmt(s.latency.spikeRatio, 2)} | ${s.requests.dropped} | ` +
        `${s.requests.rejected} | ${s.capacity.peakGpus} | ${s.capacity.surgeGpus} | ${s.capacity.nodesAdded} | ${dir}/report.html |`,
    );
  }
  if (args.images !== undefined) {
    mkdirSync(args.images, { recursive: true });
    for (const [file, svg] of Object.entries(await readmeImages(results))) writeFileAtomic(join(args.images, file), svg);
  }
  process.stdout.write(
    [
      '| strategy | outcome | rollout s | baseline TTFT p95 ms | peak TTFT p95 ms | spike | dropped | rejected | peak GPUs | surge GPUs | nodes added | report |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  return 0;
}
