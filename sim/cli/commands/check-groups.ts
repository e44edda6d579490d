import type { ScenarioCheckResult } from '../../../reports/junit.js';
import { INPUT_LIMITS, readInputFile } from '../../config/input-file.js';
import { InputError } from '../../errors.js';
import type { AssertionResult } from '../../run/assertions.js';
import { isGroupScenarioKind, parseGroupScenario, runGroupScenario, type GroupScenarioResult } from '../../scenario/group-scenario.js';
import { parseScenarioText } from '../../scenario/load.js';
import { applyLwsManifests } from '../../scenario/lws-import.js';

function readDoc(file: string): unknown {
  return parseScenarioText(readInputFile(file, { what: 'scenario file', maxBytes: INPUT_LIMITS.scenario }), file);
}

/** A `kind: LwsRollout` or `kind: PdRollout` document (group-level, docs/multi-node.md); false for one that does not parse. */
export function isGroupScenarioFile(file: string): boolean {
  try {
    return readsAsGroupScenario(file);
  } catch (err) {
    if (err instanceof InputError) return false;
    throw err;
  }
}

/**
 * The same question for a command about to load the file anyway: a file that does not parse is its InputError now.
 * (Parsing a hostile file a second time after a deep-recursion failure can exhaust V8's regexp compiler.)
 */
export function readsAsGroupScenario(file: string): boolean {
  const doc = readDoc(file);
  return doc !== null && typeof doc === 'object' && isGroupScenarioKind((doc as { kind?: unknown }).kind);
}

/** Runs one group-level document (its warnings to stderr); an invalid one throws its InputError. */
export function runGroupScenarioFile(file: string): GroupScenarioResult {
  const { doc, warnings } = applyLwsManifests(readDoc(file), file);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  return runGroupScenario(parseGroupScenario(doc, file));
}

/** The group document's verdict for `preflight`: does its rollout finish, and if not, why and what would. */
export function groupVerdictText(r: GroupScenarioResult): { stalled: boolean; text: string } {
  const summary = r.summary as { lws?: { outcome: string; durationSeconds: number | null; stall: { blockedBy: string; message: string; suggestion: string } | null }; pd?: { outcome: string; durationSeconds: number | null } };
  const group = summary.lws ?? summary.pd;
  const what = summary.lws ? 'LeaderWorkerSet' : 'prefill/decode';
  if (group === undefined) return { stalled: false, text: `${r.name}: no rollout to check\n` };
  if (group.outcome !== 'stalled') {
    return { stalled: false, text: `${r.name}: the ${what} rollout finishes (${group.outcome} after ${Math.round(group.durationSeconds ?? 0)}s, group level)\n` };
  }
  const stall = summary.lws?.stall ?? null;
  const lines = [`${r.name}: the ${what} rollout cannot finish (stalled)`];
  if (stall !== null) lines.push(`  blocked by: ${stall.blockedBy} — ${stall.message}`, `  fix: ${stall.suggestion}`);
  return { stalled: true, text: `${lines.join('\n')}\n` };
}

/** Runs one group-level document and evaluates its assertions; `assertions` is null when it is invalid. */
export function checkGroupScenarioFile(file: string): { result: ScenarioCheckResult; assertions: AssertionResult[] | null } {
  try {
    const r = runGroupScenarioFile(file);
    const assertions: AssertionResult[] = r.assertions.map((a) => ({ expression: a.expression, passed: a.passed, error: a.error, ...(a.error === undefined ? { value: {} } : {}) }));
    return { result: { scenario: r.name, file, assertions: r.assertions.map((a) => ({ ...a })) }, assertions };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { result: { scenario: file, file, assertions: [{ expression: 'the scenario is valid', passed: false, error: err.message }] }, assertions: null };
  }
}
