import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/sim/cli/main.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rollout-sim preflight', () => {
  it('exits 0 when the rollout finishes', () => {
    const r = cli(['preflight', 'scenarios/llama-8b-h100-rolling.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rollout finishes (completed');
  });

  it('takes group-level documents too: the LWS 1x8 -> 2x4 deadlock exits 1 with its blocker and fix; run prints their summary', () => {
    const stalled = cli(['preflight', 'scenarios/lws/one-by-eight-to-two-by-four-deadlock.yaml']);
    expect(stalled.code).toBe(1);
    expect(stalled.stdout).toContain('LeaderWorkerSet rollout cannot finish');
    expect(stalled.stdout).toContain('blocked by: unschedulable-group');
    expect(stalled.stdout).toContain('fix: set maxUnavailable to 2');
    expect(cli(['preflight', 'scenarios/lws/llama-405b-two-node-lws.yaml']).code).toBe(0);
    const run = cli(['run', 'scenarios/lws/deepseek-pd-coordinated.yaml', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ scenario: 'deepseek-pd-coordinated', pd: { outcome: 'completed' } });
    const flags = cli(['run', 'scenarios/lws/deepseek-pd-coordinated.yaml', '--seed', '3']);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('do not apply to a group-level document');
  });

  it('exits 1 when it cannot, naming the blocker, the fewest extra GPUs and the verified fixes', () => {
    const r = cli(['preflight', 'scenarios/regressions/llmkube-2gpu-node-surge.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cannot finish (stalled)');
    expect(r.stdout).toContain('blocked by: gpu-capacity');
    expect(r.stdout).toContain('fewest extra GPUs that let it finish: 2');
    expect(r.stdout).toContain('maxSurge: 0, maxUnavailable: 1');
  });

  it('--json prints the report; --set can apply the fix it names', () => {
    const stalled = cli(['preflight', 'scenarios/regressions/k8s-gpu-quota-surge.yaml', '--json']);
    expect(stalled.code).toBe(1);
    const report = JSON.parse(stalled.stdout) as { blockedBy: string; minExtraGpus: number };
    expect(report).toMatchObject({ verdict: 'stalled', blockedBy: 'quota', minExtraGpus: 2 });
    const fixed = cli(['preflight', 'scenarios/regressions/k8s-gpu-quota-surge.yaml', '--set', 'spec.cluster.resourceQuota.gpus=4']);
    expect(fixed.code).toBe(0);
  });

  it('exits 2 on bad input', () => {
    expect(cli(['preflight', 'scenarios/llama-8b-h100-rolling.yaml', '--set', 'spec.cluster.resourceQuota.gpus=-1']).code).toBe(2);
    expect(cli(['preflight', 'no-such-file.yaml']).code).toBe(2);
  });
});
