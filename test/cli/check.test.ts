import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findScenarioFiles } from '../../sim/cli/commands/check.js';
import { InputError } from '../../sim/errors.js';
import { loadScenarioFile } from '../../sim/scenario/load.js';
import { assertWellFormedXml } from '../reports/xml.js';

const CLI = 'dist/sim/cli/main.js';
const FIXTURES = 'test/fixtures/check';
const PASSING = `${FIXTURES}/passing`;
const FAILING = `${FIXTURES}/failing/peak-too-high.yaml`;
const UNKNOWN_FIELD = `${FIXTURES}/unknown-field.yaml`;
const INVALID = `${FIXTURES}/invalid.yaml`;

/**
 * Runs the built CLI with CI set (plain progress lines) and without a step summary unless given. The small
 * fixtures run in one thread: starting worker threads would cost more than the runs (the library test uses them).
 */
function cli(args: string[], env: Record<string, string> = {}) {
  const { GITHUB_STEP_SUMMARY: _ignored, ...base } = process.env;
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...base, CI: 'true', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const scratch = () => mkdtempSync(join(tmpdir(), 'rollout-sim-check-'));

describe('finding scenario files', () => {
  it('walks folders recursively and sorted, keeping only kind: Scenario', () => {
    expect(findScenarioFiles([FIXTURES])).toEqual([
      `${FIXTURES}/failing/peak-too-high.yaml`,
      `${FIXTURES}/invalid.yaml`,
      `${FIXTURES}/passing/nested/small-no-drops.yaml`,
      `${FIXTURES}/passing/small-rolling.yaml`,
      `${FIXTURES}/unknown-field.yaml`,
    ]);
  });

  it('keeps a named file whatever it holds, and refuses a missing path or a folder without scenarios', () => {
    expect(findScenarioFiles([`${PASSING}/not-a-scenario.yaml`])).toEqual([`${PASSING}/not-a-scenario.yaml`]);
    expect(() => findScenarioFiles([`${FIXTURES}/nope.yaml`])).toThrow(InputError);
    const empty = scratch();
    writeFileSync(join(empty, 'deployment.yaml'), 'kind: Deployment\n');
    expect(() => findScenarioFiles([empty])).toThrow(/no scenario files/);
    expect(() => findScenarioFiles([])).toThrow(InputError);
  });
});

describe('rollout-sim check', () => {
  it('exits 0 when every assertion holds, applies --set, and appends a Markdown table to the step summary', () => {
    const summary = join(scratch(), 'step-summary.md');
    writeFileSync(summary, '## an earlier step\n');
    const r = cli(['check', PASSING, FAILING, '--threads', '1', '--set', 'spec.assertions=["capacity.peakGpus <= 8"]'], { GITHUB_STEP_SUMMARY: summary });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((line) => line.startsWith('PASS'));
    expect(rows).toHaveLength(3);
    expect(r.stdout).toContain(`${PASSING}/nested/small-no-drops.yaml`);
    expect(r.stdout).not.toContain('not-a-scenario');
    expect(r.stdout).toContain('3 scenarios, 3 assertions: 3 passed, 0 failed, 0 errors');
    // Progress goes to stderr only.
    expect(r.stderr).toContain('check: 3/3 runs');
    expect(r.stdout).not.toContain('runs\n');

    const appended = readFileSync(summary, 'utf8');
    expect(appended.startsWith('## an earlier step\n### rollout-sim check\n')).toBe(true);
    expect(appended).toContain('| result | scenario | assertion | seed | measured |');
    expect(appended).toContain(`| PASS | ${FAILING} | capacity.peakGpus &lt;= 8 | 3 | capacity.peakGpus = 8 |`);
  });

  it('exits 1 when an assertion is false; JUnit has one testcase per assertion, the measured value, seed and hash', () => {
    const junit = join(scratch(), 'junit.xml');
    const r = cli(['check', FAILING, PASSING, '--junit', junit, '--seed', '5', '--threads', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL +test\/fixtures\/check\/failing\/peak-too-high\.yaml +capacity\.peakGpus < 8 +5 +capacity\.peakGpus = 8$/m);

    const xml = readFileSync(junit, 'utf8');
    assertWellFormedXml(xml);
    expect(xml.match(/<testcase /g)).toHaveLength(6);
    expect(xml).toContain('<testsuites name="rollout-sim check" tests="6" failures="1" errors="0">');
    const hash = loadScenarioFile(FAILING).hash;
    expect(xml).toContain(`<failure message="capacity.peakGpus &lt; 8 failed: measured capacity.peakGpus = 8 (seed 5, scenario hash ${hash})"`);
    expect(xml).toContain('<property name="seed" value="5"/>');
    expect(xml).toContain(`<property name="scenarioHash" value="${hash}"/>`);
    expect(xml).not.toContain('<property name="seed" value="3"/>');
  });

  it('exits 2 when an assertion names a field that does not exist or a scenario is invalid, even beside a failure', () => {
    const junit = join(scratch(), 'junit.xml');
    const r = cli(['check', UNKNOWN_FIELD, INVALID, FAILING, '--junit', junit, '--threads', '1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^ERROR +test\/fixtures\/check\/unknown-field\.yaml +the scenario is valid .*spec\.assertions\[1\]: unknown field "capacity\.peakGpu"/m);
    expect(r.stdout).toMatch(/^ERROR +test\/fixtures\/check\/invalid\.yaml +the scenario is valid .*spec\.deployment\.replicas/m);
    expect(r.stdout).toMatch(/^FAIL /m);

    const xml = readFileSync(junit, 'utf8');
    assertWellFormedXml(xml);
    expect(xml).toMatch(/<testsuite name="test\/fixtures\/check\/unknown-field\.yaml" tests="1" failures="0" errors="1"/);
    expect(xml).toContain('unknown field &quot;capacity.peakGpu&quot;');
    expect(xml).toMatch(/<testsuite name="test\/fixtures\/check\/invalid\.yaml" tests="1" failures="0" errors="1"/);
    expect(xml).toContain('spec.deployment.replicas');
  });

  it('passes on the scenario library (scenarios/), which CI checks this way', () => {
    const r = cli(['check', 'scenarios']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toMatch(/^(FAIL|ERROR) /m);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('scenarios/bad-version-canary.yaml');
  });
});
