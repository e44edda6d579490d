import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { formatIssues } from '../config/issues.js';
import { loadScenarioFile } from '../scenario/load.js';
import { overrideText, checkOverridePaths, toSetList, type Overrides } from './override-values.js';
import type { RunSpec } from './run-spec.js';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';

/**
 * A sweep file: one scenario, a grid of overrides (the cartesian product of each path's list of values) and
 * the seeds every grid point runs with.
 *
 *   apiVersion: rollout-sim/v1alpha1
 *   kind: Sweep
 *   metadata: { name: surge-vs-drain }
 *   spec:
 *     scenario: ../plan/llama-70b-plan.yaml          # relative to this file
 *     seeds: 3                                        # seeds 1..3, or a list [7, 8, 9]
 *     set: { spec.duration: 20m }                     # fixed overrides (optional)
 *     grid:
 *       spec.rollout.strategy.rollingUpdate.maxSurge: [1, 25%, 50%]
 *       spec.server.shutdownTimeout: [30s, 120s]
 */

const MAX_RUNS = 100_000;
const MAX_ALIAS_COUNT = 100;

const zSweepFile = z.strictObject({
  apiVersion: z.literal('rollout-sim/v1alpha1', { error: 'expected apiVersion: rollout-sim/v1alpha1' }),
  kind: z.literal('Sweep', { error: 'expected kind: Sweep' }),
  metadata: z.strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][\w.-]{0,99}$/, { error: 'expected a name of letters, digits, ".", "_" or "-" (it names output files)' }),
    description: z.string().optional(),
  }),
  spec: z.strictObject({
    scenario: z.string().min(1).meta({ description: 'scenario file, relative to the sweep file' }),
    seeds: z.union([z.int().min(1).max(10_000), z.array(z.int()).min(1)]).meta({ description: 'a count N (seeds 1..N) or a list of seeds' }),
    set: z.record(z.string(), z.unknown()).default({}),
    grid: z
      .record(z.string(), z.array(z.unknown()).min(1, { error: 'expected at least one value' }))
      .refine((grid) => Object.keys(grid).length > 0, { error: 'expected at least one path with a list of values' }),
  }),
});

/** One simulation of the sweep: `index` orders the runs (grid point major, seed minor). */
export interface SweepRun {
  readonly index: number;
  readonly point: number;
  readonly seed: number;
  /** This point's value of each grid path. */
  readonly grid: Overrides;
}

export interface Sweep {
  readonly name: string;
  /** The scenario path as written in the sweep file (what results record: the same on every machine). */
  readonly scenario: string;
  /** The scenario path to load from here. */
  readonly scenarioFile: string;
  readonly seeds: readonly number[];
  readonly set: Overrides;
  readonly gridKeys: readonly string[];
  readonly points: readonly Overrides[];
  readonly runs: readonly SweepRun[];
}

export function loadSweepFile(file: string): Sweep {
  const text = readInputFile(file, { what: 'sweep file', maxBytes: INPUT_LIMITS.sweep });
  return parseSweep(text, file, dirname(file));
}

/** Parses and expands a sweep; `baseDir` resolves its scenario path. */
export function parseSweep(text: string, source: string, baseDir: string): Sweep {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new InputError(`YAML syntax: ${doc.errors[0].message.split('\n')[0]}`, source);
  const raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  const parsed = zSweepFile.safeParse(raw);
  if (!parsed.success) {
    throw new InputError(`${source} is not a valid sweep:\n  - ${formatIssues(parsed.error.issues, raw).join('\n  - ')}`);
  }
  const { metadata, spec } = parsed.data;
  const seeds = typeof spec.seeds === 'number' ? Array.from({ length: spec.seeds }, (_, i) => i + 1) : spec.seeds;
  if (new Set(seeds).size !== seeds.length) throw new InputError(`repeats a seed: ${JSON.stringify(seeds)}`, `${source}: spec.seeds`);
  const set: Overrides = Object.fromEntries(Object.entries(spec.set).map(([path, v]) => [path, overrideText(v)]));
  const gridKeys = Object.keys(spec.grid);
  checkOverridePaths([...Object.keys(set), ...gridKeys]);
  for (const key of gridKeys) {
    if (key in set) throw new InputError(`is both in spec.set and spec.grid; keep it in one`, `${source}: spec.grid.${key}`);
  }
  const points = cartesian(gridKeys.map((key) => spec.grid[key].map((v) => [key, overrideText(v)] as const)));
  const total = points.length * seeds.length;
  if (total > MAX_RUNS) throw new InputError(`expands to ${total} runs; a sweep is limited to ${MAX_RUNS}`, `${source}: spec.grid`);
  const runs = points.flatMap((grid, point) =>
    seeds.map((seed, s) => ({ index: point * seeds.length + s, point, seed, grid })),
  );
  return {
    name: metadata.name,
    scenario: spec.scenario,
    scenarioFile: resolve(baseDir, spec.scenario),
    seeds,
    set,
    gridKeys,
    points,
    runs,
  };
}

/** Every combination, the first path varying slowest (as nested loops in the file's order). */
function cartesian(lists: readonly (readonly (readonly [string, string])[])[]): Overrides[] {
  let combos: Overrides[] = [{}];
  for (const list of lists) combos = combos.flatMap((combo) => list.map(([key, value]) => ({ ...combo, [key]: value })));
  return combos;
}

/** The run's simulation: the scenario with the fixed overrides, then the grid point's. */
export function sweepRunSpec(sweep: Sweep, run: SweepRun): RunSpec {
  return {
    file: sweep.scenarioFile,
    overrides: [...toSetList(sweep.set), ...toSetList(run.grid)],
    seed: run.seed,
    tags: { point: String(run.point), ...run.grid },
  };
}

/** Loads the scenario at every grid point, so a typo fails the whole sweep at once, naming the point. */
export function validateSweepPoints(sweep: Sweep): void {
  sweep.points.forEach((grid, point) => {
    try {
      loadScenarioFile(sweep.scenarioFile, [...toSetList(sweep.set), ...toSetList(grid)]);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const where = `grid point ${point} (${Object.entries(grid).map(([k, v]) => `${k}=${v}`).join(', ')})`;
      throw err.at(err.path === undefined ? where : `${where}: ${err.path}`);
    }
  });
}
