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
 * Runs batches of simulations on one set of worker threads, for callers that run many small batches in turn
 * (the planner's bisections): the workers load the simulator once, not once per batch.
 */
export interface RunPool {
  readonly threads: number;
  /** Simulations run so far over every batch. */
  readonly runs: number;
  /** Outcomes in the order of `specs`, whatever thread ran each. */
  run(specs: readonly RunSpec[], onProgress?: (done: number, total: number) => void): Promise<RunOutcome[]>;
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
    pool ??= new Piscina({ filename: workerFile(), minThreads: size, maxThreads: size });
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

/** The compiled worker beside this module; from the TypeScript sources (tests), the build's copy. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./worker.js', import.meta.url));
  return fileURLToPath(new URL('../../dist/sim/batch/worker.js', import.meta.url));
}
