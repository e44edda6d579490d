import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { runSpec, type RunOutcome, type RunSpec } from './run-spec.js';

export interface RunManyOptions {
  /** Worker threads; default one per core. 1 runs in this thread (no workers). */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs many simulations, spread over worker threads, and returns their outcomes in the order of `specs`:
 * each run is deterministic on its own, so the results do not depend on the thread count.
 * Workers load the compiled code (dist/), so the package must be built (npm ci does it).
 */
export async function runMany(specs: readonly RunSpec[], options: RunManyOptions = {}): Promise<RunOutcome[]> {
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), specs.length));
  let done = 0;
  const progress = (): void => options.onProgress?.(++done, specs.length);
  if (threads === 1) {
    return specs.map((spec) => {
      const outcome = runSpec(spec);
      progress();
      return outcome;
    });
  }
  const pool = new Piscina({
    filename: workerFile(),
    minThreads: threads,
    maxThreads: threads,
  });
  try {
    return await Promise.all(
      specs.map(async (spec) => {
        const outcome = (await pool.run(spec)) as RunOutcome;
        progress();
        return outcome;
      }),
    );
  } finally {
    await pool.destroy();
  }
}

/** The compiled worker beside this module; from the TypeScript sources (tests), the build's copy. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./worker.js', import.meta.url));
  return fileURLToPath(new URL('../../dist/sim/batch/worker.js', import.meta.url));
}
