import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { median } from './hold.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = `${REPO}dist/sim/cli/main.js`;
const RUNS = 10;

/** Median wall seconds of RUNS fresh `node dist/sim/cli/main.js <args>` processes (the compiled CLI). */
function startSeconds(args: readonly string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    execFileSync(process.execPath, [CLI, ...args], { cwd: REPO, stdio: 'ignore' });
    times.push((performance.now() - start) / 1000);
  }
  return median(times);
}

/** How long a person waits for `rollout-sim --help` and for `validate` of a showcase scenario (issue 21). */
export function measureCliStart(): { helpSeconds: number; validateSeconds: number } {
  return {
    helpSeconds: startSeconds(['--help']),
    validateSeconds: startSeconds(['validate', 'scenarios/llama-70b-rolling.yaml']),
  };
}
