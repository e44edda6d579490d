import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/sim/cli/main.js';
const FIXTURES = 'test/fixtures/calibration';
const BENCH = [`${FIXTURES}/vllm-bench-llama-3.1-8b-c1.json`, `${FIXTURES}/vllm-bench-llama-3.1-8b-c48.json`];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rollout-sim calibrate and backtest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-sim-calibrate-cli-'));
  const file = join(dir, 'fleet.calibration.yaml');

  it('calibrate writes the file and prints the fitted parameters', () => {
    const r = cli(['calibrate', ...BENCH, `${FIXTURES}/vllm-v1-startup.log`, '--gpu', 'h100-80gb', '--kv-blocks', '27000', '-o', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/llama-3\.1-8b TP1 on h100-80gb: hbmEfficiency 0\.7\d\d, matmulEfficiency 0\.5\d\d/);
    expect(r.stdout).toContain('start-up weightLoad: mean 6.8 s over 1 samples');
    expect(readFileSync(file, 'utf8')).toMatch(/^# rollout-sim calibration/);
  });

  it('backtest: exit 1 beyond --tolerance, the table as JSON on stdout and both files in --out', () => {
    const tight = cli(['backtest', file, '--tolerance', '0.0001%', '--json', '--out', join(dir, 'bt')]);
    expect(tight.code).toBe(1);
    const report = JSON.parse(tight.stdout) as { failures: string[] };
    expect(report.failures.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'bt', 'backtest.md'), 'utf8')).toContain('| tpot.mean | held-out |');
    expect(existsSync(join(dir, 'bt', 'backtest.json'))).toBe(true);
  });

  it('bad input exits 2 naming the flag, or the file, line and field', () => {
    const noGpu = cli(['calibrate', BENCH[0], '-o', join(dir, 'x.yaml')]);
    expect(noGpu.code).toBe(2);
    expect(noGpu.stderr).toContain('--gpu');
    const bad = cli(['calibrate', `${FIXTURES}/malformed/bench-bad-ttft.json`, '--gpu', 'h100-80gb', '-o', join(dir, 'y.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bench-bad-ttft.json line 9, field ttfts[1]');
  });
});
