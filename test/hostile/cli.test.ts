/**
 * Hostile files through the built CLI (issue 8 §5): `node dist/sim/cli/main.js run <file>` must exit 2 with one
 * `error:` message naming the field and no stack trace, and must finish — absurd sizes are refused up front.
 * Assertion and analysis expressions go through the restricted evaluator; scenario text in report.html is
 * escaped. Needs the compiled CLI (`npm run build`; `npm test` builds first).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { merge, scenario, type Doc } from '../validation/scenario-kit.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(REPO, 'dist/sim/cli/main.js');
const DIR = mkdtempSync(join(tmpdir(), 'hostile-cli-'));
/** Every case must end well inside this; a hang fails the test instead of stalling CI. */
const TIME_LIMIT_MS = 60_000;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

let files = 0;
function write(text: string): string {
  const file = join(DIR, `s${files++}.yaml`);
  writeFileSync(file, text);
  return file;
}

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; resolves with its exit status (null when it had to be killed at the time limit). */
function cli(...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: DIR, encoding: 'utf8', timeout: TIME_LIMIT_MS, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      done({ status, stdout, stderr });
    });
  });
}

/** A small scenario that runs in well under a second (the golden world of the validation suite). */
const small = (spec: Doc = {}): Doc => scenario(merge({ duration: '60s', rollout: { at: '10s', strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } }, spec));
const yaml = (doc: Doc) => stringify(doc);

const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|<anonymous>)$/m;

function expectInputError(r: CliResult, names: RegExp): void {
  expect(r.status, `stderr: ${r.stderr}`).toBe(2);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toMatch(names);
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stderr).not.toMatch(/internal error/);
}

describe('hostile scenario files through the CLI: exit 2, the field named, no stack trace, no hang', () => {
  const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);

  it.concurrent.each<[string, string, RegExp]>([
    ['an alias bomb', bomb.join('\n'), /aliases are limited/],
    ['an unknown field', yaml(small({ deployment: { replikas: 3 } })), /spec\.deployment: unknown field "replikas"/],
    ['a billion replicas', yaml(small({ deployment: { replicas: 1_000_000_000 } })), /spec\.deployment\.replicas: Too big/],
    ['1e9 requests per second', yaml(small({ traffic: { arrival: { poisson: { rate: '1e9/s' } } } })), /spec\.traffic\.arrival: about 6\.00e\+10 requests would arrive.*lower the rate/],
    ['a ten-year duration', yaml(small({ duration: '87600h' })), /spec\.metrics\.windowSeconds: .*metric windows.*shorten spec\.duration/],
    ['5,000 nested lists', `${'['.repeat(5000)}${']'.repeat(5000)}`, /scenario/],
    ['an analysis query calling evaluate', yaml(small({ rollout: { strategy: { rollingUpdate: undefined, canary: { steps: [{ analysis: { templates: ['t'] } }] } }, analysisTemplates: { t: { metrics: [{ name: 'm', query: "evaluate('1+1')" }] } } } })), /analysisTemplates\.t\.metrics\[0\]\.query: .*"evaluate" is disabled/],
  ])('%s', async (_label, text, names) => {
    expectInputError(await cli('run', write(text), '--json'), names);
  });

  it.concurrent('a missing file', async () => {
    expectInputError(await cli('run', join(DIR, 'nope.yaml')), /no such scenario file/);
  });

  it.concurrent('a trace with a bad row: the line and column are named', async () => {
    const trace = join(DIR, 'bad-trace.csv');
    writeFileSync(trace, 'TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,5\n1,NaN,5\n');
    const doc = small({ traffic: { arrival: { poisson: undefined, trace: { file: 'bad-trace.csv' } }, promptTokens: undefined, outputTokens: undefined } });
    expectInputError(await cli('run', write(yaml(doc))), /bad-trace\.csv line 3, column ContextTokens: expected a whole number of tokens \(0 or more\), got "NaN"/);
  });

  it.concurrent('hostile assertions are refused by the restricted evaluator before anything runs (exit 2)', async () => {
    const doc = small({
      assertions: [
        'import({x: 1}, {})',
        "evaluate('1+1') == 2",
        "createUnit('lol')",
        "requests.constructor.constructor('return process')()",
        'requests.__proto__.polluted == 1',
        'requests.dropped == 0',
      ],
    });
    const r = await cli('run', write(yaml(doc)));
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/spec\.assertions\[0\]: .*"import" is disabled/);
    expect(r.stderr).toMatch(/spec\.assertions\[1\]: .*"evaluate" is disabled/);
    expect(r.stderr).toMatch(/spec\.assertions\[2\]: .*"createUnit" is disabled/);
    expect(r.stderr).toMatch(/spec\.assertions\[3\]: /);
    expect(r.stderr).toMatch(/spec\.assertions\[4\]: .*__proto__/);
    expect(r.stderr).not.toMatch(/spec\.assertions\[5\]/);
  });
});

describe('scenario names are Kubernetes object names', () => {
  // The name becomes the workload's and its pods' names; what a writer does with hostile text is tested at the
  // writer (test/reports/html.test.ts renders a report for a name full of markup).
  it.each([
    ['markup', '</script><script>alert(1)</script><img src=x onerror=alert(2)>'],
    ['a NUL byte', 'llama\u0000rolling'],
    ['a slash', 'team/llama'],
    ['a right-to-left mark', 'llama\u200frolling'],
    ['capitals and spaces', 'Llama Rolling'],
  ])('a name with %s is refused, naming the field and the rule', async (_what, name) => {
    const r = await cli('validate', write(yaml(merge(small(), { metadata: { name } }))));
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stderr).toMatch(/metadata\.name: .*DNS-1123/);
  });
});
