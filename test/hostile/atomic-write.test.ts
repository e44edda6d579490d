/**
 * Outputs are written atomically (issue 8 §5): a run killed while writing its report folder never leaves a
 * half-written file, and a folder is always one complete run (it is swapped in whole). A child process
 * (the compiled reports/atomic-write.js, as the CLI uses it) rewrites a folder over and over with numbered
 * versions of multi-megabyte files; it is SIGKILLed at several moments and the folder is inspected each time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ATOMIC = join(REPO, 'dist/reports/atomic-write.js');
const DIR = mkdtempSync(join(tmpdir(), 'atomic-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const FILES = ['timeseries.csv', 'events.csv', 'report.md', 'report.html'];

/** The writer: version k of every file is `BEGIN k`, 4 MB of filler, `END k`; summary.json says {"version": k}. */
const CHILD = `
import { writeOutputFolder } from ${JSON.stringify(pathToFileURL(ATOMIC).href)};
const out = process.argv[2];
const filler = 'x'.repeat(4 * 1024 * 1024);
for (let k = 1; ; k++) {
  const files = {};
  for (const name of ${JSON.stringify(FILES)}) files[name] = 'BEGIN ' + k + '\\n' + filler + '\\nEND ' + k + '\\n';
  files['summary.json'] = JSON.stringify({ version: k });
  writeOutputFolder(out, files);
  if (k === 1) process.stdout.write('first\\n');
  // Rest a little with a complete folder, so some kills find one.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
}
`;

function killWhileWriting(out: string, delayMs: number): Promise<void> {
  const script = join(DIR, 'writer.mjs');
  writeFileSync(script, CHILD);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, out], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error(`writer exited without being killed (${signal})`))));
  });
}

function versionOf(text: string): number {
  const begin = /^BEGIN (\d+)\n/.exec(text);
  const end = /\nEND (\d+)\n$/.exec(text);
  if (!begin || !end || begin[1] !== end[1]) throw new Error(`a half-written file: starts ${JSON.stringify(text.slice(0, 20))}, ends ${JSON.stringify(text.slice(-20))}`);
  return Number(begin[1]);
}

describe('atomic report folders', () => {
  it('a writer killed mid-write leaves only whole files, and summary.json only over a complete set', async () => {
    if (!existsSync(ATOMIC)) throw new Error(`${ATOMIC} is missing: run \`npm run build\` first (npm test does)`);
    let withSummary = 0;
    for (const delayMs of [0, 11, 37, 83, 160, 270]) {
      const out = join(DIR, `out-${delayMs}`);
      await killWhileWriting(out, delayMs);
      // Killed before its first swap, or between moving the old folder aside and the new one in: no folder.
      if (!existsSync(out)) continue;
      const visible = readdirSync(out).filter((f) => !f.startsWith('.'));
      const versions = new Map(visible.filter((f) => f !== 'summary.json').map((f) => [f, versionOf(readFileSync(join(out, f), 'utf8'))]));
      // A folder is always one whole run.
      expect(visible).toContain('summary.json');
      withSummary++;
      const { version } = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { version: number };
      expect([...versions.keys()].sort()).toEqual([...FILES].sort());
      for (const [file, v] of versions) expect(v, file).toBe(version);
    }
    // Half-finished folders may remain beside it, hidden (.out-N.new-pid-n): never mistaken for outputs, and
    // removed by the next write.
    console.log(`${withSummary} of 6 kills left a folder (a complete set); the others none`);
  });
});
