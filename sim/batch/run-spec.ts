import { InputError } from '../errors.js';
import type { Summary } from '../metrics/summary-types.js';
import { runScenario } from '../run/run-scenario.js';
import { loadScenarioFile, loadScenarioText } from '../scenario/load.js';

/**
 * One simulation of a batch (compare, plan, sweep): a scenario (file or text), overrides and a seed. Plain data,
 * so it can cross to a worker thread and be written to a shard file.
 */
export interface RunSpec {
  /** Scenario file, or inline YAML text with the folder its relative paths resolve from. */
  file?: string;
  text?: string;
  baseDir?: string;
  overrides: string[];
  seed: number;
  /** Free-form tags the caller groups results by (strategy, model, candidate id…). */
  tags?: Record<string, string>;
}

export interface RunOutcome {
  spec: RunSpec;
  summary: Summary | null;
  /** Bad input in this variant (e.g. an override that does not validate): reported, the batch goes on. */
  error?: string;
  /** Assertion results of the scenario, when it has any. */
  assertionsPassed?: boolean;
}

/** Runs one spec in this thread. Summaries carry wallSeconds; callers that compare bytes drop it. */
export function runSpec(spec: RunSpec): RunOutcome {
  try {
    const loaded = spec.file
      ? loadScenarioFile(spec.file, spec.overrides)
      : loadScenarioText(spec.text ?? '', { baseDir: spec.baseDir, overrides: spec.overrides, source: 'scenario' });
    const result = runScenario(loaded, { seed: spec.seed });
    return { spec, summary: result.summary };
  } catch (err) {
    if (err instanceof InputError) return { spec, summary: null, error: err.message };
    throw err;
  }
}

/** A summary without engine.wallSeconds, the one figure that changes from run to run. */
export type StableSummary = Omit<Summary, 'engine'> & { engine: Omit<Summary['engine'], 'wallSeconds'> };
export type StableOutcome = Omit<RunOutcome, 'summary'> & { summary: StableSummary | null };

/**
 * What batch outputs (plans, sweep results) keep of an outcome, so they are byte-identical whatever the machine
 * or the thread count.
 */
export function withoutWallTime(outcome: RunOutcome): StableOutcome {
  if (outcome.summary === null) return outcome;
  const { wallSeconds: _wall, ...engine } = outcome.summary.engine;
  return { ...outcome, summary: { ...outcome.summary, engine } };
}
