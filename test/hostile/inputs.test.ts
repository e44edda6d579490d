/**
 * Inputs that used to hang, crash or pass silently (issue 21): each must end with exit 2, one `error:` line that
 * names the file, flag or field, no stack trace, within seconds and in bounded memory (the CLI runs with a
 * 256 MB heap, so reading an endless device would fail, not pass).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatRecords, type SweepRecord } from '../../sim/batch/sweep-records.js';
import { syntheticRunResult } from '../reports/fixture.js';
import { merge, scenario } from '../validation/scenario-kit.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(REPO, 'dist/sim/cli/main.js');
const DIR = mkdtempSync(join(tmpdir(), 'hostile-inputs-'));
const TIME_LIMIT_MS = 20_000;
const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|<anonymous>)$/m;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--max-old-space-size=256', CLI, ...args],
      { cwd: DIR, encoding: 'utf8', timeout: TIME_LIMIT_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => done({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
    );
  });
}

async function expectRefused(args: string[], names: RegExp): Promise<void> {
  const r = await cli(...args);
  expect(r.status, `stderr: ${r.stderr}`).toBe(2);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toMatch(names);
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stderr).not.toMatch(/internal error/);
}

const SMALL = join(DIR, 'small.yaml');
writeFileSync(SMALL, stringify(scenario(merge({ duration: '60s' }, {}))));

describe('files that are not regular files are refused before reading', () => {
  it.each([
    ['validate /dev/zero', ['validate', '/dev/zero'], /\/dev\/zero is not a regular file.*scenario file/],
    ['run a folder', ['run', DIR], /is a folder; expected a scenario file/],
    ['merge /dev/zero', ['merge', '/dev/zero'], /\/dev\/zero is not a regular file.*results file/],
    ['sweep /dev/zero', ['sweep', '/dev/zero'], /\/dev\/zero is not a regular file.*sweep file/],
    ['a missing file', ['validate', join(DIR, 'nope.yaml')], /no such scenario file/],
  ])('%s', async (_name, args, names) => expectRefused(args, names));

  it('a manifest that is /dev/zero', async () => {
    const file = join(DIR, 'manifest-zero.yaml');
    writeFileSync(file, stringify(scenario(merge({ duration: '60s', deployment: { manifest: '/dev/zero' } }, {}))));
    await expectRefused(['validate', file], /spec\.deployment\.manifest: .*\/dev\/zero is not a regular file/);
  });

  it('a named pipe nobody writes to (opening it would wait forever)', async () => {
    const fifo = join(DIR, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    await expectRefused(['validate', fifo], /pipe\.yaml is not a regular file/);
  });

  it('a scenario file over the size limit', async () => {
    const big = join(DIR, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    await expectRefused(['validate', big], /limited to 4 MiB/);
  });
});

describe('--out must be a folder that can be created', () => {
  it.each([
    ['under /proc', join('/proc', 'rollout-sim-out'), /cannot (create|lock) the output folder|cannot write the output file/],
    ['under /dev/null', '/dev/null/out', /\/dev\/null exists and is not a folder/],
    ['onto an existing file', SMALL, /small\.yaml exists and is not a folder/],
  ])('%s', async (_name, out, names) => expectRefused(['run', SMALL, '--out', out], names));
});

describe('--set paths fit the document', () => {
  it.each([
    ['an index far past the end of a list', 'spec.cluster.nodePools[999999999].nodes=1', /past the end of spec\.cluster\.nodePools, which has 1 item/],
    ['__proto__', 'spec.__proto__.polluted=1', /"__proto__" is not a field/],
    ['constructor.prototype', 'spec.constructor.prototype.x=1', /"constructor" is not a field/],
    ['a list without an index', 'spec.cluster.nodePools.gpu=h200', /spec\.cluster\.nodePools is a list; name an item by its index, e\.g\. spec\.cluster\.nodePools\[0\]\.gpu/],
  ])('%s', async (_name, set, names) => expectRefused(['validate', SMALL, '--set', set], names));

  it('an index one past the end appends an item, which the schema then checks', async () => {
    await expectRefused(['validate', SMALL, '--set', 'spec.cluster.nodePools[1].gpu=h100-80gb'], /spec\.cluster\.nodePools\[1\]\.name: required/);
  });
});

describe('sweep shards carry a digest that merge checks', () => {
  const record = (index: number): SweepRecord => ({
    sweep: 's',
    runs: 2,
    index,
    spec: { file: 'a.yaml', overrides: [], seed: index + 1 },
    summary: { ...syntheticRunResult().summary, seed: index + 1 },
  });

  it('a summary edited by hand', async () => {
    const [first, second] = formatRecords([record(0), record(1)]).trim().split('\n');
    const edited = second.replace(/"dropped":\d+/, '"dropped":12345');
    expect(edited).not.toBe(second);
    const file = join(DIR, 'results-0.jsonl');
    writeFileSync(file, `${first}\n${edited}\n`);
    await expectRefused(['merge', file, '--out', join(DIR, 'merged')], /results-0\.jsonl: line 2 \(run 1\) does not match its digest/);
  });
});
