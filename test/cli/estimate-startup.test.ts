import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/sim/cli/main.js';

function estimate(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'estimate', '--gpu', 'h100-80gb', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface PhaseSource {
  phase: string;
  seconds: number;
  provenance: string;
  basis: string;
}

const json = (...args: string[]) => JSON.parse(estimate(...args, '--json').stdout) as {
  timeToServableSeconds: number;
  startupPhases: Record<string, number>;
  startupSources: PhaseSource[];
  measuredRows: string;
};

describe('estimate: start-up phases with their sources', () => {
  it('--compile-cache changes the compile phase: a pod that finds the cache filled skips the cold compile', () => {
    const cold = json('--model', 'llama-3.1-70b', '--tp', '4');
    const shared = json('--model', 'llama-3.1-70b', '--tp', '4', '--compile-cache', 'shared');
    const perNode = json('--model', 'llama-3.1-70b', '--tp', '4', '--compile-cache', 'perNode');
    expect(cold.startupPhases.compile).toBeCloseTo(61, 0);
    expect(perNode.startupPhases.compile).toBeCloseTo(16, 0);
    // the shared volume's artefacts are fetched (1 GB at 3 GB/s), not free
    expect(shared.startupPhases.compile - perNode.startupPhases.compile).toBeCloseTo(1 / 3, 3);
    expect(shared.timeToServableSeconds).toBeLessThan(cold.timeToServableSeconds - 40);
  });

  it('marks each phase measured-fitted inside a measured size class and names the class rows', () => {
    const e = json('--model', 'llama-3.1-70b', '--tp', '4');
    const by = Object.fromEntries(e.startupSources.map((s) => [s.phase, s]));
    expect(by.compile.provenance).toBe('measured-fitted');
    expect(by.processStart.provenance).toBe('measured-fitted');
    expect(by.weightLoad.basis).toMatch(/r2–r8/);
    expect(e.measuredRows).toMatch(/class 70B dense: r1 .*\(373 s\)/);
  });

  it('405B has no measured row: the estimate says so and calls its size-dependent phases extrapolated', () => {
    const e = json('--model', 'llama-3.1-405b', '--tp', '8', '--weight-dtype', 'fp8');
    expect(e.measuredRows).toMatch(/no measured start-up row for a model of 406B parameters/);
    const by = Object.fromEntries(e.startupSources.map((s) => [s.phase, s.provenance]));
    expect([by.compile, by.graphCapture, by.kvProfile]).toEqual(['extrapolated', 'extrapolated', 'extrapolated']);
    const text = estimate('--model', 'llama-3.1-405b', '--tp', '8', '--weight-dtype', 'fp8').stdout;
    expect(text).toMatch(/compile\s+[\d.]+ s\s+extrapolated/);
  });

  it('a peer copy and a model served in FP8 with JIT add-ons show in the breakdown', () => {
    const moe = json('--model', 'qwen3-30b-a3b', '--weight-dtype', 'fp8');
    expect(moe.startupSources.find((s) => s.phase === 'compile')?.basis).toMatch(/deepgemm \+ flashinfer-moe-fp8/);
    const peer = json('--model', 'llama-3.1-70b', '--tp', '4', '--from-peer');
    expect(peer.startupSources.find((s) => s.phase === 'weightLoad')?.provenance).toBe('published');
    expect(peer.startupPhases.weightLoad).toBeLessThan(5);
  });
});
