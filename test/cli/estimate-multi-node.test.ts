import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/sim/cli/main.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('estimate --nodes', () => {
  it('prints the whole replica and both layouts; --json has the same figures', () => {
    const args = ['estimate', '--model', 'llama-3.1-405b', '--gpu', 'h100-80gb', '--tp', '8', '--nodes', '2', '--batch', '64', '--context', '2048'];
    const text = cli(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/2 nodes × 8 h100-80gb \(infiniband-ndr\)/);
    expect(text.stdout).toMatch(/one node\s+model: llama-3.1-405b .* does not fit/);
    expect(text.stdout).toMatch(/pipeline .* 33 %/);
    const json = JSON.parse(cli([...args, '--json']).stdout);
    expect(json.layouts.map((l: { layout: string }) => l.layout)).toEqual(['pipeline', 'tensor']);
    expect(json.memory.weightBytesPerGpu).toBeGreaterThan(50e9);
  });

  it('names a bad network and a bad node count (exit 2)', () => {
    const bad = cli(['estimate', '--model', 'llama-3.1-405b', '--gpu', 'h100-80gb', '--tp', '8', '--nodes', '2', '--network', 'carrier-pigeon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/network: "carrier-pigeon" is not a node network/);
    expect(cli(['estimate', '--model', 'llama-3.1-405b', '--gpu', 'h100-80gb', '--nodes', 'two']).code).toBe(2);
  });
});
