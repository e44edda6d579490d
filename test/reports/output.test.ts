import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_MARKER, writeFileAtomic, writeOutputFolder } from '../../reports/atomic-write.js';
import { renderRunOutputs, writeRunOutputs } from '../../reports/output.js';
import { renderSummaryJson } from '../../reports/summary-json.js';
import { InternalError } from '../../sim/errors.js';
import { inputError } from '../helpers/input-error.js';
import { syntheticRunResult } from './fixture.js';

const tempFolder = () => mkdtempSync(join(tmpdir(), 'rollout-sim-reports-'));

describe('atomic writes', () => {
  it('writes a file and leaves no temporary file behind', () => {
    const dir = tempFolder();
    writeFileAtomic(join(dir, 'a.txt'), 'one');
    writeFileAtomic(join(dir, 'a.txt'), Buffer.from('two'));
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });

  it('writes a folder, creating it and subfolders, and replaces an earlier run whole (no stale files)', () => {
    const dir = join(tempFolder(), 'out', 'run');
    writeOutputFolder(dir, { 'summary.json': '{"run":1}\n', 'requests.csv': 'id\n', 'charts/a.svg': '<svg/>' });
    writeOutputFolder(dir, { 'summary.json': '{"run":2}\n', 'charts/a.svg': '<svg>2</svg>', 'report.md': '# x\n' });
    expect(readFileSync(join(dir, 'charts', 'a.svg'), 'utf8')).toBe('<svg>2</svg>');
    expect(readdirSync(dir).sort()).toEqual([OUTPUT_MARKER, 'charts', 'report.md', 'summary.json']);
    expect(readdirSync(dirname(dir))).toEqual(['run']);
  });

  it('refuses a folder holding files it did not write, and leaves them alone', () => {
    const dir = tempFolder();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const error = inputError(() => writeOutputFolder(dir, { 'summary.json': '{}\n' }));
    expect(error.message).toMatch(/holds files rollout-sim did not write \(notes\.txt\)/);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('a write that fails midway leaves the earlier run as it was, and no temporaries', () => {
    const dir = join(tempFolder(), 'run');
    writeOutputFolder(dir, { 'summary.json': '{"old":true}\n', 'report.md': 'old\n' });
    // A name longer than the file system allows makes the write fail after other files were written.
    expect(() => writeOutputFolder(dir, { 'report.md': 'new\n', ['x'.repeat(300)]: 'x', 'summary.json': '{"new":true}\n' })).toThrow();
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe('{"old":true}\n');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe('old\n');
    expect(readdirSync(dirname(dir))).toEqual(['run']);
  });

  it('keeps a second writer out while one holds the lock, and takes over a lock whose writer is gone', () => {
    const dir = join(tempFolder(), 'run');
    writeFileSync(`${dir}.lock`, `${process.ppid}\n`);
    expect(inputError(() => writeOutputFolder(dir, { 'summary.json': '{}\n' })).message).toMatch(/another rollout-sim \(pid \d+\) is writing/);
    writeFileSync(`${dir}.lock`, '999999999\n');
    writeOutputFolder(dir, { 'summary.json': '{}\n' });
    expect(readdirSync(dirname(dir))).toEqual(['run']);
  });

  it('refuses names that leave the folder', () => {
    expect(() => writeOutputFolder(tempFolder(), { '../escape.txt': 'x' })).toThrow(InternalError);
    expect(() => writeOutputFolder(tempFolder(), { '/abs.txt': 'x' })).toThrow(InternalError);
  });
});

describe('run outputs', () => {
  it('renders the standard files, and requests.csv and SVGs only when asked', async () => {
    const result = syntheticRunResult('demo', { requests: true });
    const basic = await renderRunOutputs(result);
    expect(Object.keys(basic).sort()).toEqual(['events.csv', 'report.html', 'report.md', 'summary.json', 'timeseries.csv']);
    expect(basic['summary.json']).toBe(renderSummaryJson(result));
    const full = await renderRunOutputs(result, { requests: true, svg: true });
    expect(Object.keys(full).filter((name) => !(name in basic)).sort()).toEqual([
      'charts/failures.svg',
      'charts/gpus.svg',
      'charts/prefix-cache.svg',
      'charts/queue.svg',
      'charts/ready.svg',
      'charts/ttft.svg',
      'requests.csv',
    ]);
  });

  it('writes them into a folder', async () => {
    const dir = tempFolder();
    await writeRunOutputs(dir, syntheticRunResult());
    expect(readdirSync(dir).sort()).toEqual([OUTPUT_MARKER, 'events.csv', 'report.html', 'report.md', 'summary.json', 'timeseries.csv']);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).scenario).toBe('rolling-update-demo');
  });
});
