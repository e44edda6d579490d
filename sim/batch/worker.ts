import { runSpec, type RunOutcome, type RunSpec } from './run-spec.js';

/** Piscina worker entry: one simulation per task. */
export default function run(spec: RunSpec): RunOutcome {
  return runSpec(spec);
}
