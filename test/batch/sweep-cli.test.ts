import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const CLI = 'dist/sim/cli/main.js';

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** 3 grid points × 2 seeds of the small test fleet, 6 minutes simulated: 6 short runs. */
const SWEEP = `apiVersion: rollout-sim/v1alpha1
kind: Sweep
metadata: { name: cli-test }
spec:
  scenario: ${resolve('test/plan/small-fleet.yaml')}
  seeds: 2
  set: { spec.duration: 6m }
  grid:
    spec.rollout.strategy.rollingUpdate.maxSurge: [1, 50%, 100%]
`;

describe('rollout-sim sweep and merge', () => {
  let dir: string;
  let spec: string;
  let whole: ReturnType<typeof cli>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollout-sim-sweep-'));
    spec = join(dir, 'sweep.yaml');
    writeFileSync(spec, SWEEP);
    whole = cli(['sweep', spec, '--out', join(dir, 'whole'), '--threads', '2']);
  });

  it('runs the whole sweep without --shard: results-0.jsonl with every run, the table on stdout and in sweep.md', () => {
    expect(whole.stderr).not.toMatch(/error/);
    expect(whole.code).toBe(0);
    expect(readdirSync(join(dir, 'whole')).sort()).toEqual(['results-0.jsonl', 'sweep.csv', 'sweep.md']);
    const lines = readFileSync(join(dir, 'whole', 'results-0.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines[0].summary.engine).toEqual({ events: expect.any(Number) });
    expect(lines[0].spec.file).toBe(resolve('test/plan/small-fleet.yaml'));
    expect(whole.stdout).toBe(readFileSync(join(dir, 'whole', 'sweep.md'), 'utf8'));
    expect(whole.stdout).toMatch(/\| 2 \| 100% \| 2 \|/);
  });

  it('gives byte for byte the same results and reports from shards merged (index from JOB_COMPLETION_INDEX for one)', () => {
    const shards = join(dir, 'shards');
    expect(cli(['sweep', spec, '--shard', '/2', '--out', shards, '--threads', '1'], { JOB_COMPLETION_INDEX: '1' }).code).toBe(0);
    expect(cli(['sweep', spec, '--shard', '0/2', '--out', shards, '--threads', '1']).code).toBe(0);
    expect(readdirSync(shards).sort()).toEqual(['results-0.jsonl', 'results-1.jsonl']);
    expect(readFileSync(join(shards, 'results-1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).index)).toEqual([1, 3, 5]);

    const merged = join(dir, 'merged');
    const m = cli(['merge', join(shards, 'results-1.jsonl'), join(shards, 'results-0.jsonl'), '--out', merged]);
    expect(m.code).toBe(0);
    const read = (d: string, f: string) => readFileSync(join(d, f));
    expect(read(merged, 'results.jsonl').equals(read(join(dir, 'whole'), 'results-0.jsonl'))).toBe(true);
    expect(read(merged, 'sweep.md').equals(read(join(dir, 'whole'), 'sweep.md'))).toBe(true);
    expect(read(merged, 'sweep.csv').equals(read(join(dir, 'whole'), 'sweep.csv'))).toBe(true);
    expect(m.stdout).toBe(whole.stdout);
  });

  it('refuses a shard whose summary was edited after the sweep, exit 2 naming the file and line', () => {
    const shards = join(dir, 'shards');
    const file = join(shards, 'results-1.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(JSON.parse(lines[1]).digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    lines[1] = lines[1].replace(/"dropped":\d+/, '"dropped":0').replace(/"completed":(\d+)/, (_, n) => `"completed":${Number(n) + 1}`);
    const tampered = join(dir, 'tampered-1.jsonl');
    writeFileSync(tampered, lines.join('\n'));
    const m = cli(['merge', tampered, join(shards, 'results-0.jsonl'), '--out', join(dir, 'tampered-merge')]);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain(`${tampered}: line 2 (run 3) does not match its digest`);
    expect(m.stderr).not.toMatch(/^\s+at /m);
  });
});
