import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';

/** What one scenario run costs, measured inside its own process. */
export interface ScenarioCost {
  /** Loading and validating the scenario plus the simulation (module loading excluded). */
  wallSeconds: number;
  /** CPU time of the process over the same span: unlike wall time, barely moved by other load on the machine. */
  cpuSeconds: number;
  /** Logical requests that arrived. */
  requests: number;
  events: number;
  /** Peak resident set of the process that ran it. */
  peakRssMb: number;
}

export const CHILD_FLAG = '--child';

/** The child's side: runs one scenario (argument: JSON {file, overrides}) and prints its cost as JSON. */
export function childMain(arg: string): void {
  const { file, overrides } = JSON.parse(arg) as { file: string; overrides: string[] };
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const result = runScenario(loadScenarioFile(file, overrides));
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cost: ScenarioCost = {
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    requests: result.summary.requests.arrived,
    events: result.summary.engine.events,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(cost)}\n`);
}

/** Runs a scenario in a fresh Node process, so its peak RSS is its own and no JIT state carries over. */
export function runInChild(file: string, overrides: readonly string[] = []): ScenarioCost {
  const self = fileURLToPath(new URL('./bench.js', import.meta.url));
  const out = execFileSync(process.execPath, [self, CHILD_FLAG, JSON.stringify({ file, overrides })], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as ScenarioCost;
}
