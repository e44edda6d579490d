import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ownPackageFile } from '../package-files.js';
import { runSpec, type RunOutcome, type RunSpec } from './run-spec.js';

export interface RunManyOptions {
  /** Worker threads; default one per core. 1 runs in this thread (no workers). */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs batches of simulations on one set of worker threads, for callers that run many small batches in turn
 * (the planner's bisections): the workers load the simulator once, not once per batch.
 */
export interface RunPool {
  readonly threads: number;
  /** Simulations run so far over every batch. */
  readonly runs: number;
  /** Outcomes in the order of `specs`, whatever thread ran each. */
  run(specs: readonly RunSpec[], onProgress?: (done: number, total: number) => void): Promise<RunOutcome[]>;
  /**
   * Runs `specs` in order, at most `threads` at a time, so a caller can drop the ones it no longer needs: when a
   * spec's turn comes, `skip(index)` true leaves it unrun (null outcome); `settled` sees each outcome as it
   * arrives. Which specs run depends on timing, so callers must read only what does not (e.g. a prefix).
   */
  runSelectively(
    specs: readonly RunSpec[],
    skip: (index: number) => boolean,
    settled: (outcome: RunOutcome, index: number) => void,
  ): Promise<(RunOutcome | null)[]>;
  close(): Promise<void>;
}

export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * A pool of `threads` workers (default one per core); 1 runs in this thread. Each run is deterministic on its
 * own, so the outcomes do not depend on the thread count. Workers load the compiled code (dist/), so the package
 * must be built (npm ci does it).
 */
export function openRunPool(threads: number = defaultThreads()): RunPool {
  const size = Math.max(1, Math.floor(threads));
  let runs = 0;
  let pool: Piscina | null = null;
  const workers = (): Piscina => {
    // The build's worker, from the TypeScript sources (tests) too.
    pool ??= new Piscina({ filename: ownPackageFile('dist/sim/batch/worker.js'), minThreads: size, maxThreads: size });
    return pool;
  };
  return {
    threads: size,
    get runs() {
      return runs;
    },
    async run(specs, onProgress) {
      let done = 0;
      const progress = (): void => onProgress?.(++done, specs.length);
      runs += specs.length;
      if (size === 1 || specs.length === 1) {
        return specs.map((spec) => {
          const outcome = runSpec(spec);
          progress();
          return outcome;
        });
      }
      const piscina = workers();
      return Promise.all(
        specs.map(async (spec) => {
          const outcome = (await piscina.run(spec)) as RunOutcome;
          progress();
          return outcome;
        }),
      );
    },
    async runSelectively(specs, skip, settled) {
      const outcomes: (RunOutcome | null)[] = specs.map(() => null);
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < specs.length) {
          const index = next++;
          if (skip(index)) continue;
          runs++;
          const outcome = size === 1 ? runSpec(specs[index]) : ((await workers().run(specs[index])) as RunOutcome);
          outcomes[index] = outcome;
          settled(outcome, index);
        }
      };
      await Promise.all(Array.from({ length: Math.min(size, specs.length) }, lane));
      return outcomes;
    },
    async close() {
      await pool?.destroy();
      pool = null;
    },
  };
}

/** Runs many simulations spread over worker threads and returns their outcomes in the order of `specs`. */
export async function runMany(specs: readonly RunSpec[], options: RunManyOptions = {}): Promise<RunOutcome[]> {
  const pool = openRunPool(Math.min(options.threads ?? defaultThreads(), Math.max(1, specs.length)));
  try {
    return await pool.run(specs, options.onProgress);
  } finally {
    await pool.close();
  }
}
