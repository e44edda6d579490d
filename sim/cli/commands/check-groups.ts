import type { ScenarioCheckResult } from '../../../reports/junit.js';
import { INPUT_LIMITS, readInputFile } from '../../config/input-file.js';
import { InputError } from '../../errors.js';
import type { AssertionResult } from '../../run/assertions.js';
import { isGroupScenarioKind, parseGroupScenario, runGroupScenario } from '../../scenario/group-scenario.js';
import { parseScenarioText } from '../../scenario/load.js';
import { applyLwsManifests } from '../../scenario/lws-import.js';

function readDoc(file: string): unknown {
  return parseScenarioText(readInputFile(file, { what: 'scenario file', maxBytes: INPUT_LIMITS.scenario }), file);
}

/** A `kind: LwsRollout` or `kind: PdRollout` document (group-level, docs/multi-node.md). */
export function isGroupScenarioFile(file: string): boolean {
  try {
    const doc = readDoc(file);
    return doc !== null && typeof doc === 'object' && isGroupScenarioKind((doc as { kind?: unknown }).kind);
  } catch (err) {
    if (err instanceof InputError) return false;
    throw err;
  }
}

/** Runs one group-level document and evaluates its assertions; `assertions` is null when it is invalid. */
export function checkGroupScenarioFile(file: string): { result: ScenarioCheckResult; assertions: AssertionResult[] | null } {
  try {
    const { doc, warnings } = applyLwsManifests(readDoc(file), file);
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    const r = runGroupScenario(parseGroupScenario(doc, file));
    const assertions: AssertionResult[] = r.assertions.map((a) => ({ expression: a.expression, passed: a.passed, error: a.error, ...(a.error === undefined ? { value: {} } : {}) }));
    return { result: { scenario: r.name, file, assertions: r.assertions.map((a) => ({ ...a })) }, assertions };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { result: { scenario: file, file, assertions: [{ expression: 'the scenario is valid', passed: false, error: err.message }] }, assertions: null };
  }
}
