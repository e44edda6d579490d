import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { median } from './hold.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = `${REPO}dist/sim/cli/main.js`;
const RUNS = 10;
/** Issue 21's targets, wall seconds on a quiet 2-core machine. */
const TARGETS = { helpSeconds: 0.3, validateSeconds: 0.5 };

/** Median wall seconds of RUNS fresh `node <args>` processes, after one unmeasured run (the files in the OS cache). */
function startSeconds(args: readonly string[]): number {
  execFileSync(process.execPath, args, { cwd: REPO, stdio: 'ignore' });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    execFileSync(process.execPath, args, { cwd: REPO, stdio: 'ignore' });
    times.push((performance.now() - start) / 1000);
  }
  return median(times);
}

export interface CliStart {
  /** `rollout-sim --help`. */
  helpSeconds: number;
  /** `rollout-sim validate scenarios/llama-70b-rolling.yaml` (loads the schemas, the model and mathjs' parser). */
  validateSeconds: number;
  /** A bare `node -e ''`: what no change to rollout-sim can save; on a loaded machine it grows with the rest. */
  nodeSeconds: number;
  /** The 1-minute load average just before: the figures above are only comparable at similar loads. */
  loadAverage1m: number;
  targets: typeof TARGETS;
  /** Whether each figure is within its target (on a loaded machine a miss may be the load's). */
  pass: { helpSeconds: boolean; validateSeconds: boolean };
}

/** How long a person waits for `rollout-sim --help` and for `validate` of a showcase scenario (issue 21). */
export function measureCliStart(): CliStart {
  const loadAverage1m = Math.round(loadavg()[0] * 100) / 100;
  const helpSeconds = startSeconds([CLI, '--help']);
  const validateSeconds = startSeconds([CLI, 'validate', 'scenarios/llama-70b-rolling.yaml']);
  return {
    helpSeconds,
    validateSeconds,
    nodeSeconds: startSeconds(['-e', '']),
    loadAverage1m,
    targets: TARGETS,
    pass: { helpSeconds: helpSeconds <= TARGETS.helpSeconds, validateSeconds: validateSeconds <= TARGETS.validateSeconds },
  };
}
