import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeOutputFolder } from '../../reports/atomic-write.js';
import { renderRunOutputs, writeRunOutputs } from '../../reports/output.js';
import { renderSummaryJson } from '../../reports/summary-json.js';
import { InternalError } from '../../sim/errors.js';
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

  it('writes a folder, creating it and subfolders, and keeps unrelated files', () => {
    const dir = join(tempFolder(), 'out', 'run');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeOutputFolder(dir, { 'summary.json': '{}\n', 'charts/a.svg': '<svg/>', 'report.md': '# x\n' });
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(dir, 'charts', 'a.svg'), 'utf8')).toBe('<svg/>');
    expect(readdirSync(dir).sort()).toEqual(['charts', 'notes.txt', 'report.md', 'summary.json']);
  });

  it('never leaves a summary.json beside a half-written set of files', () => {
    const dir = tempFolder();
    writeOutputFolder(dir, { 'summary.json': '{"old":true}\n', 'report.md': 'old\n' });
    // A folder where report.html should go makes that write fail midway.
    mkdirSync(join(dir, 'report.html', 'blocker'), { recursive: true });
    expect(() => writeOutputFolder(dir, { 'summary.json': '{"new":true}\n', 'report.md': 'new\n', 'report.html': '<html>' })).toThrow();
    expect(existsSync(join(dir, 'summary.json'))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
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
      'charts/queue.svg',
      'charts/ready.svg',
      'charts/ttft.svg',
      'requests.csv',
    ]);
  });

  it('writes them into a folder', async () => {
    const dir = tempFolder();
    await writeRunOutputs(dir, syntheticRunResult());
    expect(readdirSync(dir).sort()).toEqual(['events.csv', 'report.html', 'report.md', 'summary.json', 'timeseries.csv']);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).scenario).toBe('rolling-update-demo');
  });
});
