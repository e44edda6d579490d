import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRunOutputs } from '../../../reports/output.js';
import { runScenario } from '../../run/run-scenario.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { formatDuration } from '../../config/units.js';

/** The built-in scenarios, shipped in the package's scenarios/ folder. */
export const SCENARIO_DIR = fileURLToPath(new URL('../../../../scenarios/', import.meta.url));

const DEMO_SCENARIOS = ['llama-70b-rolling.yaml', 'llama-70b-blue-green.yaml'];

const fmt = (v: number | null, digits = 0): string => (v === null ? '—' : v.toFixed(digits));

/** Runs the built-in 70B scenario as a rolling update and as blue-green, writes both reports, prints a comparison. */
export async function demoCommand(args: { out: string }): Promise<number> {
  const rows: string[] = [];
  for (const file of DEMO_SCENARIOS) {
    const loaded = loadScenarioFile(join(SCENARIO_DIR, file));
    process.stderr.write(`running ${file} (${formatDuration(loaded.scenario.spec.duration)} simulated)...\n`);
    const result = runScenario(loaded);
    const dir = join(args.out, loaded.scenario.metadata.name);
    await writeRunOutputs(dir, result, { svg: true });
    const s = result.summary;
    rows.push(
      `| ${s.strategy} | ${s.rollout.outcome} | ${fmt(s.rollout.durationSeconds)} | ${fmt(s.latency.baseline.ttftP95Ms)} | ` +
        `${fmt(s.latency.peakWindow.ttftP95Ms)} | ${fmt(s.latency.spikeRatio, 2)} | ${s.requests.dropped} | ` +
        `${s.requests.rejected} | ${s.capacity.peakGpus} | ${s.capacity.surgeGpus} | ${s.capacity.nodesAdded} | ${dir}/report.html |`,
    );
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
