import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBinaryBytes, renderEstimateText, significant } from '../../sim/cli/estimate-text.js';

const CLI = 'dist/sim/cli/main.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('estimate for people', () => {
  it('rounds to three significant digits without losing whole numbers', () => {
    expect(significant(75.00021918389787)).toBe('75.0');
    expect(significant(0.9039999999999986)).toBe('0.904');
    expect(significant(213.33333333333331)).toBe('213');
    expect(significant(487_200)).toBe('487,200');
    expect(significant(15)).toBe('15');
    expect(significant(0)).toBe('0');
    expect(formatBinaryBytes(141_107_412_992)).toBe('131 GiB');
    expect(formatBinaryBytes(327_680)).toBe('320 KiB');
    expect(formatBinaryBytes(512)).toBe('512 B');
  });

  it('picks the unit from the figure name, nested parts included', () => {
    const text = renderEstimateText({
      weightBytesPerGpu: 35_276_853_248,
      kvBytesPerToken: 327_680,
      decodeStep: { gpuMs: 22.122121528093025, overheadMs: 0.9039999999999986, totalMs: 23.026121528093025 },
      timeToReadySeconds: 75.00021918389787,
      startupPhases: { imagePull: 73.33333333333333, warmup: 0 },
      decodeTokensPerSec: 43.42893781655542,
      parameters: 70_553_706_496,
      kvCacheSource: 'derived',
    });
    expect(text.split('\n').map((line) => line.replace(/ {2,}/, ' | '))).toEqual([
      'weightBytesPerGpu | 32.9 GiB',
      'kvBytesPerToken | 320 KiB/token',
      'decodeStep | gpu 22.1 ms · overhead 0.904 ms · total 23.0 ms',
      'timeToReadySeconds | 75.0 s',
      'startupPhases | imagePull 73.3 s · warmup 0 s',
      'decodeTokensPerSec | 43.4 tokens/s',
      'parameters | 70.6 B',
      'kvCacheSource | derived',
      '',
    ]);
  });

  it('prints rounded figures on the terminal and full precision with --json', () => {
    const args = ['estimate', '--model', 'llama-3.1-70b', '--gpu', 'h100-80gb', '--tp', '4'];
    const text = cli(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^decodeStepMs +\d+\.\d ms$/m);
    expect(text.stdout).toMatch(/^weightBytes +131 GiB$/m);
    expect(text.stdout).not.toMatch(/\d\.\d{4,}/);
    expect(text.stdout).toMatch(/^ {2}Model loading took 32\.\d\d GiB memory$/m);
    expect(text.stdout).toMatch(/^ {2}# GPU blocks: \d+$/m);
    expect(text.stdout).toMatch(/^ {2}Graph capturing finished, took \d\.\d\d GiB$/m);
    expect(cli([...args, '--enforce-eager']).stdout).toContain('CUDA graphs: none (--enforce-eager)');
    const json = JSON.parse(cli([...args, '--json']).stdout);
    expect(Number.isInteger(json.decodeStepMs)).toBe(false);
    expect(String(json.decodeStepMs).length).toBeGreaterThan(8);
    expect(json.weightBytes).toBe(141_107_412_992);
  });

  it('an unknown --kv-dtype or --weight-dtype is exit 2 naming the flag and the choices, single- and multi-node', () => {
    for (const extra of [[], ['--nodes', '2', '--tp', '8']]) {
      const kv = cli(['estimate', '--model', 'llama-3.1-8b', '--gpu', 'h100-80gb', '--kv-dtype', 'fp16', ...extra]);
      expect(kv.code).toBe(2);
      expect(kv.stderr).toContain('--kv-dtype: "fp16" is not a KV dtype; expected bf16, fp8');
      const weights = cli(['estimate', '--model', 'llama-3.1-8b', '--gpu', 'h100-80gb', '--weight-dtype', 'fp4', ...extra]);
      expect(weights.code).toBe(2);
      expect(weights.stderr).toContain('--weight-dtype: "fp4" is not a weight dtype; expected bf16, fp8, int4');
    }
  });

  it('--catalog adds GPUs and models that --gpu and --model name; a clash with a built-in name fails (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'estimate-catalog-'));
    writeFileSync(join(dir, 'lab.yaml'), 'gpus:\n  - { name: lab-card, memory: 64GiB, memoryBandwidth: 2TB/s, bf16Tflops: 400 }\n');
    writeFileSync(join(dir, 'clash.yaml'), 'gpus:\n  - { name: L4, memory: 64GiB, memoryBandwidth: 2TB/s, bf16Tflops: 400 }\n');
    const ok = cli(['estimate', '--model', 'llama-3.1-8b', '--gpu', 'lab-card', '--catalog', join(dir, 'lab.yaml'), '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).gpu).toBe('lab-card');
    const unknown = cli(['estimate', '--model', 'llama-3.1-8b', '--gpu', 'lab-card']);
    expect(unknown.code).toBe(2);
    const clash = cli(['estimate', '--model', 'llama-3.1-8b', '--gpu', 'l4', '--catalog', join(dir, 'clash.yaml')]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('GPU "L4" clashes with the built-in GPU "l4"');
  });
});
