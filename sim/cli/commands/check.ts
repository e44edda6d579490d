import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { checkTotals, renderCheckMarkdown, renderCheckText } from '../../../reports/check-table.js';
import { writeJunit, type ScenarioCheckResult } from '../../../reports/junit.js';
import { runMany } from '../../batch/run-many.js';
import type { RunSpec } from '../../batch/run-spec.js';
import { InputError } from '../../errors.js';
import { assertionExitCode, evaluateAssertions, type AssertionResult } from '../../run/assertions.js';
import { loadScenarioFile, parseScenarioText, type LoadedScenario } from '../../scenario/load.js';
import { EXIT_BAD_INPUT } from '../exit-codes.js';
import { parsePositiveInt, parseSeed, printWarnings, toStringList } from '../options.js';
import { startProgress } from '../progress.js';
import { INPUT_LIMITS, readInputFile } from '../../config/input-file.js';
import { isGroupScenarioKind } from '../../scenario/group-scenario.js';
import { checkGroupScenarioFile, isGroupScenarioFile } from './check-groups.js';

export interface CheckArgs {
  paths: unknown;
  junit?: string;
  seed?: unknown;
  set?: unknown;
  threads?: unknown;
}

const YAML_FILE = /\.ya?ml$/i;
/** Folders a scenario library never lives in (and that would take long to walk). */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist']);

/**
 * The scenario files to check, sorted: a named file as given (whatever it holds: a non-scenario is reported as
 * invalid), and in a folder, recursively, every *.yaml / *.yml whose `kind` is Scenario or that does not parse
 * (so a broken scenario is reported, not skipped). Hidden folders, node_modules and dist are not walked.
 */
export function findScenarioFiles(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new InputError('name at least one scenario file or folder', 'paths');
  const files = new Set<string>();
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      throw new InputError('no such file or folder', path);
    }
    if (!isFolder) {
      files.add(normalize(path));
      continue;
    }
    const found = yamlFilesUnder(path).filter(looksLikeScenario);
    // An empty folder checks nothing: an error, or a typo in CI would pass silently.
    if (found.length === 0) throw new InputError('no scenario files (*.yaml or *.yml with kind: Scenario) in this folder', path);
    for (const file of found) files.add(file);
  }
  return [...files].sort();
}

function yamlFilesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name) ? [] : yamlFilesUnder(path);
    return entry.isFile() && YAML_FILE.test(entry.name) ? [path] : [];
  });
}

function looksLikeScenario(file: string): boolean {
  try {
    const doc = parseScenarioText(readInputFile(file, { what: 'scenario file', maxBytes: INPUT_LIMITS.scenario }), file);
    const kind = doc !== null && typeof doc === 'object' ? (doc as { kind?: unknown }).kind : undefined;
    return kind === 'Scenario' || isGroupScenarioKind(kind);
  } catch (err) {
    if (err instanceof InputError) return true;
    throw err;
  }
}

/** A scenario that loaded, with the seed it runs on, or the reason it did not load. */
type Checked = { file: string; loaded: LoadedScenario; seed: number } | { file: string; error: string };

function load(file: string, overrides: readonly string[], seed: number | undefined): Checked {
  try {
    const loaded = loadScenarioFile(file, overrides);
    printWarnings(loaded);
    return { file, loaded, seed: seed ?? loaded.scenario.spec.seed };
  } catch (err) {
    if (err instanceof InputError) return { file, error: err.message };
    throw err;
  }
}

/** "requests.dropped = 3, capacity.peakGpus = 92": what the failure message shows as measured. */
function measured(result: AssertionResult): string | undefined {
  if (result.value === undefined) return undefined;
  return Object.entries(result.value)
    .map(([field, value]) => `${field} = ${JSON.stringify(value)}`)
    .join(', ');
}

function invalid(file: string, error: string, name = file): ScenarioCheckResult {
  return { scenario: name, file, assertions: [{ expression: 'the scenario is valid', passed: false, error }] };
}

/**
 * Runs every scenario that has assertions (several at once over worker threads) and evaluates them. Exit 2 when a
 * scenario is invalid or an assertion cannot be evaluated (e.g. names a field that does not exist), else 1 when an
 * assertion is false, else 0. A scenario without assertions is validated and listed, not run.
 */
export async function checkCommand(args: CheckArgs): Promise<number> {
  const allFiles = findScenarioFiles(toStringList(args.paths));
  // LeaderWorkerSet group-level documents (docs/multi-node.md) run here, in-process, without --set or --seed.
  const groupFiles = allFiles.filter(isGroupScenarioFile);
  const files = allFiles.filter((f) => !groupFiles.includes(f));
  const overrides = toStringList(args.set);
  const seed = parseSeed(args.seed);
  const checked = files.map((file) => load(file, overrides, seed));
  const toRun = checked.flatMap((c) => ('loaded' in c && c.loaded.scenario.spec.assertions.length > 0 ? [c] : []));
  const specs: RunSpec[] = toRun.map((c) => ({ file: c.file, overrides, seed: c.seed }));
  const progress = specs.length > 1 ? startProgress('check', specs.length) : null;
  const outcomes = await runMany(specs, { threads: parsePositiveInt(args.threads, '--threads'), onProgress: (done) => progress?.update(done) });
  progress?.finish();
  const outcomeOf = new Map(outcomes.map((o, i) => [toRun[i].file, o]));

  const evaluated: AssertionResult[] = [];
  let invalidScenarios = 0;
  const results = checked.map((c): ScenarioCheckResult => {
    if ('error' in c) {
      invalidScenarios++;
      return invalid(c.file, c.error);
    }
    const name = c.loaded.scenario.metadata.name;
    const outcome = outcomeOf.get(c.file);
    if (outcome?.error !== undefined) {
      invalidScenarios++;
      return invalid(c.file, outcome.error, name);
    }
    const assertions = outcome?.summary ? evaluateAssertions(outcome.summary, c.loaded.scenario.spec.assertions) : [];
    evaluated.push(...assertions);
    return {
      scenario: name,
      file: c.file,
      seed: c.seed,
      hash: c.loaded.hash,
      assertions: assertions.map((a) => ({ expression: a.expression, passed: a.passed, value: measured(a), error: a.error })),
    };
  });

  for (const file of groupFiles) {
    const { result, assertions } = checkGroupScenarioFile(file);
    if (assertions === null) invalidScenarios++;
    else evaluated.push(...assertions);
    results.push(result);
  }
  process.stdout.write(renderCheckText(results));
  if (args.junit) writeJunit(args.junit, results);
  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) appendFileSync(stepSummary, `${renderCheckMarkdown(results)}\n`);
  process.stderr.write(`check: ${checkTotals(results)}\n`);

  return invalidScenarios > 0 ? EXIT_BAD_INPUT : assertionExitCode(evaluated);
}
