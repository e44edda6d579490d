import { writeFileAtomic } from './atomic-write.js';
import { escapeXml } from './escape.js';

/** One evaluated check, e.g. `summary.latency.spikeRatio < 3`. `error` means it could not be evaluated. */
export interface AssertionResult {
  expression: string;
  passed: boolean;
  /** The measured value(s) the expression looked at. */
  value?: unknown;
  error?: string;
}

/** All checks of one scenario run. */
export interface ScenarioCheckResult {
  scenario: string;
  file: string;
  /** Absent when the scenario could not be loaded (its one testcase is then the error). */
  seed?: number;
  hash?: string;
  assertions: AssertionResult[];
}

function measured(value: unknown): string {
  if (value === undefined) return 'no value';
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? String(value);
}

function testcase(result: ScenarioCheckResult, assertion: AssertionResult): string {
  const open = `    <testcase name="${escapeXml(assertion.expression)}" classname="${escapeXml(result.scenario)}" file="${escapeXml(result.file)}"`;
  if (assertion.passed && assertion.error === undefined) return `${open}/>`;
  const context = result.seed === undefined ? 'scenario not loaded' : `seed ${result.seed}, scenario hash ${result.hash}`;
  const details = [
    `expression: ${assertion.expression}`,
    `measured: ${measured(assertion.value)}`,
    ...(assertion.error === undefined ? [] : [`error: ${assertion.error}`]),
    `scenario: ${result.scenario} (${result.file})`,
    ...(result.seed === undefined ? [] : [`seed: ${result.seed}`, `scenario hash: ${result.hash}`]),
  ].join('\n');
  const [tag, type, message] =
    assertion.error === undefined
      ? ['failure', 'AssertionFailed', `${assertion.expression} failed: measured ${measured(assertion.value)} (${context})`]
      : ['error', 'EvaluationError', `${assertion.expression} could not be evaluated: ${assertion.error} (${context})`];
  return [
    `${open}>`,
    `      <${tag} message="${escapeXml(message)}" type="${type}">${escapeXml(details)}</${tag}>`,
    '    </testcase>',
  ].join('\n');
}

function counts(assertions: readonly AssertionResult[]): string {
  const errors = assertions.filter((a) => a.error !== undefined).length;
  const failures = assertions.filter((a) => !a.passed && a.error === undefined).length;
  return `tests="${assertions.length}" failures="${failures}" errors="${errors}"`;
}

/** JUnit XML for CI: one testsuite per scenario (seed and hash as properties), one testcase per assertion. */
export function renderJunit(results: readonly ScenarioCheckResult[]): string {
  const suites = results.map((result) =>
    [
      `  <testsuite name="${escapeXml(result.scenario)}" ${counts(result.assertions)} skipped="0" file="${escapeXml(result.file)}">`,
      '    <properties>',
      ...(result.seed === undefined
        ? []
        : [
            `      <property name="seed" value="${escapeXml(String(result.seed))}"/>`,
            `      <property name="scenarioHash" value="${escapeXml(result.hash ?? '')}"/>`,
          ]),
      `      <property name="file" value="${escapeXml(result.file)}"/>`,
      '    </properties>',
      ...result.assertions.map((assertion) => testcase(result, assertion)),
      '  </testsuite>',
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="rollout-sim check" ${counts(results.flatMap((r) => r.assertions))}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

export function writeJunit(path: string, results: readonly ScenarioCheckResult[]): void {
  writeFileAtomic(path, renderJunit(results));
}
