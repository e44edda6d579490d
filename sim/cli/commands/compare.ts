import { writeCompareOutputs, compareRow, rankCompareRows, renderCompareMarkdown, type CompareReport } from '../../../reports/compare.js';
import { runMany } from '../../batch/run-many.js';
import type { RunSpec } from '../../batch/run-spec.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { parseLevers, parseVariants, type OverrideVariant } from '../compare-levers.js';
import { atVariants, modelVariant, parseModels, parseStrategies, strategyVariant } from '../compare-plan.js';
import { InputError } from '../../errors.js';
import { EXIT_BAD_INPUT, EXIT_OK } from '../exit-codes.js';
import { parsePositiveInt, printWarnings, toStringList } from '../options.js';
import { startProgress } from '../progress.js';

export interface CompareArgs {
  scenario: string;
  strategies?: unknown;
  levers?: unknown;
  variant?: unknown;
  models?: unknown;
  /** Start the rollout at each of these times (`1h,8h`): one variant per strategy and time. */
  at?: unknown;
  seeds?: unknown;
  threads?: unknown;
  set?: unknown;
  out?: string;
  json?: boolean;
}

/**
 * The rows: the strategies named, or the start-up levers and named override groups (the scenario's own strategy).
 * One kind or the other, so each table varies one thing.
 */
function rowVariants(args: CompareArgs, loaded: ReturnType<typeof loadScenarioFile>): { rowLabel: 'strategy' | 'variant'; variants: OverrideVariant[] } {
  const byOverrides = args.levers !== undefined || args.variant !== undefined;
  if (args.strategies !== undefined && byOverrides) {
    throw new InputError('compare varies either strategies or start-up variants: give --strategies, or --levers / --variant', '--strategies');
  }
  if (!byOverrides) {
    return { rowLabel: 'strategy', variants: parseStrategies(args.strategies).flatMap((name) => atVariants(strategyVariant(name, loaded), args.at)) };
  }
  if (!loaded.scenario.spec.rollout) throw new InputError('compare needs a rollout to compare: add spec.rollout (at, strategy)', 'spec.rollout');
  const named = [...(args.levers === undefined ? [] : parseLevers(args.levers)), ...parseVariants(args.variant)];
  const variants = named.flatMap((variant) => atVariants(variant, args.at));
  const names = variants.map((v) => v.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new InputError(`"${twice}" is both a lever and a --variant name; rename the variant`, '--variant');
  return { rowLabel: 'variant', variants };
}

/**
 * Runs the scenario once per model size, strategy (or start-up variant) and seed, with the same seeds for every variant (common random
 * numbers: the variants differ by their configuration, not by their draws), and prints one table per model size.
 * Exits 2 when a variant is bad input (its row shows the error; the other rows are still printed).
 */
export async function compareCommand(args: CompareArgs): Promise<number> {
  const sets = toStringList(args.set);
  const loaded = loadScenarioFile(args.scenario, sets);
  printWarnings(loaded);
  const { rowLabel, variants: strategies } = rowVariants(args, loaded);
  const modelNames = parseModels(args.models);
  const models = modelNames.length > 0 ? modelNames.map((name) => modelVariant(name, loaded)) : [modelVariant(null, loaded)];
  const seedCount = parsePositiveInt(args.seeds, '--seeds') ?? 1;
  const seeds = Array.from({ length: seedCount }, (_, i) => loaded.scenario.spec.seed + i);

  const specs: RunSpec[] = models.flatMap((model) =>
    strategies.flatMap((strategy) =>
      seeds.map((seed) => ({
        file: args.scenario,
        overrides: [...sets, ...model.overrides, ...strategy.overrides],
        seed,
        tags: { model: model.model, strategy: strategy.name },
      })),
    ),
  );
  const started = Date.now();
  const progress = startProgress('compare', specs.length);
  const outcomes = await runMany(specs, { threads: parsePositiveInt(args.threads, '--threads'), onProgress: (done) => progress.update(done) });
  progress.finish();
  process.stderr.write(`compare: ${specs.length} runs in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  const report: CompareReport = {
    scenario: loaded.scenario.metadata.name,
    hash: loaded.hash,
    seeds,
    strategies: Object.fromEntries(strategies.map((s) => [s.name, s.description])),
    ...(rowLabel === 'variant' ? { rowLabel } : {}),
    groups: models.map(({ model, tensorParallel, weightDtype, replicas, pools }) => ({
      model,
      fleet: { tensorParallel, weightDtype, replicas, pools },
      rows: rankCompareRows(
        strategies.map((s) => compareRow(s.name, outcomes.filter((o) => o.spec.tags?.model === model && o.spec.tags?.strategy === s.name))),
      ),
    })),
  };
  if (args.out) {
    writeCompareOutputs(args.out, report);
    process.stderr.write(`wrote ${args.out}/ (compare.md, compare.csv, compare.html, compare.json)\n`);
  }
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderCompareMarkdown(report));
  const failed = outcomes.filter((o) => o.error !== undefined);
  for (const o of failed) process.stderr.write(`error: ${o.spec.tags?.model} ${o.spec.tags?.strategy} seed ${o.spec.seed}: ${o.error}\n`);
  return failed.length > 0 ? EXIT_BAD_INPUT : EXIT_OK;
}
